package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// A release's page asks its readers to sign the petition linked to it while
// the public may sign it: from its opening (by a campaigner, or by the clock
// at its opening time), through edits, to its closing or the release's
// withdrawal, although the page is cached by the newsroom's version.
func TestReleasePageAsksToSignItsPetition(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := t.Context()
		camp := env.users[models.RoleCampaigner]
		d := env.publish(t, "Arms transfers must stop", "Body.", nil, nil)
		page := "/news/" + *d.Slug
		asks := func(p *models.Petition) bool {
			t.Helper()
			r := env.browser().get(page)
			if r.Status != http.StatusOK {
				t.Fatalf("release page = %d", r.Status)
			}
			return strings.Contains(r.Body, `href="/p/`+p.Slug+`"`) && strings.Contains(r.Body, "Sign the petition")
		}
		in := petitionFor(d.ID, "Stop the transfers")
		p, err := models.CreatePetition(ctx, env.db.Gorm, camp, in, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if asks(p) {
			t.Fatal("the page asks readers to sign a draft petition")
		}
		if _, err := models.OpenPetition(ctx, env.db.Gorm, camp, p.ID, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if !asks(p) {
			t.Fatal("the page does not ask readers to sign the petition opened on it")
		}
		if r := env.browser().get(page); !strings.Contains(r.Body, "<strong>Suspend every arms export licence now.</strong>") {
			t.Error("the page does not show the petition's demand")
		}
		// A confirmed change of the demand reaches the cached page.
		if _, err := models.UpdatePetition(ctx, env.db.Gorm, camp, p.ID, models.PetitionInput{Demand: ptr("Suspend every licence today."), ConfirmTextChange: true},
			env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if r := env.browser().get(page); !strings.Contains(r.Body, "<strong>Suspend every licence today.</strong>") {
			t.Error("the page still shows the petition's old demand")
		}
		if _, err := models.ClosePetition(ctx, env.db.Gorm, camp, p.ID, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if asks(p) {
			t.Fatal("the page still asks readers to sign a closed petition")
		}

		// One that opens at a time: absent before, there after the sweep.
		opens := env.clock.Now().Add(time.Hour)
		in = petitionFor(d.ID, "Stop the transfers, again")
		in.OpensAt = &[]*time.Time{&opens}[0]
		later, err := models.CreatePetition(ctx, env.db.Gorm, camp, in, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.OpenPetition(ctx, env.db.Gorm, camp, later.ID, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if asks(later) {
			t.Fatal("the page asks readers to sign a petition before its opening time")
		}
		env.clock.Advance(61 * time.Minute)
		if _, err := models.CloseDuePetitions(ctx, env.db.Gorm, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if !asks(later) {
			t.Fatal("after its opening time and a sweep, the page does not ask readers to sign")
		}
		// A withdrawn release keeps only its notice: it asks nothing.
		if _, err := models.WithdrawDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], d.ID, "The figures were wrong.", env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if asks(later) {
			t.Fatal("a withdrawn release's page asks readers to sign its petition")
		}
	})
}

func petitionFor(releaseID, title string) models.PetitionInput {
	goal := 1000
	return models.PetitionInput{Title: &title, Target: ptr("The Secretary of State"), Demand: ptr("Suspend every arms export licence now."),
		Body: ptr("Background."), Goal: &goal, ReleaseID: &releaseID}
}
