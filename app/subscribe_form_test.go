package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/models"
)

// TestSubscribeFormShowsEveryErrorAndKeepsInput: a signup with several
// mistakes shows every field's error at once, each as a sentence, and keeps
// every input, the consent box included; the country is a select of ISO
// countries.
func TestSubscribeFormShowsEveryErrorAndKeepsInput(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		anon := env.browser()
		page := anon.get("/subscribe")
		if !strings.Contains(page.Body, `<select id="country" name="country"`) || !strings.Contains(page.Body, `<option value="GB">United Kingdom</option>`) {
			t.Fatal("country is not a select of ISO countries")
		}
		r := anon.post("/subscribe", "/subscribe", url.Values{"email": {"not-an-address"}, "name": {"Ann Activist"}, "country": {"XX"}, "consent": {"yes"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", r.Status)
		}
		for _, want := range []string{"Enter an email address like name@example.org.", "Choose a country from the list.", `value="Ann Activist"`, `value="not-an-address"`, `value="yes" checked`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("form lacks %q", want)
			}
		}
		r = anon.post("/subscribe", "/subscribe", url.Values{"email": {""}, "name": {"Ann"}, "country": {"FR"}})
		for _, want := range []string{"Enter an email address like name@example.org.", "Tick the box to confirm that you want our emails.", `<option value="FR" selected>`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("second form lacks %q", want)
			}
		}
		if strings.Contains(r.Body, "is required") || strings.Contains(r.Body, "is not a valid address") {
			t.Error("a field error reads as a fragment")
		}
		var n int64
		env.db.Gorm.Model(&models.Supporter{}).Count(&n)
		if n != 0 {
			t.Fatalf("%d supporters stored from refused forms", n)
		}
		// A good signup with a country goes through.
		if r := anon.post("/subscribe", "/subscribe", url.Values{"email": {"ann@example.org"}, "country": {"GB"}, "consent": {"yes"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("good signup: %d", r.Status)
		}
	})
}
