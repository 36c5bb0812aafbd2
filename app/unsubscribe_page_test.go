package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/models"
)

// TestUnsubscribeLinkPageIsOneButton: the page an email's unsubscribe link
// opens leads with one button that unsubscribes; opening it (as a mail scanner
// does) changes nothing; one press unsubscribes and the page then offers a way
// back with preferences.
func TestUnsubscribeLinkPageIsOneButton(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		sup := subscribed(t, env, "reader@example.org")
		path := strings.TrimPrefix(env.server.UnsubscribeURL(sup.ID), env.cfg.BaseURL.String())
		b := env.browser()
		page := b.get(path)
		first := strings.Index(page.Body, "<form")
		if page.Status != http.StatusOK || first < 0 || !strings.Contains(page.Body[first:first+300], `name="action" value="unsubscribe"`) ||
			!strings.Contains(page.Body, "Unsubscribe reader@example.org</button>") {
			t.Fatalf("the page's first form is not the unsubscribe button: %d", page.Status)
		}
		if got, _ := models.SupporterByID(ctx, env.db.Gorm, sup.ID); got.Status != models.StatusSubscribed {
			t.Fatalf("opening the link changed the status to %s", got.Status)
		}
		r := b.post(path, path, url.Values{"action": {"unsubscribe"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("unsubscribe: %d", r.Status)
		}
		if got, _ := models.SupporterByID(ctx, env.db.Gorm, sup.ID); got.Status != models.StatusUnsubscribed {
			t.Fatalf("one press left the status %s", got.Status)
		}
		after := b.get(r.Location)
		if !strings.Contains(after.Body, "You are unsubscribed") || !strings.Contains(after.Body, "choose the topics and how often") {
			t.Fatal("after unsubscribing the page does not offer preferences")
		}
	})
}
