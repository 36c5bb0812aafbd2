package browsertest

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"pressroom/models"
)

// TestHeaderKeepsToOneLine: with a long organisation name, the newsroom's
// header and the staff menu stay on one line at 1280 px (the menu collapses
// below that instead), and a public release reads in a centred measure of
// readable width rather than the left half of the window.
func TestHeaderKeepsToOneLine(t *testing.T) {
	tb := newTab(t)
	ctx := context.Background()
	long := "Freedonia Rights Watch — International Federation for Press Freedom, Human Rights and the Rule of Law in Central Asia"
	if err := models.SaveSiteSettings(ctx, tb.srv.DB.Gorm, models.SiteSettings{OrganisationName: long}, "", tb.srv.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	release := publishDemo(t, tb.srv, "en", "Release the detained journalists at once", "Security forces detained forty journalists overnight.\n\nThey must be released at once.")
	rows := func(header string) int64 {
		// The number of distinct rows the header's links and buttons sit on.
		return run(tb, "header rows", chromedp.Evaluate[int64](`(() => {
  const boxes = [...document.querySelectorAll(`+jsString(header+" li")+`)].filter(e => e.offsetParent !== null)
    .map(e => e.getBoundingClientRect()).sort((a, b) => a.top - b.top);
  let rows = 0, bottom = -Infinity;
  for (const b of boxes) { if (b.top >= bottom - 2) { rows++; bottom = b.bottom; } else { bottom = Math.max(bottom, b.bottom); } }
  return rows;
})()`))
	}
	run(tb, "resize", chromedp.EmulateViewport(desktopWidth, 900))
	for _, p := range []string{"/news", release} {
		tb.open(p)
		if n := rows(".site-header nav"); n != 1 {
			tb.failf("%s: the newsroom header wraps onto %d rows at 1280 px with a long name", p, n)
		}
	}
	measure := run(tb, "measure", chromedp.Evaluate[[]float64](`(() => {
  const r = document.querySelector(".public-release").getBoundingClientRect();
  return [r.left, window.innerWidth - r.right, r.width];
})()`))
	if measure[2] > 800 || measure[0] < 100 || abs(measure[0]-measure[1]) > 24 {
		tb.failf("the release's text is %.0f px wide with %.0f px left and %.0f px right: not a centred readable measure", measure[2], measure[0], measure[1])
	}
	tb.login("admin@example.org")
	for _, p := range []string{"/admin", "/admin/releases", "/admin/review", "/admin/supporters", "/admin/settings", "/admin/audit"} {
		tb.open(p)
		if n := rows(".topbar nav"); n != 1 {
			tb.failf("%s: the staff menu wraps onto %d rows at 1280 px", p, n)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
