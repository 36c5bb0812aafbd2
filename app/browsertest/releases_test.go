package browsertest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pressroom/models"
)

// draftToSubmittedTarget is the most actions a press officer may need between
// "New press release" and a submitted release, not counting the typing: the
// rapid-response promise is that the form never stands in the way.
const draftToSubmittedTarget = 6

// queueApproveTarget is the most actions an approver may need to approve from
// the review queue: open the queue, approve.
const queueApproveTarget = 2

// TestReleaseJourneys follows one rapid-response release from the press
// officer's first keystroke to the public newsroom: draft and submit under
// embargo, two approvers sign off, a journalist reads the embargoed preview,
// and the release stays off every public surface until the embargo lifts,
// then appears on all of them.
func TestReleaseJourneys(t *testing.T) {
	t.Parallel()
	eachDialect(t, releaseJourneys)
}

// release is what the journeys learn about the release as it goes.
type release struct {
	id, slug, index string
	headline        string
	embargo         time.Time // in Europe/London, to the minute
}

func releaseJourneys(tb *tab) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		tb.t.Fatal(err)
	}
	// Two hours ahead: far enough that nothing lifts it by accident while the
	// journeys run, near enough to be a realistic rapid-response embargo.
	r := &release{
		headline: "Arms transfers fuelling the siege must stop today",
		embargo:  tb.srv.Clock.Now().In(london).Add(2 * time.Hour).Truncate(time.Minute),
	}
	r.index = fmt.Sprintf("PRE 01/001/%d", r.embargo.Year())
	// The banner is set in capitals (CSS), and that is what the reader sees.
	banner := strings.ToUpper("EMBARGOED UNTIL " + r.embargo.Format("15:04 MST 2 January 2006"))

	tb.journey("press-officer-draft-to-submitted", func() {
		tb.login("press@example.org")
		tb.click("Releases")
		actions0 := tb.actions
		tb.click("New press release")
		tb.expectPath("/admin/releases/new?kind=press_release")
		tb.fill("Headline", r.headline)
		tb.fill("Standfirst", "New evidence shows weapons supplied this year were used against civilians.")
		tb.fill("Dateline", "LONDON, "+r.embargo.Format("2 January 2006"))
		tb.fill("Body", "Governments must **suspend all arms transfers** at once.\n\n- Stop the shipments\n- Open an inquiry")
		// The preview pane follows the typing (htmx, after a short pause).
		tb.waitFor("the preview shows the bold text", `(() => {
  const b = document.querySelector("#preview strong");
  return !!b && b.textContent === "suspend all arms transfers";
})()`)
		tb.typeDateTime("Embargoed until", r.embargo)
		if got := run(tb, "time zone", chromedp.Value(chromedp.CSS("#embargo_timezone"))); got != "Europe/London" {
			tb.failf("the time zone offered is %q, want the organisation's Europe/London", got)
		}
		tb.check("Rapid response")
		tb.submit("Save and submit for approval")
		if !regexp.MustCompile(`^/admin/releases/[^/]+$`).MatchString(tb.path()) {
			tb.failf("after submitting, on %s, want the release page", tb.path())
		}
		r.id = strings.TrimPrefix(tb.path(), "/admin/releases/")
		tb.expectText("Submitted in rapid-response mode", r.headline, "In review", "Rapid response", banner)
		n := tb.actions - actions0
		msg := fmt.Sprintf("draft to submitted%s: %d actions after typing (target ≤ %d)", tb.tag, n, draftToSubmittedTarget)
		tb.t.Log(msg)
		fmt.Println(msg)
		if n > draftToSubmittedTarget {
			tb.failf("draft to submitted took %d actions, want at most %d", n, draftToSubmittedTarget)
		}
		tb.click("Sign out")
	})

	tb.journey("approvers-sign-off", func() {
		tb.login("head.press@example.org")
		actions0 := tb.actions
		tb.click("Review queue")
		tb.expectText(r.headline, "Rapid response")
		// Each step of a rapid-response review has its own deadline: 20 minutes
		// for the Press desk, shown as a countdown.
		if due := tb.textOf(".queue li .badge-muted"); !regexp.MustCompile(`^due in (1[89]|20) min$`).MatchString(due) {
			tb.failf("the SLA countdown reads %q, want about 20 minutes", due)
		}
		tb.clickNear("Approve revision 1", r.headline)
		n := tb.actions - actions0
		msg := fmt.Sprintf("approve from the queue%s: %d actions (target ≤ %d)", tb.tag, n, queueApproveTarget)
		tb.t.Log(msg)
		fmt.Println(msg)
		if n > queueApproveTarget {
			tb.failf("approving from the queue took %d actions, want at most %d", n, queueApproveTarget)
		}
		tb.expectPath("/admin/review")
		tb.expectText("Approved.", "Nothing waits for your approval.")
		tb.click("Sign out")

		tb.login("legal@example.org")
		tb.click("Review queue")
		tb.click(r.headline)
		tb.expectText("Your review (Legal)", "✓ Hana Head-of-Press")
		tb.submit("Approve revision 1")
		tb.expectPath("/admin/releases/" + r.id)
		tb.expectText("Approved: the release is Scheduled as "+r.index+".", r.index, "Scheduled", banner)
		if got := tb.textOf(".page-head .badge"); got != "Scheduled" {
			tb.failf("status badge reads %q, want Scheduled", got)
		}
		tb.click("Sign out")
	})

	tb.journey("press-officer-embargo-preview", func() {
		tb.login("press@example.org")
		tb.click("Releases")
		tb.click(r.headline)
		tb.fill("Journalist's email", "reporter@example.net")
		tb.submit("Make a preview link")
		flash := tb.textOf(".flash")
		link := regexp.MustCompile(`https?://\S+/preview/[A-Za-z0-9_-]+`).FindString(flash)
		if link == "" {
			tb.failf("no preview link in the message %q", flash)
		}

		// The journalist has never signed in: a browser of their own.
		j := tb.stranger()
		if status := run(j, "open the preview link", chromedp.NavigateResponse(link)); status == nil || status.Status != http.StatusOK {
			j.failf("preview link: %v", status)
		}
		j.expectText(banner, r.headline, "Embargoed preview for reporter@example.net")
		if got := j.textOf(".embargo-banner"); got != banner {
			j.failf("the banner reads %q, want %q", got, banner)
		}
		robots := run(j, "robots meta", chromedp.Evaluate[string](`(document.querySelector('meta[name="robots"]') || {}).content || ""`))
		if !strings.HasPrefix(robots, "noindex") {
			j.failf("robots meta is %q, want noindex", robots)
		}

		// Every opening is logged where the press officer can see it.
		tb.open("/admin/releases/" + r.id)
		row := run(tb, "preview link row", chromedp.Evaluate[string](
			`[...document.querySelectorAll("#previews tbody tr")].map(r => r.innerText).find(t => t.includes("reporter@example.net")) || ""`))
		if cells := strings.Split(row, "\t"); len(cells) < 3 || !strings.HasPrefix(strings.TrimSpace(cells[2]), "1 · last") {
			tb.failf("the preview link row reads %q, want 1 view", row)
		}
		tb.click("Sign out")
	})

	tb.journey("newsroom-embargo-lift", func() {
		d, err := models.DocumentByID(context.Background(), tb.srv.DB.Gorm, r.id)
		if err != nil {
			tb.t.Fatal(err)
		}
		if d.Slug == nil || *d.Slug == "" {
			tb.t.Fatal("the approved release has no slug")
		}
		r.slug = *d.Slug
		indexPath := "/news/index/" + strings.NewReplacer(" ", "-", "/", "-").Replace(r.index)

		// Under embargo: on no public surface.
		tb.open("/news")
		tb.expectNoText(r.headline)
		if status := tb.open("/news/" + r.slug); status != http.StatusNotFound {
			tb.failf("/news/%s under embargo: status %d, want 404", r.slug, status)
		}
		tb.expectNoText(r.headline)
		if status := tb.open(indexPath); status != http.StatusNotFound {
			tb.failf("%s under embargo: status %d, want 404", indexPath, status)
		}
		for _, p := range []string{"/news/feed.atom", "/sitemap.xml", "/sitemap/releases.xml"} {
			if body := fetch(tb, p); strings.Contains(body, r.slug) || strings.Contains(body, r.headline) {
				tb.failf("%s mentions the embargoed release", p)
			}
		}

		// The embargo time comes; the worker's next sweep publishes it.
		tb.srv.Clock.Advance(time.Until(r.embargo) + time.Minute)
		eventually(tb.t, "the embargo job to publish the release", func() (bool, error) {
			d, err := models.DocumentByID(context.Background(), tb.srv.DB.Gorm, r.id)
			return err == nil && d.Status == models.StatusPublished, err
		})

		// The browser cached /news under embargo for at most a minute of real
		// time; the clock just jumped two hours, which would have expired it.
		tb.clearCache()
		tb.open("/news")
		tb.expectText(r.headline)
		tb.click(r.headline)
		tb.expectPath("/news/" + r.slug)
		tb.expectText(r.headline, "Index: "+r.index, "suspend all arms transfers")
		tb.expectNoText("EMBARGOED")
		tb.open(indexPath)
		tb.expectPath("/news/" + r.slug)
		if body := fetch(tb, "/news/feed.atom"); !strings.Contains(body, "/news/"+r.slug) || !strings.Contains(body, r.headline) {
			tb.failf("the Atom feed lacks the published release")
		}
		if body := fetch(tb, "/sitemap/releases.xml"); !strings.Contains(body, "/news/"+r.slug) {
			tb.failf("the sitemap lacks the published release")
		}
	})
}

