package app_test

import (
	"fmt"
	"strings"
	"testing"

	"pressroom/models"
)

// TestOutboxPreviewOpensLinksInANewTab: the HTML preview of a message carries
// <base target="_blank"> in its head and its frame may open popups, so a link
// clicked in the preview opens a tab instead of loading inside the frame.
func TestOutboxPreviewOpensLinksInANewTab(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		m := models.OutboxMessage{CreatedAt: env.clock.Now(), ToAddr: "a@example.org", FromAddr: "press@example.org", Subject: "Links",
			HTML: `<!doctype html><html><head><meta charset="utf-8"></head><body><a href="https://example.org">Take action</a></body></html>`, Headers: "{}", CustomArgs: "{}"}
		if err := env.db.Gorm.Create(&m).Error; err != nil {
			t.Fatal(err)
		}
		b := env.login(models.RolePressOfficer)
		r := b.get(fmt.Sprintf("/admin/outbox/%d/html", m.ID))
		if !strings.HasPrefix(r.Body, `<!doctype html><html><head><base target="_blank"><meta charset="utf-8">`) {
			t.Fatalf("preview document: %s", r.Body)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox allow-popups allow-popups-to-escape-sandbox;") || strings.Contains(csp, "allow-scripts") {
			t.Fatalf("CSP %q", csp)
		}
		page := b.get(fmt.Sprintf("/admin/outbox/%d", m.ID))
		if !strings.Contains(page.Body, `sandbox="allow-popups allow-popups-to-escape-sandbox"`) {
			t.Fatal("the preview frame does not allow links to open a tab")
		}
	})
}
