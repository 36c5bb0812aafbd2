package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

// TestFurtherInformationUpdate: an update of an action carries the case's
// index with a suffix, the two pages link to each other, its send can go to
// everyone who acted on or received the original (an opted-in writer and a
// supporter the original was mailed to, but not a writer who did not opt in,
// nor an unrelated supporter), its link to the action page carries the send,
// and a final update with an outcome closes the original action.
func TestFurtherInformationUpdate(t *testing.T) {
	fake := sendgridfake.New("SG.updates").Start()
	t.Cleanup(fake.Close)
	run(t, envOptions{work: true, transport: jobs.NewSendGrid("SG.updates", fake.URL())}, func(t *testing.T, env *testEnv) {
		fake.Reset()
		ua := publishUA(t, env, "2026-08-01T00:00:00Z")
		for _, w := range []struct {
			email string
			optIn bool
		}{{"ana@example.org", true}, {"quiet@example.org", false}} {
			env.db.Gorm.Create(&models.LetterWriter{NormalisedEmail: w.email, ConfirmedAt: env.clock.Now()})
			r := writeLetterAs(t, env, ua.action.Slug, w.email, fmt.Sprintf(`{"name":"W","email":%q,"country":"GB","subject":"S","body":"My words.","opt_in":%v}`, w.email, w.optIn))
			if r.Status != http.StatusAccepted {
				t.Fatalf("letter = %d %s", r.Status, r.Body)
			}
		}
		// A supporter who received the original by email (but wrote nothing).
		list := decode[struct{ ID string }](t, env.api("POST", "/api/v1/supporter-lists", ua.camp, `{"name":"Network"}`).Body)
		if r := env.api("POST", "/api/v1/supporter-lists/"+list.ID+"/import", ua.camp, "email,name,consent_at\nreader@example.org,Reader,2026-01-01T00:00:00Z\n"); r.Status != http.StatusOK {
			t.Fatalf("import = %d %s", r.Status, r.Body)
		}
		r := env.api("POST", "/api/v1/sends", ua.camp, `{"release_id":"`+ua.action.ID+`","supporter_list_ids":["`+list.ID+`"]}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("send of the original = %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/sends/"+decode[struct{ ID string }](t, r.Body).ID+"/dispatch", ua.camp, ""); r.Status != http.StatusAccepted {
			t.Fatalf("dispatch the original = %d %s", r.Status, r.Body)
		}
		waitFor(t, "the original's mail", func() bool { return len(inbox(fake, "reader@example.org")) == 1 })
		bystander := "bystander@example.org"
		env.db.Gorm.Create(&models.Supporter{ID: models.NewID(), Email: &bystander, EmailHash: models.EmailHash(bystander), Name: "B", Status: models.StatusSubscribed,
			Frequency: "all", CreatedAt: env.clock.Now(), UpdatedAt: env.clock.Now()})
		origPage := env.cfg.URL("/a/" + ua.action.Slug)
		r = env.api("POST", "/api/v1/releases", ua.camp, `{"kind":"action_alert","headline":"Sara Ahmed released","body":"She is free. The case: `+origPage+`","update_of":"`+ua.action.ID+`",
			"targets":["`+ua.minister.ID+`"],"letter_subject":"Thank you","letter_body":"Thank you for releasing her.","outcome":"Released"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create update = %d %s", r.Status, r.Body)
		}
		up := approveAPI(t, env, ua.camp, decode[actionResp](t, r.Body).ID)
		if up.IndexNumber == nil || *up.IndexNumber != *ua.action.IndexNumber+" (Update 1)" || up.Slug == "" {
			t.Fatalf("update index %v slug %q", up.IndexNumber, up.Slug)
		}
		orig := env.api("GET", "/a/"+ua.action.Slug, "", "")
		if !strings.Contains(orig.Body, "/a/"+up.Slug) || !strings.Contains(orig.Body, "This action has ended") || !strings.Contains(orig.Body, "Released") ||
			strings.Contains(orig.Body, `name="body"`) {
			t.Errorf("original page after the final update = %d", orig.Status)
		}
		if p := env.api("GET", "/a/"+up.Slug, "", ""); !strings.Contains(p.Body, "/a/"+ua.action.Slug) || !strings.Contains(p.Body, "(Update 1)") {
			t.Errorf("update page does not link to the original")
		}
		if r := writeLetter(t, env, ua.action.Slug, `{"name":"Late","email":"late@example.org","country":"GB","subject":"S","body":"B"}`); r.Status != http.StatusConflict {
			t.Errorf("letter to a closed action = %d", r.Status)
		}
		r = env.api("POST", "/api/v1/sends", ua.camp, `{"release_id":"`+up.ID+`","action_participants_of":["`+ua.action.ID+`"]}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("send = %d %s", r.Status, r.Body)
		}
		sendID := decode[struct{ ID string }](t, r.Body).ID
		if r := env.api("POST", "/api/v1/sends/"+sendID+"/dispatch", ua.camp, ""); r.Status != http.StatusAccepted {
			t.Fatalf("dispatch = %d %s", r.Status, r.Body)
		}
		waitFor(t, "the update mail", func() bool {
			return len(inbox(fake, "ana@example.org")) == 1 && len(inbox(fake, "reader@example.org")) == 2
		})
		if s := inbox(fake, "ana@example.org")[0].Body.Subject; !strings.Contains(s, "(Update 1)") && !strings.Contains(messageText(inbox(fake, "ana@example.org")[0]), "(Update 1)") {
			t.Errorf("update mail does not carry the index: subject %q", s)
		}
		// Its link to the action page carries the send, so letters it brings count for it.
		if text := messageText(inbox(fake, "ana@example.org")[0]); !strings.Contains(text, origPage+"?src="+sendID) {
			t.Errorf("the update mail's link to the action page is not tracked:\n%s", text)
		}
		time.Sleep(300 * time.Millisecond)
		for _, other := range []string{"quiet@example.org", "bystander@example.org"} {
			if n := len(inbox(fake, other)); n != 0 {
				t.Errorf("%s got %d update mails", other, n)
			}
		}
	})
}
