package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"pressroom/app"
	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

var signatureLink = regexp.MustCompile(`/p/[a-z0-9-]+/confirm/[a-z2-7]+`)

func signatureLinkIn(t *testing.T, m models.OutboxMessage) string {
	t.Helper()
	link := signatureLink.FindString(m.TextBody)
	if link == "" {
		t.Fatalf("no confirmation link in %q", m.TextBody)
	}
	return link
}

// newOpenPetition creates and opens a petition through the API.
func newOpenPetition(t *testing.T, env *testEnv, token, body string) petitionResp {
	t.Helper()
	r := env.api("POST", "/api/v1/petitions", token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create petition = %d %s", r.Status, r.Body)
	}
	p := decode[petitionResp](t, r.Body)
	if p.Status != "draft" || p.Slug == "" {
		t.Fatalf("created %+v", p)
	}
	if r := env.api("POST", "/api/v1/petitions/"+p.ID+"/open", token, ""); r.Status != http.StatusOK {
		t.Fatalf("open = %d %s", r.Status, r.Body)
	}
	return p
}

type petitionResp struct {
	ID                  string           `json:"id"`
	Slug                string           `json:"slug"`
	Status              string           `json:"status"`
	Public              bool             `json:"public"`
	ConfirmedSignatures int64            `json:"confirmed_signatures"`
	PendingSignatures   int64            `json:"pending_signatures"`
	FlaggedSignatures   int64            `json:"flagged_signatures"`
	ByCountry           map[string]int64 `json:"by_country"`
	TextUpdatedAt       *time.Time       `json:"text_updated_at"`
}

func signAPI(t *testing.T, env *testEnv, slug, body string) response {
	t.Helper()
	return env.api("POST", "/api/v1/public/petitions/"+slug+"/signatures", "", body)
}

func signatureRows(t *testing.T, env *testEnv, petitionID string) []models.Signature {
	t.Helper()
	var ss []models.Signature
	if err := env.db.Gorm.Where("petition_id = ?", petitionID).Order("created_at, id").Find(&ss).Error; err != nil {
		t.Fatal(err)
	}
	return ss
}

