package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// TestRepeatLetterRevealsNothing: whether an address has written to an
// official is the writer's business. Someone who only knows Ana's address
// and posts a letter to an official she already wrote to gets the answer a
// first-time writer gets (by the API and by the page); the note that she has
// already written goes to her mailbox instead (at most MaxSignatureEmails
// times), and no second letter reaches the official. From her own browser
// (the one that confirmed her address) the refusal is said on the page.
func TestRepeatLetterRevealsNothing(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ua := publishUA(t, env, "2026-08-01T00:00:00Z")
		slug := ua.action.Slug
		const ana = "ana@example.org"
		env.db.Gorm.Create(&models.LetterWriter{NormalisedEmail: ana, ConfirmedAt: env.clock.Now()})
		letter := func(email string) string {
			return `{"name":"Ana Lima","email":"` + email + `","country":"BR","subject":"Release Sara Ahmed","body":"Free her: I am a lawyer too.","target_ids":["` + ua.minister.ID + `"]}`
		}
		if r := writeLetterAs(t, env, slug, ana, letter(ana)); r.Status != http.StatusAccepted || !strings.Contains(r.Body, `"queued"`) {
			t.Fatalf("Ana's letter = %d %s", r.Status, r.Body)
		}

		// A first-time writer's answer, to compare with.
		fresh := writeLetter(t, env, slug, letter("someone.new@example.org"))
		if fresh.Status != http.StatusAccepted {
			t.Fatalf("first-time letter = %d %s", fresh.Status, fresh.Body)
		}
		probe := writeLetter(t, env, slug, letter(ana))
		if probe.Status != fresh.Status || probe.Body != fresh.Body {
			t.Errorf("a letter with Ana's address from elsewhere = %d %s; a first-time writer gets %d %s", probe.Status, probe.Body, fresh.Status, fresh.Body)
		}
		if strings.Contains(probe.Body, "Omar Marwan") || strings.Contains(probe.Body, "already") {
			t.Errorf("the answer tells a stranger that Ana wrote: %s", probe.Body)
		}
		form := url.Values{"name": {"Ana Lima"}, "email": {ana}, "country": {"BR"}, "subject": {"S"}, "body": {"My own words."}, "target_ids": {ua.minister.ID}}
		stranger := env.browser()
		if p := stranger.sameOrigin("/a/"+slug, form); p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "/thanks?s=check") {
			t.Errorf("the page form with Ana's address from a stranger's browser = %d %s, want the first-time answer", p.Status, p.Location)
		}

		// Ana hears about it, in her own mailbox.
		notes := waitOutbox(t, env, ana, 2)
		for _, m := range notes {
			if !strings.Contains(m.Subject, "You have already written") || !strings.Contains(m.TextBody, "Omar Marwan") || !strings.Contains(m.TextBody, "/a/"+slug) {
				t.Errorf("note to Ana: %q %q", m.Subject, m.TextBody)
			}
		}
		// Someone repeating it cannot flood her mailbox.
		for range 6 {
			writeLetter(t, env, slug, letter(ana))
		}
		time.Sleep(500 * time.Millisecond)
		if ms, _ := models.OutboxMessages(t.Context(), env.db.Gorm, ana, 20); len(ms) != models.MaxSignatureEmails {
			t.Errorf("Ana got %d notes, want at most %d", len(ms), models.MaxSignatureEmails)
		}

		var letters, dels int64
		env.db.Gorm.Model(&models.Letter{}).Where("normalised_email = ?", ana).Count(&letters)
		env.db.Gorm.Model(&models.LetterDelivery{}).Where("target_id = ?", ua.minister.ID).Count(&dels)
		if letters != 1 || dels != 2 { // Ana's and the first-time writer's
			t.Errorf("after the repeats: %d letters by Ana, %d deliveries to the minister; want 1 and 2", letters, dels)
		}

		// From her own browser, the page says it plainly.
		if r := writeLetterAs(t, env, slug, ana, letter(ana)); r.Status != http.StatusConflict || !strings.Contains(r.Body, "already written to Omar Marwan") {
			t.Errorf("Ana's second letter from her own browser = %d %s", r.Status, r.Body)
		}
	})
}

