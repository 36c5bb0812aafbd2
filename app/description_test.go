package app_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"pressroom/models"
)

var (
	metaDescription = regexp.MustCompile(`<meta name="description" content="([^"]*)">`)
	ogDescription   = regexp.MustCompile(`<meta property="og:description" content="([^"]*)">`)
)

// TestDescriptionFallsBackToFirstParagraph: a release without a standfirst is
// described (meta description, og:description) by its first paragraph in plain
// text, trimmed; once withdrawn it is described only by its notice.
func TestDescriptionFallsBackToFirstParagraph(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		body := "Security forces **detained** 40 [journalists](https://example.org/list) overnight. " + strings.Repeat("They must be released at once. ", 10) +
			"\n\nSecond paragraph, never in the description."
		d := env.publish(t, "Journalists detained", body, nil, func(in *models.DocumentInput) { in.Standfirst = ptr("") })
		page := env.browser().get("/news/" + *d.Slug)
		m, og := metaDescription.FindStringSubmatch(page.Body), ogDescription.FindStringSubmatch(page.Body)
		if m == nil || og == nil || m[1] != og[1] {
			t.Fatalf("descriptions %v / %v\n%s", m, og, page.Body[:min(len(page.Body), 1500)])
		}
		desc := m[1]
		if !strings.HasPrefix(desc, "Security forces detained 40 journalists overnight. They must") || !strings.HasSuffix(desc, "…") ||
			len([]rune(desc)) > 201 || strings.Contains(desc, "Second paragraph") || strings.Contains(desc, "**") {
			t.Fatalf("description %q", desc)
		}
		if _, err := models.WithdrawDocument(context.Background(), env.db.Gorm, env.users[models.RolePressOfficer], d.ID, "The figures were wrong.", env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		page = env.browser().get("/news/" + *d.Slug)
		m = metaDescription.FindStringSubmatch(page.Body)
		if m == nil || m[1] != "Withdrawn: The figures were wrong." || strings.Contains(page.Body, "Security forces") {
			t.Fatalf("withdrawn description %v", m)
		}
	})
}
