package browsertest

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"pressroom/models"
)

// TestReleasePages takes one release through every state a page shows it in
// and, at each, runs axe-core (serious and critical violations fail), checks
// the phone layout and saves desktop and phone screenshots: the editor (new
// and with errors), the release page as a draft, in review as an approver and
// scheduled, the review queue, history and diff, the embargo preview and its
// revoked link, the newsroom and a public release, and the settings pages
// around releases.
func TestReleasePages(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	tb.confirmDialogs()
	axe := axeSource(t)
	shots := newShots(t)
	check := func(tb *tab, name, wantPath string) {
		t.Helper()
		tb.expectPath(wantPath)
		tb.checkA11y(axe)
		shots.capture(tb, name)
	}
	london, _ := time.LoadLocation("Europe/London")
	embargo := tb.srv.Clock.Now().In(london).Add(time.Hour).Truncate(time.Minute)
	const headline = "Court ruling: arms export licences unlawful"

	tb.login("press@example.org")
	tb.click("Releases")
	tb.click("New press release")
	check(tb, "editor-new", "/admin/releases/new?kind=press_release")
	if status := tb.submit("Save"); status != http.StatusUnprocessableEntity {
		tb.failf("blank release saved: status %d, want 422", status)
	}
	check(tb, "editor-errors", "/admin/releases")

	tb.fill("Headline", headline)
	tb.fill("Standfirst", "The High Court found that ministers ignored the risk of serious violations.")
	tb.fill("Dateline", "LONDON, "+embargo.Format("2 January 2006"))
	tb.fill("Body", "The court ruled that the licences were **unlawful**.\n\n> “This is a victory for the people of Yemen.”\n\n1. Suspend the licences\n2. Publish the risk assessment")
	tb.fill("Name", "Sam Spokes")
	tb.fill("Phone", "+44 20 7946 0000")
	tb.fill("Email", "press@example.org")
	tb.typeDateTime("Embargoed until", embargo)
	tb.submit("Save")
	id := strings.TrimPrefix(tb.path(), "/admin/releases/")
	check(tb, "release-draft", "/admin/releases/"+id)

	tb.click("Edit")
	tb.fill("Headline", headline+" (updated)")
	tb.submit("Save")
	tb.expectText("Saved as revision 2.")
	tb.click("History (2 revisions)")
	check(tb, "release-history", "/admin/releases/"+id+"/history")
	tb.click("changes")
	check(tb, "release-diff", "/admin/releases/"+id+"/diff?from=1&to=2")
	tb.click("← History")
	tb.click("← Court ruling: arms export licences unlawful (updated)")
	tb.submit("Submit for approval")
	tb.expectText("Submitted for approval.")
	tb.click("Sign out")

	tb.login("head.press@example.org")
	tb.click("Review queue")
	check(tb, "review-queue", "/admin/review")
	tb.click("Open the release")
	check(tb, "release-in-review-approver", "/admin/releases/"+id)
	tb.submit("Approve revision 2")
	tb.click("Sign out")
	tb.login("legal@example.org")
	tb.click("Review queue")
	tb.clickNear("Approve revision 2", headline)
	tb.click("Sign out")

	tb.login("press@example.org")
	tb.click("Releases")
	tb.click(headline + " (updated)")
	tb.fill("Journalist's email", "desk@example.net")
	tb.submit("Make a preview link")
	link := regexp.MustCompile(`https?://\S+/preview/[A-Za-z0-9_-]+`).FindString(tb.textOf(".flash"))
	if link == "" {
		tb.failf("no preview link in the message")
	}
	check(tb, "release-scheduled", "/admin/releases/"+id)

	j := tb.stranger()
	run(j, "open the preview", chromedp.Navigate(link))
	previewPath := strings.TrimPrefix(link, tb.srv.URL)
	check(j, "preview", previewPath)
	tb.clickNear("Revoke", "desk@example.net")
	tb.expectText("Preview link revoked")
	if status := run(j, "open the revoked preview", chromedp.NavigateResponse(link)); status == nil || status.Status != http.StatusGone {
		j.failf("revoked preview: %v, want 410", status)
	}
	j.expectText("This preview link was withdrawn by the press office.")
	check(j, "preview-revoked", previewPath)

	tb.srv.Clock.Advance(time.Until(embargo) + time.Minute)
	eventually(t, "the embargo job to publish the release", func() (bool, error) {
		d, err := models.DocumentByID(context.Background(), tb.srv.DB.Gorm, id)
		return err == nil && d.Status == models.StatusPublished, err
	})
	j.clearCache()
	run(j, "open the newsroom", chromedp.Navigate(tb.srv.URL+"/news"))
	check(j, "news", "/news")
	j.click(headline + " (updated)")
	check(j, "news-release", j.path())

	tb.click("Sign out")
	tb.login("admin@example.org")
	for _, p := range []struct{ link, name, path string }{
		{"", "settings", "/admin/settings"},
		{"Workflows", "workflows", "/admin/workflows"},
		{"Index series", "series", "/admin/series"},
		{"Campaigns", "campaigns", "/admin/campaigns"},
	} {
		tb.click("Settings")
		if p.link != "" {
			tb.click(p.link)
		}
		check(tb, p.name, p.path)
	}
}

// confirmDialogs answers OK to every confirmation dialog the page raises
// ("Revoke this preview link?"), as a user who means it would.
func (tb *tab) confirmDialogs() {
	tb.t.Helper()
	err := chromedp.Listen(tb.ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			// Events arrive on the connection's reader; answer from elsewhere.
			go func() {
				_ = chromedp.Do(tb.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
					_, err := cdp.Call(ctx, t, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
					return err
				}))
			}()
		}
	})
	if err != nil {
		tb.t.Fatal(err)
	}
}

// clearCache empties the browser's HTTP cache. Public pages are cacheable for
// up to a minute of real time; after the test's clock jumps past an embargo,
// a real browser's copies would long have expired.
func (tb *tab) clearCache() {
	tb.t.Helper()
	run(tb, "clear the browser cache", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.ClearBrowserCache, cdp.Empty{})
		return err
	}))
}
