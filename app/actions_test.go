package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/models"
)

type actionResp struct {
	ID             string   `json:"id"`
	Status         string   `json:"status"`
	Slug           string   `json:"slug"`
	Revision       int      `json:"revision"`
	IndexNumber    *string  `json:"index_number"`
	Targets        []string `json:"targets"`
	AppealDeadline *string  `json:"appeal_deadline"`
	AppealTimezone string   `json:"appeal_timezone"`
	LetterSubject  string   `json:"letter_subject"`
	LetterBody     string   `json:"letter_body"`
	UpdateOf       *string  `json:"update_of"`
	ActionURL      *string  `json:"action_url"`
	Approvals      []any    `json:"approvals"`
}

// legalToken is an API token of the approver in the Legal group.
func (e *testEnv) legalToken() string {
	e.t.Helper()
	_, secret, err := models.CreateAPIToken(context.Background(), e.db.Gorm, e.legal.ID, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// approveAPI submits a release over the API and gives it both approvals.
func approveAPI(t testing.TB, env *testEnv, author, id string) actionResp {
	t.Helper()
	if r := env.api("POST", "/api/v1/releases/"+id+"/submit", author, ""); r.Status != http.StatusOK {
		t.Fatalf("submit = %d %s", r.Status, r.Body)
	}
	return reapproveAPI(t, env, id)
}

// TestActionFieldsAreApprovedContent: an action alert takes targets, an
// appeal deadline and zone and a suggested letter through the API; they are
// part of the approved revision, so changing the letter after approval sends
// the alert back to review; a press release cannot have them; unknown targets
// and zones are refused in words.
func TestActionFieldsAreApprovedContent(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		camp := env.token(models.RoleCampaigner)
		minister := newTarget(t, env, camp, `{"name":"Omar Marwan","salutation":"Dear Minister","email":"minister@justice.example.gov","country":"EG"}`)
		r := env.api("POST", "/api/v1/releases", camp, `{"kind":"action_alert","headline":"Free Sara Ahmed","body":"Case **background**.",
			"targets":["`+minister.ID+`"],"appeal_deadline":"2026-07-20T23:59:00+02:00","appeal_timezone":"Africa/Cairo",
			"letter_subject":"Release Sara Ahmed","letter_body":"I urge you to release Sara Ahmed immediately."}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create = %d %s", r.Status, r.Body)
		}
		a := decode[actionResp](t, r.Body)
		if len(a.Targets) != 1 || a.Targets[0] != minister.ID || a.AppealDeadline == nil || *a.AppealDeadline != "2026-07-20T21:59:00Z" ||
			a.AppealTimezone != "Africa/Cairo" || a.LetterSubject != "Release Sara Ahmed" {
			t.Fatalf("created %s", r.Body)
		}
		for body, field := range map[string]string{
			`{"kind":"action_alert","headline":"x","targets":["nosuchtarget"]}`:         `"targets"`,
			`{"kind":"action_alert","headline":"x","appeal_timezone":"Mars/Olympus"}`:   `"appeal_timezone"`,
			`{"kind":"action_alert","headline":"x","appeal_deadline":"next week"}`:      `"appeal_deadline"`,
			`{"kind":"press_release","headline":"x","targets":["` + minister.ID + `"]}`: `"targets"`,
		} {
			tok := camp
			if strings.Contains(body, "press_release") {
				tok = env.token(models.RolePressOfficer)
			}
			if r := env.api("POST", "/api/v1/releases", tok, body); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, field) {
				t.Errorf("%s = %d %s", body, r.Status, r.Body)
			}
		}
		pub := approveAPI(t, env, camp, a.ID)
		if pub.Status != "published" || pub.IndexNumber == nil || !strings.HasPrefix(*pub.IndexNumber, "UA ") || pub.ActionURL == nil {
			t.Fatalf("approved: %+v", pub)
		}
		// The letter is approved content: changing it voids the approvals.
		r = env.api("PATCH", "/api/v1/releases/"+a.ID, camp, `{"letter_body":"A different letter.","correction_note":"The letter now names the court."}`)
		if r.Status != http.StatusOK {
			t.Fatalf("patch = %d %s", r.Status, r.Body)
		}
		var doc models.Document
		env.db.Gorm.Take(&doc, "id = ?", a.ID)
		if !doc.CorrectionPending || doc.CurrentRevision != 2 {
			t.Errorf("after editing the letter of a published action: %+v", doc)
		}
		if r := env.api("PATCH", "/api/v1/releases/"+a.ID, camp, `{"update_of":"`+a.ID+`"}`); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("patch update_of = %d", r.Status)
		}
		// An unchanged save of the same action fields makes no revision.
		var ts []models.ActionTarget
		env.db.Gorm.Where("document_id = ?", a.ID).Find(&ts)
		if len(ts) != 1 {
			t.Errorf("action targets %v", ts)
		}
	})
}

// TestAlertPageLeadsToTheLetter: the newsroom page of an Urgent Action (where
// the alert's email and the actions listing send readers) leads to the
// letter composer on /a/{slug}; an alert that names no officials, and a
// press release, have no such link.
func TestAlertPageLeadsToTheLetter(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ua := publishUA(t, env, "2026-08-01T00:00:00Z")
		page := env.api("GET", "/news/"+ua.action.Slug, "", "")
		if page.Status != http.StatusOK || !strings.Contains(page.Body, `href="/a/`+ua.action.Slug+`"`) || !strings.Contains(page.Body, "Write to the officials") {
			t.Errorf("the Urgent Action's newsroom page = %d, no link to its letter composer", page.Status)
		}
		r := env.api("POST", "/api/v1/releases", ua.camp, `{"kind":"action_alert","headline":"Join the vigil","body":"Saturday at noon."}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create alert = %d %s", r.Status, r.Body)
		}
		plain := approveAPI(t, env, ua.camp, decode[actionResp](t, r.Body).ID)
		if p := env.api("GET", "/news/"+plain.Slug, "", ""); p.Status != http.StatusOK || strings.Contains(p.Body, `href="/a/`) {
			t.Errorf("an alert with no officials = %d, links to a letter composer", p.Status)
		}
		rel := env.publish(t, "A press release", "Body.", nil, nil)
		if p := env.api("GET", "/news/"+*rel.Slug, "", ""); p.Status != http.StatusOK || strings.Contains(p.Body, `href="/a/`) {
			t.Errorf("a press release = %d, links to a letter composer", p.Status)
		}

		// The supporters' email of the Urgent Action: its button goes to the
		// letter, credited to the send; the plain alert's to its page.
		for _, c := range []struct {
			a      actionResp
			letter bool
		}{{ua.action, true}, {plain, false}} {
			d, err := models.DocumentByID(context.Background(), env.db.Gorm, c.a.ID)
			if err != nil {
				t.Fatal(err)
			}
			s := &models.Send{ID: "send" + c.a.ID, DocumentID: d.ID, Revision: d.ApprovedRevision, Kind: d.Kind}
			content, err := jobs.ComposeSend(context.Background(), env.db.Gorm, s, env.cfg.BaseURL.String(), env.cfg.MediaKey(), env.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			letter := env.cfg.BaseURL.String() + "/a/" + c.a.Slug + "?src="
			html := content.Supporter.HTML
			if got := strings.Contains(html, `href="`+letter) && strings.Contains(html, "Write to the officials"); got != c.letter {
				t.Errorf("%s: the supporters' email leads to the letter = %t, want %t:\n%s", c.a.Slug, got, c.letter, html)
			}
			if !c.letter && !strings.Contains(html, "Read more and take action") {
				t.Errorf("%s: the plain alert's email lost its button:\n%s", c.a.Slug, html)
			}
		}
	})
}

// TestTranslatedActionIsOneCase: a translation of an Urgent Action is the
// same case in another language: its page carries its own letter but the
// original's deadline, it closes when the original does, and a writer who
// wrote to an official in one language cannot write to them again in the
// other. A Further Information update goes to those who wrote in either.
func TestTranslatedActionIsOneCase(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ua := publishUA(t, env, "2026-07-20T23:59:00+03:00")
		r := env.api("POST", "/api/v1/releases", ua.camp, `{"kind":"action_alert","original_id":"`+ua.action.ID+`","language":"fr","headline":"Égypte : libérez Sara Ahmed",
			"body":"Sara Ahmed a été arrêtée.","targets":["`+ua.minister.ID+`"],"letter_subject":"Libérez Sara Ahmed","letter_body":"Je vous demande de libérer Sara Ahmed."}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create translation = %d %s", r.Status, r.Body)
		}
		fr := approveAPI(t, env, ua.camp, decode[actionResp](t, r.Body).ID)
		page := env.api("GET", "/a/"+fr.Slug, "", "")
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "Je vous demande de libérer Sara Ahmed.") || !strings.Contains(page.Body, "Envoyez vos appels avant le") ||
			!strings.Contains(page.Body, "20 juillet 2026") {
			t.Errorf("the French page = %d: its own letter, or the case's deadline, is missing", page.Status)
		}

		const ana = "ana@example.org"
		env.db.Gorm.Create(&models.LetterWriter{NormalisedEmail: ana, ConfirmedAt: env.clock.Now()})
		letter := `{"name":"Ana","email":"` + ana + `","country":"BR","subject":"S","body":"My own words.","target_ids":["` + ua.minister.ID + `"]}`
		if r := writeLetterAs(t, env, ua.action.Slug, ana, letter); r.Status != http.StatusAccepted {
			t.Fatalf("English letter = %d %s", r.Status, r.Body)
		}
		if r := writeLetterAs(t, env, fr.Slug, ana, letter); r.Status != http.StatusConflict || !strings.Contains(r.Body, "already written to Omar Marwan") {
			t.Errorf("the same writer to the same official in French = %d %s, want 409", r.Status, r.Body)
		}
		var n int64
		env.db.Gorm.Model(&models.LetterDelivery{}).Where("target_id = ? AND normalised_email = ?", ua.minister.ID, ana).Count(&n)
		if n != 1 {
			t.Errorf("%d letters from Ana to the minister, want 1", n)
		}

		// A writer who opted in on the French page hears of the update.
		const lea = "lea@example.org"
		env.db.Gorm.Create(&models.LetterWriter{NormalisedEmail: lea, ConfirmedAt: env.clock.Now()})
		if r := writeLetterAs(t, env, fr.Slug, lea, `{"name":"Léa","email":"`+lea+`","country":"FR","subject":"S","body":"Mes mots.","target_ids":["`+ua.minister.ID+`"],"opt_in":true}`); r.Status != http.StatusAccepted {
			t.Fatalf("French letter = %d %s", r.Status, r.Body)
		}
		r = env.api("POST", "/api/v1/releases", ua.camp, `{"kind":"action_alert","headline":"Sara Ahmed moved to another prison","body":"Keep writing.","update_of":"`+ua.action.ID+`"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create update = %d %s", r.Status, r.Body)
		}
		up := approveAPI(t, env, ua.camp, decode[actionResp](t, r.Body).ID)
		r = env.api("POST", "/api/v1/sends", ua.camp, `{"release_id":"`+up.ID+`","action_participants_of":["`+ua.action.ID+`"]}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("send = %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/sends/"+decode[struct{ ID string }](t, r.Body).ID+"/dispatch", ua.camp, ""); r.Status != http.StatusAccepted {
			t.Fatalf("dispatch = %d %s", r.Status, r.Body)
		}
		if m := waitOutbox(t, env, lea, 1)[0]; !strings.Contains(m.Subject+m.TextBody, "(Update 1)") {
			t.Errorf("the French writer's mail is not the update: %q", m.Subject)
		}
		// The case's counts hold the letters in both languages, on either page.
		for _, id := range []string{ua.action.ID, fr.ID} {
			c := decode[models.LetterCounts](t, env.api("GET", "/api/v1/releases/"+id+"/letters", ua.camp, "").Body)
			if c.Total != 2 || c.ByCountry["BR"] != 1 || c.ByCountry["FR"] != 1 {
				t.Errorf("letters of %s: %+v, want Ana's and Léa's", id, c)
			}
			if page := env.login(models.RoleViewer).get("/admin/releases/" + id); !strings.Contains(page.Body, "and 2 letters") {
				t.Errorf("the analytics of %s do not chart the case's 2 letters", id)
			}
		}

		env.clock.Set(time.Date(2026, 7, 21, 0, 0, 0, 0, time.UTC))
		if p := env.api("GET", "/a/"+fr.Slug, "", ""); strings.Contains(p.Body, `name="body"`) {
			t.Error("the French page still offers the composer after the case's deadline")
		}
		if r := writeLetter(t, env, fr.Slug, `{"name":"Cy","email":"cy@example.org","country":"FR","subject":"S","body":"Trop tard.","target_ids":["`+ua.minister.ID+`"]}`); r.Status != http.StatusConflict ||
			!strings.Contains(r.Body, "action_closed") {
			t.Errorf("a French letter after the deadline = %d %s, want 409", r.Status, r.Body)
		}
	})
}