// typeDateTime types a date and time into a datetime-local field the way a
// user does: focus it and type the digits, which the browser spreads over its
// month, day, year, hour and minute boxes (US English order, the headless
// browser's locale). It checks the field ends up holding that time.
func (tb *tab) typeDateTime(label string, t time.Time) {
	tb.t.Helper()
	sel := tb.field(label)
	run(tb, "focus "+label, chromedp.Focus(chromedp.CSS(sel)))
	run(tb, "type into "+label, chromedp.KeyEvent(t.Format("01022006")+"\t"+t.Format("0304PM")))
	want := t.Format("2006-01-02T15:04")
	if got := run(tb, "value of "+label, chromedp.Value(chromedp.CSS(sel))); got != want {
		tb.failf("%s holds %q after typing, want %q", label, got, want)
	}
}

// waitFor polls a script until it returns true: something the page does by
// itself (an htmx swap) that the user waits to see.
func (tb *tab) waitFor(what, js string) {
	tb.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for !run(tb, what, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			tb.failf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fetch reads a public URL outside the browser (feeds and sitemaps are for
// machines), failing on anything but 200.
func fetch(tb *tab, path string) string {
	tb.t.Helper()
	resp, err := http.Get(tb.srv.URL + path)
	if err != nil {
		tb.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	return string(b)
}