// waitCount polls count.json until it shows want confirmed signatures.
func waitCount(t *testing.T, env *testEnv, slug string, want int64) response {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := env.api("GET", "/p/"+slug+"/count.json", "", "")
		if r.Status == http.StatusOK && decode[struct{ Confirmed int64 }](t, r.Body).Confirmed == want {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("count.json = %d %s after 15s, want %d confirmed", r.Status, r.Body, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPetitionEndToEnd: a campaigner creates and opens a petition; a supporter
// signs over the API, gets the link, and only a POST on it confirms; aliases of
// the same mailbox store nothing and get the same answer; the count job moves
// the counter; opting in subscribes only after confirmation; the CSV export is
// formula-safe and audited; a closed petition answers 409.
func TestPetitionEndToEnd(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		camp := env.token(models.RoleCampaigner)
		viewer := env.token(models.RoleViewer)
		r := env.api("POST", "/api/v1/campaigns", camp, `{"name":"Syria arms embargo","description":"Stop the arms."}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create campaign = %d %s", r.Status, r.Body)
		}
		cmp := decode[struct{ ID, Slug string }](t, r.Body)
		if cmp.Slug != "syria-arms-embargo" {
			t.Errorf("campaign slug %q", cmp.Slug)
		}
		body := `{"title":"Stop arms sales to Syria","target":"The Foreign Secretary","demand":"Halt every arms export licence now.","body":"Why **now**.","goal":100,"campaign_id":"` + cmp.ID + `"}`
		if r := env.api("POST", "/api/v1/petitions", viewer, body); r.Status != http.StatusForbidden {
			t.Fatalf("viewer create = %d", r.Status)
		}
		if r := env.api("POST", "/api/v1/petitions", camp, `{"title":"x","status":"open"}`); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"status"`) {
			t.Fatalf("read-only field accepted: %d %s", r.Status, r.Body)
		}
		r = env.api("POST", "/api/v1/petitions", camp, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("create = %d %s", r.Status, r.Body)
		}
		p := decode[petitionResp](t, r.Body)
		if r := env.api("GET", "/p/"+p.Slug, "", ""); r.Status != http.StatusNotFound {
			t.Fatalf("draft page = %d", r.Status)
		}
		if r := signAPI(t, env, p.Slug, `{"name":"A","email":"a@example.org","country":"GB"}`); r.Status != http.StatusNotFound {
			t.Fatalf("signing a draft = %d", r.Status)
		}
		if r := env.api("POST", "/api/v1/petitions/"+p.ID+"/open", camp, ""); r.Status != http.StatusOK {
			t.Fatalf("open = %d %s", r.Status, r.Body)
		}
		page := env.browser().get("/p/" + p.Slug)
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "<strong>Halt every arms export licence now.</strong>") || !strings.Contains(page.Body, `<form method="post" action="/p/`+p.Slug+`"`) {
			t.Fatalf("petition page = %d %s", page.Status, page.Body)
		}

		// Sign: 202, one pending signature, the link in the outbox.
		want := `{"status":"check_your_email"}`
		r = signAPI(t, env, p.Slug, `{"name":"Ada Lovelace","email":"Ada.Lovelace+petition@gmail.com","country":"gb","postcode":"N1 9GU","opt_in":true}`)
		if r.Status != http.StatusAccepted || r.Body != want {
			t.Fatalf("sign = %d %s", r.Status, r.Body)
		}
		m := waitOutbox(t, env, "ada.lovelace+petition@gmail.com", 1)[0]
		if !strings.HasPrefix(m.Subject, "Please confirm your signature") {
			t.Errorf("subject %q", m.Subject)
		}
		link := signatureLinkIn(t, m)
		// Aliases of the mailbox: the same answer, nothing stored.
		for _, alias := range []string{"ADA.LOVELACE+PETITION@GMAIL.COM", "adalovelace@googlemail.com", "a.d.a.lovelace+x@gmail.com"} {
			r := signAPI(t, env, p.Slug, `{"name":"Ada Lovelace","email":"`+alias+`","country":"GB"}`)
			if r.Status != http.StatusAccepted || r.Body != want {
				t.Errorf("alias %s = %d %s", alias, r.Status, r.Body)
			}
		}
		if ss := signatureRows(t, env, p.ID); len(ss) != 1 || ss[0].State != models.SignaturePending || ss[0].EmailsSent != models.MaxSignatureEmails {
			t.Fatalf("signatures after aliases: %+v", ss)
		}
		sup, err := models.SupporterByEmail(ctx, env.db.Gorm, "ada.lovelace+petition@gmail.com")
		if err != nil || sup.Status != models.StatusPending {
			t.Fatalf("opt-in supporter before confirming: %+v %v", sup, err)
		}

		// A GET on the link (a mail scanner) confirms nothing.
		signer := env.browser()
		cp := signer.get(link)
		if cp.Status != http.StatusOK || !strings.Contains(cp.Body, "Confirm my signature") {
			t.Fatalf("confirm page = %d %s", cp.Status, cp.Body)
		}
		if ss := signatureRows(t, env, p.ID); ss[0].State != models.SignaturePending {
			t.Fatal("a GET confirmed the signature")
		}
		done := signer.post(link, link, nil)
		if done.Status != http.StatusOK || !strings.Contains(done.Body, "is confirmed") {
			t.Fatalf("confirm POST = %d %s", done.Status, done.Body)
		}
		ss := signatureRows(t, env, p.ID)
		if ss[0].State != models.SignatureConfirmed || ss[0].ConsentWording != models.PetitionConsentWording || ss[0].Country != "GB" {
			t.Fatalf("after confirm: %+v", ss[0])
		}
		sup, _ = models.SupporterByEmail(ctx, env.db.Gorm, "ada.lovelace+petition@gmail.com")
		if sup.Status != models.StatusSubscribed {
			t.Fatalf("supporter after confirm = %s", sup.Status)
		}
		recs, _ := models.ConsentRecords(ctx, env.db.Gorm, sup.ID)
		confirmedBy := ""
		for _, rec := range recs {
			if rec.Action == models.ConsentConfirmed {
				confirmedBy = rec.Source
			}
		}
		if confirmedBy != "petition:"+p.Slug {
			t.Errorf("consent records %+v: no confirmation with the petition as source", recs)
		}

		// The count job moves the counter; count.json is cached for the interval.
		cr := waitCount(t, env, p.Slug, 1)
		if cc := cr.Header.Get("Cache-Control"); cc != "public, max-age=2" {
			t.Errorf("count.json Cache-Control %q", cc)
		}
		if c := decode[struct {
			Goal      int
			Status    string
			ByCountry map[string]int64 `json:"by_country"`
		}](t, cr.Body); c.Goal != 100 || c.Status != "open" || c.ByCountry["GB"] != 1 {
			t.Errorf("count.json %s", cr.Body)
		}

		// A confirmed signer signing again: same answer, "already signed" mail.
		r = signAPI(t, env, p.Slug, `{"name":"=HYPERLINK(\"http://evil\")","email":"bob@example.org","country":"FR"}`)
		bobLink := signatureLinkIn(t, waitOutbox(t, env, "bob@example.org", 1)[0])
		if r := env.browser().post(bobLink, bobLink, nil); r.Status != http.StatusOK {
			t.Fatalf("bob confirm = %d", r.Status)
		}
		if r := signAPI(t, env, p.Slug, `{"name":"Bob","email":"Bob@Example.org","country":"FR"}`); r.Status != http.StatusAccepted || r.Body != want {
			t.Fatalf("repeat = %d %s", r.Status, r.Body)
		}
		if ms := waitOutbox(t, env, "bob@example.org", 2); !strings.HasPrefix(ms[0].Subject, "You have already signed") {
			t.Errorf("second mail to bob: %q", ms[0].Subject)
		}
		waitCount(t, env, p.Slug, 2)

		r = env.api("GET", "/api/v1/petitions/"+p.ID, viewer, "")
		d := decode[petitionResp](t, r.Body)
		if r.Status != http.StatusOK || d.ConfirmedSignatures != 2 || d.PendingSignatures != 0 || d.ByCountry["FR"] != 1 || !d.Public {
			t.Fatalf("petition detail = %d %s", r.Status, r.Body)
		}

		// The delivery CSV: no addresses, formulas neutralised, audited.
		if r := env.api("GET", "/api/v1/petitions/"+p.ID+"/signatures.csv", viewer, ""); r.Status != http.StatusForbidden {
			t.Errorf("viewer export = %d", r.Status)
		}
		csvr := env.api("GET", "/api/v1/petitions/"+p.ID+"/signatures.csv", camp, "")
		if csvr.Status != http.StatusOK || !strings.Contains(csvr.Body, `"'=HYPERLINK(""http://evil"")",FR,`) || strings.Contains(csvr.Body, "@") ||
			!strings.Contains(csvr.Body, "Ada Lovelace,GB,N1 9GU,") {
			t.Fatalf("csv = %d %q", csvr.Status, csvr.Body)
		}
		var audits int64
		pdf := env.api("GET", "/api/v1/petitions/"+p.ID+"/handin.pdf", camp, "")
		if pdf.Status != http.StatusOK || !strings.HasPrefix(pdf.Body, "%PDF-") || pdf.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(pdf.Body, "/Title") {
			t.Fatalf("hand-in pdf = %d %q", pdf.Status, pdf.Header.Get("Content-Type"))
		}
		env.db.Gorm.Model(&models.AuditEvent{}).Where("action = ? AND subject_id = ?", "petition_handin_exported", p.ID).Count(&audits)
		if audits != 1 {
			t.Errorf("%d hand-in audit events", audits)
		}
		audits = 0
		env.db.Gorm.Model(&models.AuditEvent{}).Where("action = ? AND subject_id = ?", "petition_signatures_exported", p.ID).Count(&audits)
		if audits != 1 {
			t.Errorf("%d export audit events", audits)
		}

		// An open petition's demand changes only with confirmation.
		if r := env.api("PATCH", "/api/v1/petitions/"+p.ID, camp, `{"demand":"Something else."}`); r.Status != http.StatusConflict || !strings.Contains(r.Body, "confirmation_required") {
			t.Fatalf("unconfirmed demand change = %d %s", r.Status, r.Body)
		}
		r = env.api("PATCH", "/api/v1/petitions/"+p.ID, camp, `{"demand":"Halt all arms exports now.","confirm_text_change":true}`)
		if r.Status != http.StatusOK || decode[petitionResp](t, r.Body).TextUpdatedAt == nil {
			t.Fatalf("confirmed demand change = %d %s", r.Status, r.Body)
		}
		if pg := env.browser().get("/p/" + p.Slug); !strings.Contains(pg.Body, "updated on") {
			t.Error("the page does not say the demand was updated")
		}
		// The campaign groups it.
		r = env.api("GET", "/api/v1/campaigns/"+cmp.ID, viewer, "")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `"id":"`+p.ID+`"`) {
			t.Fatalf("campaign detail = %d %s", r.Status, r.Body)
		}
		if pg := env.browser().get("/c/" + cmp.Slug); pg.Status != http.StatusOK || !strings.Contains(pg.Body, "/p/"+p.Slug) {
			t.Fatalf("public campaign page = %d", pg.Status)
		}

		// Closed: 409 on the API, no form on the page, the final count shown.
		if r := env.api("POST", "/api/v1/petitions/"+p.ID+"/close", camp, ""); r.Status != http.StatusOK {
			t.Fatalf("close = %d %s", r.Status, r.Body)
		}
		if r := signAPI(t, env, p.Slug, `{"name":"Late","email":"late@example.org","country":"GB"}`); r.Status != http.StatusConflict || !strings.Contains(r.Body, "petition_closed") {
			t.Fatalf("sign closed = %d %s", r.Status, r.Body)
		}
		pg := env.browser().get("/p/" + p.Slug)
		if !strings.Contains(pg.Body, "This petition is closed") || strings.Contains(pg.Body, `name="email"`) {
			t.Errorf("closed page still has its form")
		}
	})
}

