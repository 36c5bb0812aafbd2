package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

var letterLink = regexp.MustCompile(`/a/[a-z0-9-]+/confirm/[a-z2-7]+`)

// uaFixture is a published Urgent Action with two targets.
type uaFixture struct {
	camp               string
	action             actionResp
	minister, attorney targetResp
}

// publishUA creates two targets (one by the API, one by CSV import), an
// action alert naming both, and takes it through both approvals.
func publishUA(t testing.TB, env *testEnv, deadline string) uaFixture {
	t.Helper()
	camp := env.token(models.RoleCampaigner)
	f := uaFixture{camp: camp}
	f.minister = newTarget(t, env, camp, `{"name":"Omar Marwan","title":"Minister of Justice","salutation":"Dear Minister","email":"minister@justice.example.gov",
		"country":"EG","postal_address":"Ministry of Justice\nLazoghly Square\nCairo\nEgypt"}`)
	r := env.api("POST", "/api/v1/targets/import", camp, "name,title,email,country,salutation,postal address\n"+
		"Hisham Barakat,Public Prosecutor,prosecutor@ppo.example.gov,EG,Dear Counsellor,\"Office of the Public Prosecutor\nCairo\"\n")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `"imported":1`) {
		t.Fatalf("import = %d %s", r.Status, r.Body)
	}
	list := decode[struct{ Items []targetResp }](t, env.api("GET", "/api/v1/targets?q=prosecutor", camp, "").Body)
	if len(list.Items) != 1 {
		t.Fatalf("imported target not found: %+v", list)
	}
	f.attorney = list.Items[0]
	r = env.api("POST", "/api/v1/releases", camp, `{"kind":"action_alert","headline":"Egypt: free Sara Ahmed","standfirst":"A lawyer held for her work.",
		"body":"Sara Ahmed was **arrested** on 1 July.","targets":["`+f.minister.ID+`","`+f.attorney.ID+`"],"appeal_deadline":"`+deadline+`",
		"appeal_timezone":"Africa/Cairo","letter_subject":"Release Sara Ahmed","letter_body":"I urge you to release Sara Ahmed immediately and unconditionally."}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("create action = %d %s", r.Status, r.Body)
	}
	f.action = approveAPI(t, env, camp, decode[actionResp](t, r.Body).ID)
	if f.action.Status != "published" || f.action.Slug == "" {
		t.Fatalf("action not published: %+v", f.action)
	}
	return f
}

func writeLetter(t *testing.T, env *testEnv, slug, body string) response {
	t.Helper()
	return env.api("POST", "/api/v1/public/actions/"+slug+"/letters", "", body)
}

// writeLetterAs posts a letter from the browser of the writer who confirmed
// the mailbox writer: it carries the writer cookie a confirmation leaves.
func writeLetterAs(t *testing.T, env *testEnv, slug, writer, body string) response {
	t.Helper()
	req, err := http.NewRequest("POST", env.http.URL+"/api/v1/public/actions/"+slug+"/letters", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: "pr_writer", Value: env.cfg.WriterProof(writer)})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: string(data), Header: resp.Header}
}

// waitFor polls until cond holds, or fails after 15 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// inbox lists what the fake SendGrid accepted for one address.
func inbox(fake *sendgridfake.Server, email string) []sendgridfake.Message {
	var out []sendgridfake.Message
	for _, m := range fake.Accepted() {
		for _, p := range m.Body.Personalizations {
			for _, to := range p.To {
				if strings.EqualFold(to.Email, email) {
					out = append(out, m)
				}
			}
		}
	}
	return out
}

func messageText(m sendgridfake.Message) string {
	for _, c := range m.Body.Content {
		if c.Type == "text/plain" {
			return c.Value
		}
	}
	return ""
}

// postEvents posts signed Event Webhook events.
func postEvents(t *testing.T, env *testEnv, signer *sendgridfake.Signer, events string) {
	t.Helper()
	now := fmt.Sprint(env.clock.Now().Unix())
	sig, err := signer.Sign(now, []byte(events))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", env.http.URL+"/webhooks/sendgrid", bytes.NewReader([]byte(events)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(sendgridfake.SignatureHeader, sig)
	req.Header.Set(sendgridfake.TimestampHeader, now)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook = %d %s", resp.StatusCode, body)
	}
}

// TestUrgentActionEndToEnd: targets created and imported; an Urgent Action
// with two targets approved and published; a supporter writes, confirms by
// POST (a GET changes nothing), and each target's inbox gets one letter with
// From the organisation and Reply-To the writer; a second letter to the same
// target is refused politely, while a confirmed writer's letter to the other
// target goes at once; a bounce marks the target and the action's counts
// show it; after the deadline the page says so and the API answers 409.
func TestUrgentActionEndToEnd(t *testing.T) {
	fake := sendgridfake.New("SG.letters").Start()
	t.Cleanup(fake.Close)
	signer, err := sendgridfake.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	run(t, envOptions{work: true, transport: jobs.NewSendGrid("SG.letters", fake.URL()), webhookKey: signer.PublicKey()}, func(t *testing.T, env *testEnv) {
		fake.Reset()
		ctx := context.Background()
		ua := publishUA(t, env, "2026-07-20T23:59:00+03:00")
		slug := ua.action.Slug

		page := env.api("GET", "/a/"+slug, "", "")
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "Send appeals before") || !strings.Contains(page.Body, "20 July 2026") ||
			!strings.Contains(page.Body, "Dear Minister") || !strings.Contains(page.Body, "Dear Counsellor") || !strings.Contains(page.Body, "I urge you to release Sara Ahmed") {
			t.Fatalf("action page = %d %s", page.Status, page.Body)
		}

		// A first-time writer, to the minister only.
		r := writeLetter(t, env, slug, `{"name":"Ana Lima","email":"Ana@Example.org","country":"BR","subject":"Release Sara Ahmed",
			"body":"I urge you to release Sara Ahmed immediately and unconditionally. I am a lawyer too.","target_ids":["`+ua.minister.ID+`"],"opt_in":true}`)
		if r.Status != http.StatusAccepted || !strings.Contains(r.Body, `"status":"check_your_email"`) {
			t.Fatalf("first letter = %d %s", r.Status, r.Body)
		}
		waitFor(t, "the confirmation email", func() bool { return len(inbox(fake, "ana@example.org")) == 1 })
		link := letterLink.FindString(messageText(inbox(fake, "ana@example.org")[0]))
		if link == "" {
			t.Fatalf("no confirmation link in %q", messageText(inbox(fake, "ana@example.org")[0]))
		}
		b := env.browser()
		if p := b.get(link); p.Status != http.StatusOK || !strings.Contains(p.Body, "Confirm and send my letter") {
			t.Fatalf("confirm page = %d", p.Status)
		}
		time.Sleep(300 * time.Millisecond)
		if n := len(inbox(fake, ua.minister.Email)); n != 0 {
			t.Fatalf("a GET sent %d letters", n)
		}
		if p := b.post(link, link, nil); p.Status != http.StatusOK || !strings.Contains(p.Body, "on its way") {
			t.Fatalf("confirm = %d %s", p.Status, p.Body)
		}
		waitFor(t, "the minister's letter", func() bool { return len(inbox(fake, ua.minister.Email)) == 1 })
		m := inbox(fake, ua.minister.Email)[0]
		if m.Body.From == nil || m.Body.From.Email != "press@example.org" || m.Body.ReplyTo == nil || m.Body.ReplyTo.Email != "ana@example.org" ||
			m.Body.Subject != "Release Sara Ahmed" || m.Body.CustomArgs["letter_delivery_id"] == "" {
			t.Errorf("letter to the minister: from %+v reply-to %+v subject %q args %v", m.Body.From, m.Body.ReplyTo, m.Body.Subject, m.Body.CustomArgs)
		}
		if text := messageText(m); !strings.HasPrefix(text, "Dear Minister,\n\n") || !strings.Contains(text, "I am a lawyer too.") ||
			!strings.Contains(text, "Yours sincerely,\n\nAna Lima\nBrazil") || strings.Contains(text, "ana@example.org") {
			t.Errorf("letter text %q", text)
		}
		var sup models.Supporter
		if err := env.db.Gorm.Take(&sup, "email = ?", "ana@example.org").Error; err != nil || sup.Status != models.StatusSubscribed {
			t.Errorf("opt-in writer: %+v %v", sup, err)
		}

		// The same writer again to the minister, from her own browser:
		// refused politely, by API and page (from anywhere else the answer is
		// a first letter's: TestRepeatLetterRevealsNothing).
		r = writeLetterAs(t, env, slug, "ana@example.org", `{"name":"Ana Lima","email":"ana@example.org","country":"BR","subject":"Again","body":"Please.","target_ids":["`+ua.minister.ID+`"]}`)
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "already written to Omar Marwan") {
			t.Errorf("second letter = %d %s", r.Status, r.Body)
		}
		form := url.Values{"name": {"Ana Lima"}, "email": {"ana@example.org"}, "country": {"BR"}, "subject": {"Again"}, "body": {"My own words."}, "target_ids": {ua.minister.ID}}
		if p := b.sameOrigin("/a/"+slug, form); p.Status != http.StatusConflict || !strings.Contains(p.Body, "You have already written to Omar Marwan") {
			t.Errorf("second letter on the page = %d", p.Status)
		}
		// Now confirmed, her letter to the prosecutor from her own browser
		// (the confirmation left its writer cookie) goes at once.
		form = url.Values{"name": {"Ana Lima"}, "email": {"ana@example.org"}, "country": {"BR"}, "subject": {"Release Sara Ahmed"}, "body": {"Drop the charges."},
			"target_ids": {ua.attorney.ID}}
		if p := b.sameOrigin("/a/"+slug, form); p.Status != http.StatusSeeOther || !strings.Contains(p.Header.Get("Location"), "s=sent") {
			t.Fatalf("confirmed writer's letter = %d %s", p.Status, p.Header.Get("Location"))
		}
		waitFor(t, "the prosecutor's letter", func() bool { return len(inbox(fake, ua.attorney.Email)) == 1 })
		if text := messageText(inbox(fake, ua.attorney.Email)[0]); !strings.HasPrefix(text, "Dear Counsellor,") {
			t.Errorf("prosecutor's letter %q", text)
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(inbox(fake, ua.minister.Email)); n != 1 {
			t.Errorf("the minister got %d letters, want 1", n)
		}

		// The provider reports: delivered to the minister, bounced at the prosecutor.
		var dels []models.LetterDelivery
		env.db.Gorm.Where("document_id = ?", ua.action.ID).Order("target_id").Find(&dels)
		if len(dels) != 2 {
			t.Fatalf("deliveries %+v", dels)
		}
		ev := func(id, event, email, delID string) string {
			return fmt.Sprintf(`{"email":%q,"timestamp":%d,"event":%q,"sg_event_id":%q,"letter_delivery_id":%q}`, email, env.clock.Now().Unix(), event, id, delID)
		}
		var toMinister, toAttorney models.LetterDelivery
		for _, d := range dels {
			if d.TargetID == ua.minister.ID {
				toMinister = d
			} else {
				toAttorney = d
			}
		}
		postEvents(t, env, signer, "["+ev("e1", "delivered", ua.minister.Email, toMinister.ID)+","+ev("e2", "bounce", ua.attorney.Email, toAttorney.ID)+"]")
		waitFor(t, "the bounce", func() bool {
			var tg models.Target
			env.db.Gorm.Take(&tg, "id = ?", ua.attorney.ID)
			return tg.EmailBouncedAt != nil
		})
		var sp int64
		env.db.Gorm.Model(&models.Suppression{}).Where("email_hash = ?", models.EmailHash(ua.attorney.Email)).Count(&sp)
		if sp != 0 {
			t.Errorf("a target's bounce went to the supporters' suppression list")
		}
		r = env.api("GET", "/api/v1/releases/"+ua.action.ID+"/letters", env.token(models.RoleViewer), "")
		counts := decode[models.LetterCounts](t, r.Body)
		if r.Status != http.StatusOK || counts.Total != 2 || counts.ByCountry["BR"] != 2 || len(counts.ByTarget) != 2 {
			t.Fatalf("letters = %d %s", r.Status, r.Body)
		}
		for _, bt := range counts.ByTarget {
			switch bt.TargetID {
			case ua.minister.ID:
				if bt.Sent != 1 || bt.Delivered != 1 || bt.Bounced {
					t.Errorf("minister counts %+v", bt)
				}
			case ua.attorney.ID:
				if bt.Sent != 1 || bt.BouncedN != 1 || !bt.Bounced {
					t.Errorf("prosecutor counts %+v", bt)
				}
			}
		}
		// A bounced target is not mailed: the next letter waits, marked.
		env.db.Gorm.Create(&models.LetterWriter{NormalisedEmail: "ben@example.org", ConfirmedAt: env.clock.Now()})
		// Someone who only knows Ben's address gets the same answer as a
		// first-time writer, and nothing goes until Ben confirms.
		r = writeLetter(t, env, slug, `{"name":"Ben","email":"ben@example.org","country":"GB","subject":"In Ben's name","body":"Not Ben.","target_ids":["`+ua.minister.ID+`"]}`)
		if r.Status != http.StatusAccepted || !strings.Contains(r.Body, `"status":"check_your_email"`) {
			t.Fatalf("letter with a confirmed writer's address from another browser = %d %s", r.Status, r.Body)
		}
		waitFor(t, "Ben's confirmation email", func() bool { return len(inbox(fake, "ben@example.org")) == 1 })
		time.Sleep(200 * time.Millisecond)
		if n := len(inbox(fake, ua.minister.Email)); n != 1 {
			t.Errorf("the minister got %d letters after a letter in Ben's name, want still 1", n)
		}
		r = writeLetterAs(t, env, slug, "ben@example.org", `{"name":"Ben","email":"ben@example.org","country":"GB","subject":"Free her","body":"Free her now.","target_ids":["`+ua.attorney.ID+`"]}`)
		if r.Status != http.StatusAccepted {
			t.Fatalf("letter to a bounced target = %d %s", r.Status, r.Body)
		}
		var waiting models.LetterDelivery
		env.db.Gorm.Take(&waiting, "normalised_email = ? AND target_id = ?", "ben@example.org", ua.attorney.ID)
		if waiting.Status != models.DeliveryWaiting || !strings.Contains(waiting.Error, "bounced") {
			t.Errorf("delivery to a bounced target: %+v", waiting)
		}
		adminPage := env.login(models.RoleCampaigner).get("/admin/releases/" + ua.action.ID)
		if !strings.Contains(adminPage.Body, "email bounced") {
			t.Errorf("the action's admin page does not show the bounced target")
		}
		// The same counts per official (queued, sent, delivered, bounced,
		// waiting, posted) and per country are on the action's admin page.
		for what, row := range map[string]*regexp.Regexp{
			"the minister's row":   regexp.MustCompile(`Omar Marwan</a> \(EG\)</td>\s*<td>0</td><td>1</td><td>1</td><td>0</td><td>0</td><td>0</td>`),
			"the prosecutor's row": regexp.MustCompile(`Hisham Barakat</a> \(EG\) <mark>email bounced</mark></td>\s*<td>0</td><td>1</td><td>0</td><td>1</td><td>1</td><td>0</td>`),
			"Brazil's letters":     regexp.MustCompile(`<td>Brazil</td><td>2</td>`),
		} {
			if !row.MatchString(adminPage.Body) {
				t.Errorf("the action's admin page lacks %s", what)
			}
		}
		// Fixing the address sends the waiting letter.
		if r := env.api("PATCH", "/api/v1/targets/"+ua.attorney.ID, ua.camp, `{"email":"prosecutor.office@ppo.example.gov"}`); r.Status != http.StatusOK || !strings.Contains(r.Body, `"email_bounced_at":null`) {
			t.Fatalf("fix = %d %s", r.Status, r.Body)
		}
		waitFor(t, "the waiting letter", func() bool { return len(inbox(fake, "prosecutor.office@ppo.example.gov")) == 1 })

		// After the deadline: the page says so and shows no form; the API answers 409.
		env.clock.Set(time.Date(2026, 7, 21, 0, 0, 0, 0, time.UTC))
		page = env.api("GET", "/a/"+slug, "", "")
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "Appeals have closed") || strings.Contains(page.Body, `name="body"`) {
			t.Errorf("page after the deadline = %d", page.Status)
		}
		r = writeLetter(t, env, slug, `{"name":"Cy","email":"cy@example.org","country":"GB","subject":"Late","body":"Late.","target_ids":["`+ua.minister.ID+`"]}`)
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "action_closed") {
			t.Errorf("letter after the deadline = %d %s", r.Status, r.Body)
		}
		_ = ctx
	})
}

// TestLettersPacedPerTarget: with LETTERS_PER_TARGET_PER_HOUR=3, six
// confirmed writers' letters to one official are scheduled 20 minutes apart,
// each job at its slot; a second official's letters have their own slots.
func TestLettersPacedPerTarget(t *testing.T) {
	limits := map[string]string{"LETTERS_PER_TARGET_PER_HOUR": "3", "SIGNATURE_BURST": "100/1m", "SIGNATURE_SUSTAINED": "100/1h"}
	run(t, envOptions{env: limits}, func(t *testing.T, env *testEnv) {
		ua := publishUA(t, env, "2026-08-01T00:00:00Z")
		for i := range 6 {
			email := fmt.Sprintf("writer%d@example.org", i)
			env.db.Gorm.Create(&models.LetterWriter{NormalisedEmail: email, ConfirmedAt: env.clock.Now()})
			targets := `"` + ua.minister.ID + `"`
			if i == 0 {
				targets += `,"` + ua.attorney.ID + `"`
			}
			r := writeLetterAs(t, env, ua.action.Slug, email, `{"name":"W","email":"`+email+`","country":"GB","subject":"S","body":"My words.","target_ids":[`+targets+`]}`)
			if r.Status != http.StatusAccepted || !strings.Contains(r.Body, "queued") {
				t.Fatalf("letter %d = %d %s", i, r.Status, r.Body)
			}
		}
		var dels []models.LetterDelivery
		env.db.Gorm.Where("target_id = ?", ua.minister.ID).Order("scheduled_at").Find(&dels)
		if len(dels) != 6 {
			t.Fatalf("%d deliveries", len(dels))
		}
		start := env.clock.Now()
		for i, d := range dels {
			want := start.Add(time.Duration(i) * 20 * time.Minute)
			if d.Status != models.DeliveryQueued || d.ScheduledAt == nil || !d.ScheduledAt.Equal(want) {
				t.Errorf("letter %d to the minister: %s at %v, want queued at %v", i, d.Status, d.ScheduledAt, want)
			}
		}
		var jobsAt []time.Time
		env.db.Gorm.Table("river_job").Where("kind = ?", "deliver_letter").Order("scheduled_at").Pluck("scheduled_at", &jobsAt)
		// The two letters due at once run now (River's clock); the others at their slots.
		var slots []time.Time
		for _, at := range jobsAt {
			if at.Before(start.Add(time.Hour * 24)) {
				slots = append(slots, at.UTC())
			}
		}
		if len(jobsAt) != 7 || len(slots) != 5 || !slots[0].Equal(start.Add(20*time.Minute)) || !slots[4].Equal(start.Add(100*time.Minute)) {
			t.Errorf("jobs scheduled at %v, want 7 of which 5 at 20-minute slots", jobsAt)
		}
		var other models.LetterDelivery
		env.db.Gorm.Take(&other, "target_id = ?", ua.attorney.ID)
		if other.ScheduledAt == nil || !other.ScheduledAt.Equal(start) {
			t.Errorf("the prosecutor's first letter waits for the minister's slots: %v", other.ScheduledAt)
		}
	})
}

// TestLetterComposerNudgesAndPrints: an unchanged letter gets a suggestion to
// add a personal sentence and can still be sent as it is; the printable
// letter carries the target's postal address; "I posted it" is counted apart.
func TestLetterComposerNudgesAndPrints(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ua := publishUA(t, env, "2026-08-01T00:00:00Z")
		slug := ua.action.Slug
		b := env.browser()
		form := url.Values{"name": {"Ana Lima"}, "email": {"ana@example.org"}, "country": {"BR"}, "subject": {"Release Sara Ahmed"},
			"body": {"I urge you to release Sara Ahmed immediately and\r\nunconditionally."}, "target_ids": {ua.minister.ID}}
		r := b.sameOrigin("/a/"+slug, form)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "Could you add a sentence of your own?") || !strings.Contains(r.Body, "Send it as it is") {
			t.Fatalf("unchanged letter = %d", r.Status)
		}
		var n int64
		env.db.Gorm.Model(&models.Letter{}).Count(&n)
		if n != 0 {
			t.Fatalf("the nudge stored %d letters", n)
		}
		form.Set("send_anyway", "yes")
		if r := b.sameOrigin("/a/"+slug, form); r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "/thanks?s=check") {
			t.Fatalf("send as it is = %d %s", r.Status, r.Location)
		}
		var l models.Letter
		if err := env.db.Gorm.Take(&l).Error; err != nil || !l.Unchanged || l.State != models.SignaturePending {
			t.Errorf("letter %+v %v", l, err)
		}
		// Bad input: each field says what is wrong, nothing is lost.
		bad := url.Values{"name": {""}, "email": {"nope"}, "country": {"BR"}, "subject": {"S"}, "body": {"My own words about Sara."}}
		if r := b.sameOrigin("/a/"+slug, bad); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "is not a valid email address") ||
			!strings.Contains(r.Body, "My own words about Sara.") {
			t.Errorf("bad letter = %d", r.Status)
		}

		pdf := b.sameOrigin("/a/"+slug+"/print", url.Values{"name": {"Ana Lima"}, "country": {"BR"}, "subject": {"Release Sara Ahmed"},
			"body": {"My own words."}, "target_ids": {ua.minister.ID}})
		if pdf.Status != http.StatusOK || pdf.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.Body, "%PDF") {
			t.Fatalf("print = %d %s", pdf.Status, pdf.Header.Get("Content-Type"))
		}
		for _, want := range []string{"Lazoghly Square", "Cairo", "Dear Minister", "Ana Lima"} {
			if !strings.Contains(pdfText(t, pdf.Body), pdfString(want)) {
				t.Errorf("the PDF letter lacks %q", want)
			}
		}
		// A writer in Cyrillic gets their own name on the letter, as written.
		pdf = b.sameOrigin("/a/"+slug+"/print", url.Values{"name": {"Анна Лима"}, "country": {"BR"}, "subject": {"Освободите Сару Ахмед"},
			"body": {"Своими словами."}, "target_ids": {ua.minister.ID}})
		if pdf.Status != http.StatusOK || !strings.Contains(pdfText(t, pdf.Body), pdfString("Анна Лима")) || !strings.Contains(pdfText(t, pdf.Body), pdfString("Своими словами.")) {
			t.Errorf("Cyrillic letter: %d, name or text missing from the PDF", pdf.Status)
		}
		// A letter in Arabic script cannot be laid out by the PDF writer: the
		// page says so instead of printing wrong letters.
		ar := b.sameOrigin("/a/"+slug+"/print", url.Values{"name": {"Ana Lima"}, "country": {"BR"}, "subject": {"Release Sara Ahmed"},
			"body": {"أطلقوا سراح سارة أحمد"}, "target_ids": {ua.minister.ID}})
		if ar.Status != http.StatusUnprocessableEntity || !strings.Contains(ar.Body, "Arabic script") {
			t.Errorf("Arabic letter print = %d, want 422 naming the script", ar.Status)
		}
		if r := b.sameOrigin("/a/"+slug+"/posted", url.Values{"target_ids": {ua.minister.ID, ua.attorney.ID}, "country": {"BR"}}); r.Status != http.StatusOK ||
			!strings.Contains(r.Body, "posting your 2 letters") {
			t.Fatalf("posted = %d", r.Status)
		}
		counts := decode[models.LetterCounts](t, env.api("GET", "/api/v1/releases/"+ua.action.ID+"/letters", ua.camp, "").Body)
		if counts.Posted != 2 || counts.Total != 0 || counts.PostedBy["BR"] != 2 {
			t.Errorf("counts after posting: %+v", counts)
		}
	})
}

// TestLetterPersonalDataIsKeptOnlyAsLongAsNeeded: an unconfirmed letter is
// deleted after the pending window, a writer's IP is cut to its prefix after
// the abuse window, and erasing a supporter anonymises their letters while
// the counts stay the same.
func TestLetterPersonalDataIsKeptOnlyAsLongAsNeeded(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		ua := publishUA(t, env, "2026-08-01T00:00:00Z")
		env.db.Gorm.Create(&models.LetterWriter{NormalisedEmail: "ana@example.org", ConfirmedAt: env.clock.Now()})
		for _, body := range []string{
			`{"name":"Ana Lima","email":"ana@example.org","country":"BR","subject":"S","body":"My words.","opt_in":true}`,
			`{"name":"New","email":"new@example.org","country":"GB","subject":"S","body":"Unconfirmed."}`,
		} {
			if r := writeLetterAs(t, env, ua.action.Slug, "ana@example.org", body); r.Status != http.StatusAccepted {
				t.Fatalf("letter = %d %s", r.Status, r.Body)
			}
		}
		later := env.clock.Now().Add(40 * 24 * time.Hour)
		if n, err := models.ExpirePendingLetters(ctx, env.db.Gorm, 7*24*time.Hour, later); err != nil || n != 1 {
			t.Errorf("expired %d, %v; want the unconfirmed letter", n, err)
		}
		if n, err := models.EraseLetterIPs(ctx, env.db.Gorm, 30*24*time.Hour, later); err != nil || n != 1 {
			t.Errorf("erased %d IPs, %v", n, err)
		}
		var l models.Letter
		env.db.Gorm.Take(&l, "normalised_email = ?", "ana@example.org")
		if l.IP != "127.0.0.0/24" || !l.IPErased {
			t.Errorf("IP after the window: %q", l.IP)
		}
		before := decode[models.LetterCounts](t, env.api("GET", "/api/v1/releases/"+ua.action.ID+"/letters", ua.camp, "").Body)
		var sup models.Supporter
		if err := env.db.Gorm.Take(&sup, "email = ?", "ana@example.org").Error; err != nil {
			t.Fatal(err)
		}
		// The supporter's data export holds the letter: their words, the
		// officials it went to, and its state.
		camp := env.login(models.RoleCampaigner)
		exp := decode[models.SupporterExport](t, camp.get("/admin/supporters/"+sup.ID+"/export.json").Body)
		if len(exp.Letters) != 1 || exp.Letters[0].Body != "My words." || exp.Letters[0].Action != ua.action.Slug || len(exp.Letters[0].Deliveries) != 2 {
			t.Fatalf("export letters = %+v", exp.Letters)
		}
		if d := exp.Letters[0].Deliveries; d[0].Target != "Hisham Barakat" || d[1].Target != "Omar Marwan" {
			t.Errorf("export deliveries = %+v", d)
		}
		if err := models.EraseSupporter(ctx, env.db.Gorm, sup.ID, &env.users[models.RoleAdmin].ID); err != nil {
			t.Fatal(err)
		}
		exp = decode[models.SupporterExport](t, camp.get("/admin/supporters/"+sup.ID+"/export.json").Body)
		if len(exp.Letters) != 0 {
			t.Errorf("after erasure the export still lists letters: %+v", exp.Letters)
		}
		env.db.Gorm.Take(&l, "id = ?", l.ID)
		if l.Name != "" || l.Email != nil || l.Body != "" || strings.Contains(l.NormalisedEmail, "ana") {
			t.Errorf("letter after erasure: %+v", l)
		}
		after := decode[models.LetterCounts](t, env.api("GET", "/api/v1/releases/"+ua.action.ID+"/letters", ua.camp, "").Body)
		if after.Total != before.Total || after.Total != 1 || after.ByCountry["BR"] != 1 {
			t.Errorf("counts changed by the erasure: %+v → %+v", before, after)
		}
	})
}

// TestLetterRecordsTheSendThatBroughtIt: a letter written from an emailed
// link (?src=<send id>) records that send, by the page form and by the API,
// so the action's analytics can count the letters each send brought; a value
// not shaped like a send id is dropped.
func TestLetterRecordsTheSendThatBroughtIt(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ua := publishUA(t, env, "2026-08-01T00:00:00Z")
		const send = "abcdefghijklmnop"
		page := env.browser()
		if p := page.get("/a/" + ua.action.Slug + "?src=" + send); !strings.Contains(p.Body, `name="src" value="`+send+`"`) {
			t.Fatalf("the action page does not carry the link's src into its form")
		}
		form := url.Values{"name": {"Ana"}, "email": {"ana@example.org"}, "country": {"BR"}, "subject": {"S"}, "body": {"In my own words."}, "src": {send}}
		if p := page.sameOrigin("/a/"+ua.action.Slug, form); p.Status != http.StatusSeeOther {
			t.Fatalf("page letter = %d", p.Status)
		}
		if r := writeLetter(t, env, ua.action.Slug, `{"name":"Ben","email":"ben@example.org","country":"GB","subject":"S","body":"Mine.","src":"`+send+`"}`); r.Status != http.StatusAccepted {
			t.Fatalf("API letter = %d %s", r.Status, r.Body)
		}
		if r := writeLetter(t, env, ua.action.Slug, `{"name":"Cy","email":"cy@example.org","country":"GB","subject":"S","body":"Mine.","src":"<script>"}`); r.Status != http.StatusAccepted {
			t.Fatalf("API letter = %d %s", r.Status, r.Body)
		}
		var letters []models.Letter
		env.db.Gorm.Order("normalised_email").Find(&letters)
		got := map[string]string{}
		for _, l := range letters {
			got[l.NormalisedEmail] = deref(l.SendID)
		}
		if got["ana@example.org"] != send || got["ben@example.org"] != send || got["cy@example.org"] != "" {
			t.Errorf("letters' sends = %v", got)
		}
	})
}
