package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"pressroom/jobs"
	"pressroom/models"
)

// TestPetitionErasureKeepsCounts: a signer who opted in is erased from the
// supporters' page; their signature loses its name, address and postcode,
// the hand-in CSV no longer names them, and the public count (and the
// hourly recount) still counts them.
func TestPetitionErasureKeepsCounts(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		camp := env.token(models.RoleCampaigner)
		p := newOpenPetition(t, env, camp, `{"title":"Keep count","target":"T","demand":"Act now."}`)
		for _, body := range []string{`{"name":"Rosa Parks","email":"rosa@example.org","country":"US","postcode":"36104","opt_in":true}`,
			`{"name":"Ada Lovelace","email":"ada@example.org","country":"GB"}`} {
			if r := signAPI(t, env, p.Slug, body); r.Status != http.StatusAccepted {
				t.Fatalf("sign = %d %s", r.Status, r.Body)
			}
		}
		for _, to := range []string{"rosa@example.org", "ada@example.org"} {
			link := signatureLinkIn(t, waitOutbox(t, env, to, 1)[0])
			if r := env.browser().post(link, link, nil); r.Status != http.StatusOK {
				t.Fatalf("confirm %s = %d", to, r.Status)
			}
		}
		waitCount(t, env, p.Slug, 2)
		sup, err := models.SupporterByEmail(ctx, env.db.Gorm, "rosa@example.org")
		if err != nil || sup.Status != models.StatusSubscribed {
			t.Fatalf("supporter %+v %v", sup, err)
		}

		admin := env.login(models.RoleCampaigner)
		if r := admin.post("/admin/supporters/"+sup.ID, "/admin/supporters/"+sup.ID+"/erase", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("erase = %d %s", r.Status, r.Body)
		}
		for _, s := range signatureRows(t, env, p.ID) {
			if s.Country == "US" && (s.Name != "" || s.Email != nil || s.Postcode != "" || s.State != models.SignatureConfirmed) {
				t.Errorf("erased signer's signature %+v", s)
			}
		}
		csv := env.api("GET", "/api/v1/petitions/"+p.ID+"/signatures.csv", camp, "")
		if csv.Status != http.StatusOK || strings.Contains(csv.Body, "Rosa") || strings.Contains(csv.Body, "36104") || !strings.Contains(csv.Body, "Ada Lovelace") {
			t.Errorf("csv after erasure = %d %q", csv.Status, csv.Body)
		}
		before := completedJobs(t, env, "recount_signatures")
		if _, err := env.jobs.Insert(ctx, jobs.RecountSignaturesArgs{}, nil); err != nil {
			t.Fatal(err)
		}
		waitJobs(t, env, "recount_signatures", before, 1)
		r := waitCount(t, env, p.Slug, 2)
		if c := decode[struct {
			ByCountry map[string]int64 `json:"by_country"`
		}](t, r.Body); c.ByCountry["US"] != 1 || c.ByCountry["GB"] != 1 {
			t.Errorf("count after erasure %s", r.Body)
		}
	})
}