// TestPetitionAbuseOverHTTP: past the burst a signature is flagged with the
// same answer; the honeypot flags silently; past the ceiling 429.
func TestPetitionAbuseOverHTTP(t *testing.T) {
	run(t, envOptions{env: map[string]string{"SIGNATURE_BURST": "2/1m", "SIGNATURE_SUSTAINED": "100/1h", "SIGNATURE_CEILING": "4/1m"}}, func(t *testing.T, env *testEnv) {
		camp := env.token(models.RoleCampaigner)
		p := newOpenPetition(t, env, camp, `{"title":"Abuse","target":"T","demand":"D."}`)
		for _, e := range []string{"one@example.org", "two@example.org", "three@example.org"} {
			if r := signAPI(t, env, p.Slug, `{"name":"N","email":"`+e+`","country":"GB"}`); r.Status != http.StatusAccepted || r.Body != `{"status":"check_your_email"}` {
				t.Fatalf("sign %s = %d %s", e, r.Status, r.Body)
			}
		}
		// The form, with the hidden honeypot filled in, as a bot would.
		b := env.browser()
		r := b.sameOrigin("/p/"+p.Slug, url.Values{"name": {"Bot"}, "email": {"bot@example.org"}, "country": {"GB"}, "website": {"http://spam.example"}})
		if r.Status != http.StatusSeeOther || r.Location != "/p/"+p.Slug+"/thanks" {
			t.Fatalf("honeypot form = %d %q", r.Status, r.Location)
		}
		ss := signatureRows(t, env, p.ID)
		got := map[string]string{}
		for _, s := range ss {
			got[s.Address()] = string(s.State) + "/" + s.FlagReason
		}
		wantStates := map[string]string{"one@example.org": "pending/", "two@example.org": "pending/", "three@example.org": "flagged/rate_burst", "bot@example.org": "flagged/honeypot"}
		for k, v := range wantStates {
			if got[k] != v {
				t.Errorf("%s: %s, want %s", k, got[k], v)
			}
		}
		r = signAPI(t, env, p.Slug, `{"name":"N","email":"five@example.org","country":"GB"}`)
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Fatalf("past the ceiling = %d %s", r.Status, r.Body)
		}
		if n := len(signatureRows(t, env, p.ID)); n != 4 {
			t.Errorf("%d signatures stored, want 4", n)
		}
		// Bad input gets a clear message, nothing stored.
		r = signAPI(t, env, p.Slug, `{"name":"","email":"nope","country":"XX"}`)
		var e struct {
			Error struct{ Fields map[string]string }
		}
		_ = json.Unmarshal([]byte(r.Body), &e)
		if r.Status != http.StatusUnprocessableEntity || e.Error.Fields["email"] == "" || e.Error.Fields["country"] == "" || e.Error.Fields["name"] == "" {
			t.Fatalf("invalid = %d %s", r.Status, r.Body)
		}
		// The form keeps the input and shows the message beside the field.
		r = b.sameOrigin("/p/"+p.Slug, url.Values{"name": {"Keep Me"}, "email": {"bad"}, "country": {"GB"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `value="Keep Me"`) || !strings.Contains(r.Body, `id="email-error"`) {
			t.Fatalf("form error = %d", r.Status)
		}
	})
}

// TestPetitionWaitsForEmbargo: a petition linked to an embargoed release is
// on no public surface until the embargo lifts, then open within seconds.
func TestPetitionWaitsForEmbargo(t *testing.T) {
	run(t, envOptions{work: true, versionTTL: app.DefaultNewsroomVersionTTL}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		now := env.clock.Now()
		embargo := now.Add(time.Hour)
		headline, bodyText, tz := "Arms exports condemned", "The **government** must act.", "Europe/London"
		ep := &embargo
		press := env.users[models.RolePressOfficer]
		d, err := models.CreateDocument(ctx, env.db.Gorm, press, models.DocumentInput{Kind: models.KindPressRelease, Headline: &headline, Body: &bodyText, EmbargoAt: &ep, EmbargoTZ: &tz}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.SubmitDocument(ctx, env.db.Gorm, press, d.ID, false, now); err != nil {
			t.Fatal(err)
		}
		if _, err := models.ApproveDocument(ctx, env.db.Gorm, env.users[models.RoleApprover], d.ID, "", now); err != nil {
			t.Fatal(err)
		}
		if _, err := models.ApproveDocument(ctx, env.db.Gorm, env.legal, d.ID, "", now); err != nil {
			t.Fatal(err)
		}
		camp := env.token(models.RoleCampaigner)
		cmp := decode[struct{ ID, Slug string }](t, env.api("POST", "/api/v1/campaigns", camp, `{"name":"Embargo campaign"}`).Body)
		r := env.api("POST", "/api/v1/petitions", camp, `{"title":"Embargoed","target":"T","demand":"D.","campaign_id":"`+cmp.ID+`","release_id":"`+d.ID+`"}`)
		p := decode[petitionResp](t, r.Body)
		if r := env.api("POST", "/api/v1/petitions/"+p.ID+"/open", camp, ""); r.Status != http.StatusConflict {
			t.Fatalf("open before the lift without open_on_embargo_lift = %d %s", r.Status, r.Body)
		}
		env.api("PATCH", "/api/v1/petitions/"+p.ID, camp, `{"open_on_embargo_lift":true}`)
		if r := env.api("POST", "/api/v1/petitions/"+p.ID+"/open", camp, ""); r.Status != http.StatusOK || decode[petitionResp](t, r.Body).Public {
			t.Fatalf("open with the lift = %d %s", r.Status, r.Body)
		}
		anon := env.browser()
		surfaces := func() map[string]int {
			out := map[string]int{}
			out["page"] = anon.get("/p/" + p.Slug).Status
			out["count"] = anon.get("/p/" + p.Slug + "/count.json").Status
			out["embed"] = anon.get("/p/" + p.Slug + "/embed").Status
			out["sign"] = signAPI(t, env, p.Slug, `{"name":"N","email":"n@example.org","country":"GB"}`).Status
			if strings.Contains(anon.get("/c/"+cmp.Slug).Body, "/p/"+p.Slug) {
				out["campaign"] = 200
			} else {
				out["campaign"] = 404
			}
			return out
		}
		for k, v := range surfaces() {
			if v != http.StatusNotFound {
				t.Errorf("before the lift %s = %d, want 404", k, v)
			}
		}
		if n := len(signatureRows(t, env, p.ID)); n != 0 {
			t.Fatalf("%d signatures taken under embargo", n)
		}
		// The embargo time comes now: the test's clock reaches it, and the
		// lateness is measured from that moment on the real clock.
		env.clock.Set(embargo)
		lifted := time.Now()
		for anon.get("/p/"+p.Slug).Status != http.StatusOK {
			if time.Since(lifted) > 2*time.Second {
				t.Fatalf("the petition did not open within 2s of the embargo time (%v so far)", time.Since(lifted).Round(time.Millisecond))
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("open %v after the embargo time", time.Since(lifted).Round(time.Millisecond))
		got := surfaces()
		if got["page"] != 200 || got["count"] != 200 || got["embed"] != 200 || got["sign"] != 202 || got["campaign"] != 200 {
			t.Fatalf("after the lift: %v", got)
		}
	})
}

// TestPetitionMailThroughSendGrid: the confirmation goes out through SendGrid
// (the fake) as a transactional message with the link.
func TestPetitionMailThroughSendGrid(t *testing.T) {
	fake := sendgridfake.New("SG.petition").Start()
	defer fake.Close()
	run(t, envOptions{work: true, transport: jobs.NewSendGrid("SG.petition", fake.URL())}, func(t *testing.T, env *testEnv) {
		fake.Reset()
		camp := env.token(models.RoleCampaigner)
		p := newOpenPetition(t, env, camp, `{"title":"Via SendGrid","target":"T","demand":"D."}`)
		if r := signAPI(t, env, p.Slug, `{"name":"Sam","email":"sam@example.org","country":"GB"}`); r.Status != http.StatusAccepted {
			t.Fatalf("sign = %d", r.Status)
		}
		deadline := time.Now().Add(15 * time.Second)
		for fake.Count() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("nothing reached SendGrid")
			}
			time.Sleep(100 * time.Millisecond)
		}
		rs := fake.Recipients()
		subject, text, _ := rs[0].Render()
		if rs[0].Email != "sam@example.org" || !strings.HasPrefix(subject, "Please confirm your signature") || !signatureLink.MatchString(text) ||
			len(rs[0].Categories) != 1 || rs[0].Categories[0] != "petition_confirm" || rs[0].Headers["List-Unsubscribe"] != "" {
			t.Fatalf("sent %+v", rs[0])
		}
	})
}

// TestPetitionCORS: the organisation's own sites may sign and read the count
// from the browser; other origins get no CORS headers.
func TestPetitionCORS(t *testing.T) {
	run(t, envOptions{env: map[string]string{"PUBLIC_ALLOWED_ORIGINS": "https://www.example.org, https://act.example.org/"}}, func(t *testing.T, env *testEnv) {
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Embedded","target":"T","demand":"D."}`)
		path := "/api/v1/public/petitions/" + p.Slug + "/signatures"
		call := func(method, path, origin, body string) response {
			req, _ := http.NewRequest(method, env.http.URL+path, strings.NewReader(body))
			req.Header.Set("Origin", origin)
			if method == http.MethodOptions {
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "content-type")
			} else if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return response{Status: resp.StatusCode, Header: resp.Header}
		}
		r := call(http.MethodOptions, path, "https://act.example.org", "")
		if r.Status != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != "https://act.example.org" ||
			!strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "POST") || !strings.Contains(strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")), "content-type") {
			t.Fatalf("allowed preflight = %d %v", r.Status, r.Header)
		}
		if r := call(http.MethodOptions, path, "https://evil.example", ""); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("preflight from another origin allowed: %v", r.Header)
		}
		r = call(http.MethodPost, path, "https://www.example.org", `{"name":"N","email":"n@example.org","country":"GB"}`)
		if r.Status != http.StatusAccepted || r.Header.Get("Access-Control-Allow-Origin") != "https://www.example.org" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("allowed sign = %d %v", r.Status, r.Header)
		}
		if r := call(http.MethodGet, "/p/"+p.Slug+"/count.json", "https://www.example.org", ""); r.Header.Get("Access-Control-Allow-Origin") != "https://www.example.org" {
			t.Fatalf("count.json CORS %v", r.Header)
		}
		if r := call(http.MethodGet, "/p/"+p.Slug+"/count.json", "https://evil.example", ""); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("count.json allowed another origin: %v", r.Header)
		}
	})
}

