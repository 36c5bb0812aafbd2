package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pressroom/models"
)

// TestHeaderKeepsToOneLine: with a long organisation name and a long account
// name, the newsroom's header and the staff menu stay on one line at 1280 px
// (the menu collapses below that instead), and a public release and a
// journalist's embargo preview read in a centred measure of readable width
// rather than the left half of the window.
func TestHeaderKeepsToOneLine(t *testing.T) {
	tb := newTab(t)
	ctx := context.Background()
	long := "Freedonia Rights Watch — International Federation for Press Freedom, Human Rights and the Rule of Law in Central Asia"
	if err := models.SaveSiteSettings(ctx, tb.srv.DB.Gorm, models.SiteSettings{OrganisationName: long}, "", tb.srv.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	release := publishDemo(t, tb.srv, "en", "Release the detained journalists at once", "Security forces detained forty journalists overnight.\n\nThey must be released at once.")
	headline, body, embargo := "Arms shipment halted at the port", "Dockworkers refused to load the shipment.\n\nThe minister must now revoke the licence.", tb.srv.Clock.Now().Add(24*time.Hour)
	scheduled := approvedRelease(t, tb.srv, "press@example.org", models.DocumentInput{Kind: models.KindPressRelease, Headline: &headline, Body: &body, EmbargoAt: ptr(&embargo)})
	press, err := models.UserByEmail(ctx, tb.srv.DB.Gorm, "press@example.org")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := models.CreatePreviewLink(ctx, tb.srv.DB.Gorm, press, scheduled.ID, "", "desk@news.example", embargo, tb.srv.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	admin, err := models.UserByEmail(ctx, tb.srv.DB.Gorm, "admin@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := models.UpdateUser(ctx, tb.srv.DB.Gorm, admin.ID, models.UpdateUserInput{Name: "Alexandra Konstantinopoulou-Abernathy-Wolfeschlegelsteinhausen", Role: admin.Role},
		tb.srv.Clock.Now()); err != nil {
		t.Fatal(err)
	}
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
	for _, p := range []string{release, "/preview/" + token} {
		tb.open(p)
		measure := run(tb, "measure", chromedp.Evaluate[[]float64](`(() => {
  const r = document.querySelector(".public-release").getBoundingClientRect();
  return [r.left, window.innerWidth - r.right, r.width];
})()`))
		if measure[2] > 800 || measure[0] < 100 || abs(measure[0]-measure[1]) > 24 {
			tb.failf("%s: the release's text is %.0f px wide with %.0f px left and %.0f px right: not a centred readable measure", p, measure[2], measure[0], measure[1])
		}
	}
	tb.expectText("EMBARGOED UNTIL", headline)
	tb.login("admin@example.org")
	for _, p := range []string{"/admin", "/admin/releases", "/admin/review", "/admin/supporters", "/admin/settings", "/admin/audit"} {
		tb.open(p)
		if n := rows(".topbar nav"); n != 1 {
			tb.failf("%s: the staff menu wraps onto %d rows at 1280 px", p, n)
		}
		// On one line, and all of it inside the window: nothing pushed off the
		// edge (Sign out included) or scrolled sideways to make room.
		if out := run(tb, "menu overflow", chromedp.Evaluate[[]float64](`(() => {
  const right = Math.max(...[...document.querySelectorAll(".topbar nav li")].map(e => e.getBoundingClientRect().right));
  return [right, window.innerWidth, document.documentElement.scrollWidth];
})()`)); out[0] > out[1] || out[2] > out[1] {
			tb.failf("%s: the staff menu reaches %.0f px in a %.0f px window (page %.0f px wide)", p, out[0], out[1], out[2])
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