// TestPostedLettersFollowTheAbuseRules: "I posted it" cannot be checked, so
// it follows the letters' own abuse rules: a burst from one address is
// flagged and counted apart from the posted letters (not lost, not added),
// past the per-address ceiling it is refused with 429, and its IP is cut to
// its network prefix after the abuse window like a letter's.
func TestPostedLettersFollowTheAbuseRules(t *testing.T) {
	run(t, envOptions{env: map[string]string{"SIGNATURE_BURST": "3/1m", "SIGNATURE_CEILING": "6/1m"}}, func(t *testing.T, env *testEnv) {
		ua := publishUA(t, env, "2026-08-01T00:00:00Z")
		path := "/a/" + ua.action.Slug + "/posted"
		post := url.Values{"target_ids": {ua.minister.ID}, "country": {"BR"}}
		for i := range 6 {
			if r := env.browser().sameOrigin(path, post); r.Status != http.StatusOK || !strings.Contains(r.Body, "Thank you for posting") {
				t.Fatalf("post %d = %d", i+1, r.Status)
			}
		}
		if r := env.browser().sameOrigin(path, post); r.Status != http.StatusTooManyRequests {
			t.Errorf("post past the ceiling = %d, want 429", r.Status)
		}
		counts := decode[models.LetterCounts](t, env.api("GET", "/api/v1/releases/"+ua.action.ID+"/letters", ua.camp, "").Body)
		if counts.Posted != 3 || counts.PostedFlagged != 3 || counts.PostedBy["BR"] != 3 {
			t.Errorf("posted %d (by country %v), flagged %d; want 3 counted and 3 flagged", counts.Posted, counts.PostedBy, counts.PostedFlagged)
		}
		if page := env.login(models.RoleCampaigner).get("/admin/releases/" + ua.action.ID); !strings.Contains(page.Body, "3 more flagged") {
			t.Errorf("the action's admin page does not say how many posted letters were flagged")
		}

		later := env.clock.Now().Add(40 * 24 * time.Hour)
		if _, err := models.EraseLetterIPs(t.Context(), env.db.Gorm, 30*24*time.Hour, later); err != nil {
			t.Fatal(err)
		}
		var ips []string
		env.db.Gorm.Table("letter_posts").Distinct("ip").Pluck("ip", &ips)
		if len(ips) != 1 || ips[0] != "127.0.0.0/24" {
			t.Errorf("posted letters' IPs after the window: %v", ips)
		}
	})
}

// TestPrintedLettersAreLimited: the printable letter is made for anyone who
// asks, so one address may ask for at most the per-address ceiling of the
// public forms (SIGNATURE_CEILING) in its window; past it the page says to
// wait (429) and makes no PDF.
func TestPrintedLettersAreLimited(t *testing.T) {
	run(t, envOptions{env: map[string]string{"SIGNATURE_CEILING": "2/1m"}}, func(t *testing.T, env *testEnv) {
		ua := publishUA(t, env, "2026-08-01T00:00:00Z")
		path := "/a/" + ua.action.Slug + "/print"
		form := url.Values{"name": {"Ana Lima"}, "country": {"BR"}, "subject": {"S"}, "body": {"My own words."}, "target_ids": {ua.minister.ID}}
		for i := range 2 {
			if r := env.browser().sameOrigin(path, form); r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" {
				t.Fatalf("print %d = %d %s", i+1, r.Status, r.Header.Get("Content-Type"))
			}
		}
		r := env.browser().sameOrigin(path, form)
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, "wait") || strings.HasPrefix(r.Body, "%PDF") {
			t.Errorf("print past the ceiling = %d (Retry-After %q), want 429 asking to wait", r.Status, r.Header.Get("Retry-After"))
		}
		env.clock.Advance(time.Minute)
		if r := env.browser().sameOrigin(path, form); r.Status != http.StatusOK {
			t.Errorf("print after the window = %d, want 200", r.Status)
		}
	})
}