// TestPetitionBulkInvalidation: preview, apply as a job, the count drops,
// reverse, the count comes back; all audited.
func TestPetitionBulkInvalidation(t *testing.T) {
	run(t, envOptions{work: true, env: map[string]string{"SIGNATURE_BURST": "100/1m"}}, func(t *testing.T, env *testEnv) {
		camp := env.token(models.RoleCampaigner)
		p := newOpenPetition(t, env, camp, `{"title":"Bulk","target":"T","demand":"D."}`)
		for _, e := range []string{"a@real.example", "b@real.example", "x@spam.example", "y@spam.example", "z@spam.example"} {
			if r := signAPI(t, env, p.Slug, `{"name":"N","email":"`+e+`","country":"GB"}`); r.Status != http.StatusAccepted {
				t.Fatalf("sign = %d", r.Status)
			}
		}
		// Confirm all but one spam address.
		for _, e := range []string{"a@real.example", "b@real.example", "x@spam.example", "y@spam.example"} {
			link := signatureLinkIn(t, waitOutbox(t, env, e, 1)[0])
			if r := env.browser().post(link, link, nil); r.Status != http.StatusOK {
				t.Fatalf("confirm %s = %d", e, r.Status)
			}
		}
		waitCount(t, env, p.Slug, 4)
		base := "/api/v1/petitions/" + p.ID + "/invalidations"
		r := env.api("POST", base+"/preview", camp, `{"domain":"SPAM.example"}`)
		if r.Status != http.StatusOK || r.Body != `{"matches":3}` {
			t.Fatalf("preview = %d %s", r.Status, r.Body)
		}
		r = env.api("POST", base, camp, `{"domain":"spam.example"}`)
		if r.Status != http.StatusAccepted {
			t.Fatalf("apply = %d %s", r.Status, r.Body)
		}
		inv := decode[struct{ ID string }](t, r.Body)
		deadline := time.Now().Add(15 * time.Second)
		for {
			st := decode[struct {
				Status      string
				Invalidated int
			}](t, env.api("GET", "/api/v1/invalidations/"+inv.ID, camp, "").Body)
			if st.Status == "done" {
				if st.Invalidated != 3 {
					t.Fatalf("invalidated %d, want 3", st.Invalidated)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("invalidation still %s", st.Status)
			}
			time.Sleep(100 * time.Millisecond)
		}
		waitCount(t, env, p.Slug, 2)
		if d := decode[petitionResp](t, env.api("GET", "/api/v1/petitions/"+p.ID, camp, "").Body); d.ConfirmedSignatures != 2 {
			t.Errorf("confirmed after invalidation = %d", d.ConfirmedSignatures)
		}
		if r := env.api("POST", "/api/v1/invalidations/"+inv.ID+"/reverse", camp, ""); r.Status != http.StatusOK {
			t.Fatalf("reverse = %d %s", r.Status, r.Body)
		}
		waitCount(t, env, p.Slug, 4)
		var pendingBack int64
		env.db.Gorm.Model(&models.Signature{}).Where("petition_id = ? AND state = ?", p.ID, models.SignaturePending).Count(&pendingBack)
		if pendingBack != 1 {
			t.Errorf("%d pending after the reversal, want the 1 that was pending", pendingBack)
		}
		var audits int64
		env.db.Gorm.Model(&models.AuditEvent{}).Where("subject_id = ? AND action IN ?", p.ID, []string{"signatures_invalidated", "signatures_invalidation_reversed"}).Count(&audits)
		if audits != 2 {
			t.Errorf("%d invalidation audit events, want 2", audits)
		}
	})
}

// Counts read as people write them: a goal of 10,000, not 10000.
func TestPetitionPageGroupsItsNumbers(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := t.Context()
		camp := env.users[models.RoleCampaigner]
		goal, title := 10000, "Free the journalists"
		p, err := models.CreatePetition(ctx, env.db.Gorm, camp, models.PetitionInput{Title: &title, Target: ptr("The Interior Minister"),
			Demand: ptr("Release them now."), Body: ptr("Background."), Goal: &goal}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.OpenPetition(ctx, env.db.Gorm, camp, p.ID, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/p/" + p.Slug, "/p/" + p.Slug + "/embed"} {
			if r := env.browser().get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "of a goal of 10,000") {
				t.Errorf("%s = %d, want the goal written 10,000", path, r.Status)
			}
		}
	})
}
