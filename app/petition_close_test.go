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

// TestPetitionClosedByJob: with the production petition cache on (here
// trusted for an hour, so only the rule can explain the answers), signing
// stops the moment closes_at passes, before any job has run; the closing
// job then closes the petition, and the page says so with the final count
// and no form. A petition a campaigner closes while a process still has it
// cached may take a signature, but that signature can never be confirmed,
// so it never counts.
func TestPetitionClosedByJob(t *testing.T) {
	run(t, envOptions{work: true, versionTTL: time.Hour}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		camp := env.token(models.RoleCampaigner)
		closes := env.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		p := newOpenPetition(t, env, camp, `{"title":"Closing soon","target":"T","demand":"Act now.","closes_at":"`+closes+`"}`)
		if r := signAPI(t, env, p.Slug, `{"name":"Early","email":"early@example.org","country":"GB"}`); r.Status != http.StatusAccepted {
			t.Fatalf("sign while open = %d %s", r.Status, r.Body)
		}
		link := signatureLinkIn(t, waitOutbox(t, env, "early@example.org", 1)[0])
		if r := env.browser().post(link, link, nil); r.Status != http.StatusOK {
			t.Fatalf("confirm = %d", r.Status)
		}
		waitCount(t, env, p.Slug, 1)

		env.clock.Advance(time.Hour + time.Second)
		if r := signAPI(t, env, p.Slug, `{"name":"Late","email":"late@example.org","country":"GB"}`); r.Status != http.StatusConflict || !strings.Contains(r.Body, "petition_closed") {
			t.Fatalf("sign after closes_at = %d %s", r.Status, r.Body)
		}
		if _, err := env.jobs.Insert(ctx, jobs.ClosePetitionsArgs{}, nil); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			got, err := models.PetitionByID(ctx, env.db.Gorm, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status == models.PetitionClosed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the closing job left the petition %s", got.Status)
			}
			time.Sleep(100 * time.Millisecond)
		}
		pg := env.browser().get("/p/" + p.Slug)
		if pg.Status != http.StatusOK || !strings.Contains(pg.Body, "This petition is closed") || !strings.Contains(pg.Body, "with 1 signature.") ||
			strings.Contains(pg.Body, `name="email"`) {
			t.Errorf("closed page = %d %s", pg.Status, pg.Body)
		}
		if c := decode[struct{ Status string }](t, env.api("GET", "/p/"+p.Slug+"/count.json", "", "").Body); c.Status != "closed" {
			t.Errorf("count.json status %q", c.Status)
		}
		if n := len(signatureRows(t, env, p.ID)); n != 1 {
			t.Errorf("%d signatures stored, want 1", n)
		}

		// Closed by hand while cached: the signature is taken, its confirmation is not.
		q := newOpenPetition(t, env, camp, `{"title":"Closed by hand","target":"T","demand":"Act now."}`)
		signAPI(t, env, q.Slug, `{"name":"A","email":"a@example.org","country":"GB"}`)
		if r := env.api("POST", "/api/v1/petitions/"+q.ID+"/close", camp, ""); r.Status != http.StatusOK {
			t.Fatalf("close = %d %s", r.Status, r.Body)
		}
		if r := signAPI(t, env, q.Slug, `{"name":"B","email":"b@example.org","country":"GB"}`); r.Status != http.StatusAccepted {
			t.Fatalf("sign within the cache's trust = %d %s", r.Status, r.Body)
		}
		late := signatureLinkIn(t, waitOutbox(t, env, "b@example.org", 1)[0])
		if r := env.browser().post(late, late, nil); r.Status != http.StatusConflict || !strings.Contains(r.Body, "closed before your signature was confirmed") {
			t.Fatalf("confirm after the close = %d %s", r.Status, r.Body)
		}
		for _, s := range signatureRows(t, env, q.ID) {
			if s.State == models.SignatureConfirmed {
				t.Errorf("%s confirmed on a closed petition", s.Address())
			}
		}
	})
}
