package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

// TestFlaggedLettersWaitForACampaigner: letters the honeypot flags go to no
// official; a campaigner reads them on the action's queue, lets one go (sent
// at once for a confirmed writer, after confirmation for another) and
// rejects one (never sent, counted as rejected). Press officers may not see
// writers' letters, each decision is audited, and a second decision on the
// same letter changes nothing.
func TestFlaggedLettersWaitForACampaigner(t *testing.T) {
	fake := sendgridfake.New("SG.review").Start()
	t.Cleanup(fake.Close)
	run(t, envOptions{work: true, transport: jobs.NewSendGrid("SG.review", fake.URL())}, func(t *testing.T, env *testEnv) {
		fake.Reset()
		ua := publishUA(t, env, "2026-08-01T00:00:00Z")
		slug := ua.action.Slug
		for _, w := range []string{"ana@example.org", "cem@example.org"} {
			env.db.Gorm.Create(&models.LetterWriter{NormalisedEmail: w, ConfirmedAt: env.clock.Now()})
		}
		bot := `"website":"http://buy.example"`
		if r := writeLetterAs(t, env, slug, "ana@example.org", `{"name":"Ana Lima","email":"ana@example.org","country":"BR","subject":"Release Sara Ahmed",
			"body":"Free Sara Ahmed: I teach law in Recife.","target_ids":["`+ua.minister.ID+`"],`+bot+`}`); r.Status != http.StatusAccepted {
			t.Fatalf("Ana's letter = %d %s", r.Status, r.Body)
		}
		if r := writeLetterAs(t, env, slug, "cem@example.org", `{"name":"Cem","email":"cem@example.org","country":"TR","subject":"Buy now",
			"body":"Cheap watches.","target_ids":["`+ua.minister.ID+`"],`+bot+`}`); r.Status != http.StatusAccepted {
			t.Fatalf("Cem's letter = %d %s", r.Status, r.Body)
		}
		if r := writeLetter(t, env, slug, `{"name":"Ben Ode","email":"ben@example.org","country":"GB","subject":"Release Sara Ahmed",
			"body":"Drop the charges against Sara Ahmed.","target_ids":["`+ua.attorney.ID+`"],`+bot+`}`); r.Status != http.StatusAccepted {
			t.Fatalf("Ben's letter = %d %s", r.Status, r.Body)
		}
		waitFor(t, "Ben's confirmation email", func() bool { return len(inbox(fake, "ben@example.org")) == 1 })
		time.Sleep(300 * time.Millisecond)
		if n := len(inbox(fake, ua.minister.Email)) + len(inbox(fake, ua.attorney.Email)); n != 0 {
			t.Fatalf("flagged letters reached the officials: %d", n)
		}

		page := "/admin/releases/" + ua.action.ID + "/letters/flagged"
		if r := env.login(models.RolePressOfficer).get(page); r.Status != http.StatusForbidden {
			t.Errorf("a press officer opened the flagged letters: %d", r.Status)
		}
		camp := env.login(models.RoleCampaigner)
		if r := camp.get("/admin/releases/" + ua.action.ID); !strings.Contains(r.Body, "Review the 3 flagged letters") {
			t.Errorf("the action page does not point to the flagged letters")
		}
		r := camp.get(page)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "3 flagged letters wait") || !strings.Contains(r.Body, "Ana Lima") ||
			!strings.Contains(r.Body, "I teach law in Recife.") || !strings.Contains(r.Body, "Flagged for:") || !strings.Contains(r.Body, "has not confirmed their address yet") {
			t.Fatalf("flagged letters page = %d %s", r.Status, r.Body)
		}
		letter := func(email string) models.Letter {
			var l models.Letter
			if err := env.db.Gorm.Take(&l, "document_id = ? AND normalised_email = ?", ua.action.ID, email).Error; err != nil {
				t.Fatal(err)
			}
			return l
		}
		ana, ben, cem := letter("ana@example.org"), letter("ben@example.org"), letter("cem@example.org")
		decide := func(l models.Letter, what string) response {
			return camp.post(page, "/admin/releases/"+ua.action.ID+"/letters/"+l.ID+"/"+what, nil)
		}
		if r := env.login(models.RolePressOfficer).post("/admin", "/admin/releases/"+ua.action.ID+"/letters/"+ana.ID+"/release", nil); r.Status != http.StatusForbidden {
			t.Errorf("a press officer released a letter: %d", r.Status)
		}

		// Ana confirmed long ago: released, her letter goes at once.
		if r := decide(ana, "release"); r.Status != http.StatusSeeOther || r.Location != page {
			t.Fatalf("release = %d %s", r.Status, r.Location)
		}
		waitFor(t, "Ana's letter to the minister", func() bool { return len(inbox(fake, ua.minister.Email)) == 1 })
		if text := messageText(inbox(fake, ua.minister.Email)[0]); !strings.Contains(text, "I teach law in Recife.") {
			t.Errorf("the minister got %q", text)
		}
		// Cem's is rejected: never sent, counted apart.
		if r := decide(cem, "reject"); r.Status != http.StatusSeeOther {
			t.Fatalf("reject = %d", r.Status)
		}
		if l := letter("cem@example.org"); l.State != models.SignatureInvalidated {
			t.Errorf("rejected letter state = %s", l.State)
		}
		// Deciding again changes nothing and says why.
		if r := decide(cem, "release"); r.Status != http.StatusSeeOther {
			t.Fatalf("second decision = %d", r.Status)
		}
		if r := camp.get(page); !strings.Contains(r.Body, "already decided") || !strings.Contains(r.Body, "1 flagged letter waits") {
			t.Errorf("after a second decision: %s", r.Body)
		}
		if l := letter("cem@example.org"); l.State != models.SignatureInvalidated {
			t.Errorf("a second decision changed the rejected letter: %s", l.State)
		}
		// Ben has not confirmed: released, his letter waits for his confirmation.
		if r := decide(ben, "release"); r.Status != http.StatusSeeOther {
			t.Fatalf("release Ben = %d", r.Status)
		}
		if l := letter("ben@example.org"); l.State != models.SignaturePending {
			t.Errorf("Ben's released letter state = %s, want pending", l.State)
		}
		time.Sleep(300 * time.Millisecond)
		if n := len(inbox(fake, ua.attorney.Email)); n != 0 {
			t.Fatalf("an unconfirmed letter went: %d", n)
		}
		link := letterLink.FindString(messageText(inbox(fake, "ben@example.org")[0]))
		b := env.browser()
		if p := b.post(link, link, nil); p.Status != http.StatusOK {
			t.Fatalf("Ben confirms = %d", p.Status)
		}
		waitFor(t, "Ben's letter to the prosecutor", func() bool { return len(inbox(fake, ua.attorney.Email)) == 1 })
		time.Sleep(200 * time.Millisecond)
		if n := len(inbox(fake, ua.minister.Email)); n != 1 {
			t.Errorf("the minister got %d letters, want Ana's only", n)
		}

		counts := decode[models.LetterCounts](t, env.api("GET", "/api/v1/releases/"+ua.action.ID+"/letters", ua.camp, "").Body)
		if counts.Total != 2 || counts.Flagged != 0 || counts.Rejected != 1 {
			t.Errorf("counts = %+v", counts)
		}
		var audited []models.AuditEvent
		env.db.Gorm.Where("action IN ?", []string{"letter_released", "letter_rejected"}).Order("id").Find(&audited)
		if len(audited) != 3 || audited[0].SubjectID != ana.ID || audited[1].Action != "letter_rejected" || audited[0].ActorID == nil ||
			*audited[0].ActorID != env.users[models.RoleCampaigner].ID {
			t.Errorf("audit = %+v", audited)
		}
	})
}
