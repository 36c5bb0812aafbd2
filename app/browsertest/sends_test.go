package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pressroom/models"
)

// subscribeTarget is the promise of the public signup: one form submit, then
// the link in the confirmation email and the one button it opens (a GET alone
// never confirms: mail scanners fetch links). Ticking the consent box is asked
// of everyone and not counted.
const (
	subscribeSubmitsTarget = 1
	subscribeClicksTarget  = 2
)

// TestSendJourneys: a press officer sends an approved, embargoed release to a
// media list, watches it go out, and a journalist opens the personal embargo
// preview link from the email they received.
func TestSendJourneys(t *testing.T) {
	t.Parallel()
	eachDialect(t, sendJourneys)
}

func sendJourneys(tb *tab) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		tb.t.Fatal(err)
	}
	embargo := tb.srv.Clock.Now().In(london).Add(2 * time.Hour).Truncate(time.Minute)
	const headline = "Bombs sold this year hit a hospital, investigation finds"
	d := approvedRelease(tb.t, tb.srv, "press@example.org", models.DocumentInput{Kind: models.KindPressRelease,
		Headline: ptr(headline), Standfirst: ptr("Fragments recovered at the site match a licensed export."),
		Dateline: ptr("LONDON, " + embargo.Format("2 January 2006")), Body: ptr("Ministers must **suspend the licences** today."),
		EmbargoAt: ptr(ptr(embargo)), EmbargoTZ: ptr("Europe/London")})
	if d.Status != models.StatusScheduled {
		tb.t.Fatalf("the approved release is %s, want scheduled", d.Status)
	}
	banner := strings.ToUpper("EMBARGOED UNTIL " + embargo.Format("15:04 MST 2 January 2006"))

	tb.journey("press-officer-send-to-media-list", func() {
		tb.login("press@example.org")
		actions0 := tb.actions
		tb.click("Releases")
		tb.click(headline)
		tb.click("Send")
		tb.expectPath("/admin/releases/" + d.ID + "/send")
		tb.expectText("Journalists receive it marked", "with a personal preview link")
		tb.check("Foreign desks")
		tb.submit("Prepare send")
		if !regexp.MustCompile(`^/admin/sends/[^/]+$`).MatchString(tb.path()) {
			tb.failf("after preparing, on %s, want the send page", tb.path())
		}
		tb.expectText("Send prepared.", "Draft")
		tb.check("I have checked the preview and the audience")
		tb.submit("Dispatch")
		tb.expectText("Dispatched. Progress updates live below.")
		before := tb.watchSend(5, 0)
		n := tb.actions - actions0
		msg := fmt.Sprintf("send to a media list%s: %d actions from the dashboard to all 5 journalists handed over (progress live from %s)", tb.tag, n, before)
		tb.t.Log(msg)
		fmt.Println(msg)
	})

	// The journalist has never signed in: a browser of their own.
	j := tb.stranger()
	j.journey("journalist-opens-emailed-preview", func() {
		const journalist = "amira.haddad@example.net"
		m := waitMail(j.t, j.srv, journalist, "EMBARGOED")
		link := regexp.MustCompile(`https?://\S+/preview/[A-Za-z0-9_-]+`).FindString(m.TextBody)
		if link == "" {
			j.failf("no preview link in the email to %s:\n%s", journalist, m.TextBody)
		}
		if !strings.Contains(m.HTML, link) {
			j.failf("the HTML email lacks the preview link of the text version")
		}
		if status := j.follow(link); status != http.StatusOK {
			j.failf("preview link: status %d", status)
		}
		j.expectText(headline, "Embargoed preview for "+journalist)
		if got := j.textOf(".embargo-banner"); got != banner {
			j.failf("the banner reads %q, want %q", got, banner)
		}
	})
}

// TestAudienceJourneys: a member of the public subscribes to the supporter
// list from its signup form, a campaigner imports more supporters from a
// spreadsheet and sends them an action alert, and the new subscriber leaves
// from the link in that alert; a mail provider's one-click unsubscribe works
// without a browser.
func TestAudienceJourneys(t *testing.T) {
	t.Parallel()
	eachDialect(t, audienceJourneys)
}

func audienceJourneys(tb *tab) {
	ctx := context.Background()
	db := tb.srv.DB.Gorm
	list := supporterList(tb.t, tb.srv, "Arms campaign supporters")
	const alert = "Urgent action: stop the arms shipment leaving on Friday"
	approvedRelease(tb.t, tb.srv, "campaigner@example.org", models.DocumentInput{Kind: models.KindActionAlert,
		Headline: ptr(alert), Standfirst: ptr("The ship is loading in port now."), Body: ptr("Write to the minister **today**.")})
	const email = "maya.okoro@example.com"

	s := tb.stranger()
	s.journey("supporter-subscribe", func() {
		s.open("/subscribe?list=" + list.ID) // the list's signup form, linked from a campaign page
		s.fill("Email address *", email)
		s.fill("Name", "Maya Okoro")
		s.choose("Country", "Nigeria")
		actions0 := s.actions
		s.check(`input[name="consent"]`)
		ticks := s.actions - actions0
		s.submit("Subscribe")
		submits := s.actions - actions0 - ticks
		s.expectPath("/subscribe/thanks")
		s.expectText("Check your email")
		m := waitMail(s.t, s.srv, email, "Please confirm your subscription")
		link := regexp.MustCompile(`https?://\S+/subscribe/confirm/\S+`).FindString(m.TextBody)
		if link == "" {
			s.failf("no confirmation link in the email:\n%s", m.TextBody)
		}
		clicks0 := s.actions
		s.follow(link)
		s.expectText("Confirm my subscription")
		s.submit("Confirm my subscription")
		clicks := s.actions - clicks0
		s.expectText("You are subscribed", email+" will receive")
		sup, err := models.SupporterByEmail(ctx, db, email)
		if err != nil || sup.Status != models.StatusSubscribed {
			s.failf("after confirming, the supporter is %v (%v), want subscribed", sup, err)
		}
		msg := fmt.Sprintf("subscribe%s: %d submit + %d confirmation click (target %d + %d; %d actions with the consent tick)",
			s.tag, submits, clicks, subscribeSubmitsTarget, subscribeClicksTarget, s.actions-actions0)
		s.t.Log(msg)
		fmt.Println(msg)
		if submits > subscribeSubmitsTarget || clicks > subscribeClicksTarget {
			s.failf("subscribing took %d submits and %d clicks", submits, clicks)
		}
	})

	tb.journey("campaigner-import-supporters", func() {
		tb.login("campaigner@example.org")
		tb.click("Supporters")
		tb.click("Supporter lists")
		tb.clickNear("Import CSV", list.Name)
		// An export from a spreadsheet in another language: semicolons, and
		// headers the import does not all recognise.
		tb.upload("CSV file", "supporters.csv", "E-mail Address;Full name;Land;Signed up\n"+
			"gita.rao@example.org;Gita Rao;IN;2026-05-01\n"+
			"hugo.lind@example.org;Hugo Lind;SE;2026-05-02\n"+
			"ben.carter@example.org;Ben Carter;GB;2026-04-11\n"+
			"not-an-address;Nobody;GB;2026-05-03\n")
		tb.submit("Preview")
		tb.expectText("4 rows found", "Check which column holds each field", "gita.rao@example.org")
		for field, want := range map[string]string{"email": "E-mail Address", "name": "Full name", "country": "(not imported)", "consent_at": "(not imported)"} {
			if got := tb.selected("#map_" + field); got != want {
				tb.failf("the preview maps %s to %q, want %q", field, got, want)
			}
		}
		tb.choose("Country", "Land")
		tb.choose("Consent date", "Signed up")
		tb.submit("Import")
		if !strings.HasPrefix(tb.path(), "/admin/imports/") {
			tb.failf("after importing, on %s, want the result", tb.path())
		}
		got := run(tb, "result counts", chromedp.Evaluate[string](
			`[...document.querySelectorAll(".stats .stat")].map(s => s.innerText.replace(/\s+/g, " ").trim()).join(", ")`))
		if got != "2 new, 1 updated, 1 rejected" {
			tb.failf("the result reads %q, want 2 new, 1 updated, 1 rejected", got)
		}
		tb.expectText("5\tinvalid email address", "Download rejected rows (CSV)")
		msg := fmt.Sprintf("import%s: %s", tb.tag, got)
		tb.t.Log(msg)
		fmt.Println(msg)
		sup, err := models.SupporterByEmail(ctx, db, "gita.rao@example.org")
		if err != nil || sup.Status != models.StatusSubscribed || sup.Country != "IN" {
			tb.failf("the imported supporter is %+v (%v), want subscribed from IN", sup, err)
		}
	})

	tb.journey("campaigner-send-alert", func() {
		actions0 := tb.actions
		tb.click("Releases")
		tb.click(alert)
		tb.click("Send")
		tb.check(list.Name)
		tb.submit("Prepare send")
		tb.check("I have checked the preview and the audience")
		tb.submit("Dispatch")
		// Five from the demo, the new subscriber and two imported; the demo's
		// pending sign-up is left out (suppressed).
		before := tb.watchSend(8, 1)
		msg := fmt.Sprintf("send an alert%s: %d actions from the import result to all 8 supporters handed over (progress live from %s)", tb.tag, tb.actions-actions0, before)
		tb.t.Log(msg)
		fmt.Println(msg)
	})

	s.journey("supporter-unsubscribe", func() {
		m := waitMail(s.t, s.srv, email, alert)
		link := regexp.MustCompile(`Unsubscribe with one click: (\S+)`).FindStringSubmatch(m.TextBody)
		if link == nil {
			s.failf("no unsubscribe link in the alert:\n%s", m.TextBody)
		}
		actions0 := s.actions
		s.follow(link[1])
		// The link leaves the list the alert came through, in one press.
		s.expectText("This email came to "+email+" through "+list.Name+". One click takes you off it.", "Stop every email from us", "Or hear from us less")
		s.submit("Unsubscribe from " + list.Name)
		s.expectText("You are unsubscribed from "+list.Name, "You still get our other emails.")
		onList := func(addr string) bool {
			var n int64
			db.Model(&models.SupporterListMember{}).Where("list_id = ? AND supporter_id IN (SELECT id FROM supporters WHERE email = ?)", list.ID, addr).Count(&n)
			return n > 0
		}
		sup, err := models.SupporterByEmail(ctx, db, email)
		if err != nil || sup.Status != models.StatusSubscribed || onList(email) {
			s.failf("after leaving the list, the supporter is %+v (%v), on the list: %t", sup, err, onList(email))
		}
		msg := fmt.Sprintf("unsubscribe from the email%s: %d actions (open the link, one button)", s.tag, s.actions-actions0)
		s.t.Log(msg)
		fmt.Println(msg)
		// And from everything, one press more.
		s.submit("Stop every email from us")
		s.expectText("You are unsubscribed", email+" will not receive any more emails from us.")
		if sup, err := models.SupporterByEmail(ctx, db, email); err != nil || sup.Status != models.StatusUnsubscribed {
			s.failf("after stopping every email, the supporter is %+v (%v)", sup, err)
		}

		// RFC 8058: the mail provider's unsubscribe button posts to the
		// List-Unsubscribe address, with no cookies and no page.
		const other = "gita.rao@example.org"
		om := waitMail(s.t, s.srv, other, alert)
		h := om.HeaderMap()
		if h["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
			s.failf("List-Unsubscribe-Post is %q", h["List-Unsubscribe-Post"])
		}
		u := strings.TrimSuffix(strings.TrimPrefix(h["List-Unsubscribe"], "<"), ">")
		if !strings.HasPrefix(u, s.srv.URL+"/u/") {
			s.failf("List-Unsubscribe is %q", h["List-Unsubscribe"])
		}
		resp, err := http.PostForm(u, url.Values{"List-Unsubscribe": {"One-Click"}})
		if err != nil {
			s.t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			s.failf("one-click unsubscribe: status %d, want 200", resp.StatusCode)
		}
		if sup, err := models.SupporterByEmail(ctx, db, other); err != nil || sup.Status != models.StatusSubscribed || onList(other) {
			s.failf("after one-click unsubscribe, %s is %+v (%v), on the alert's list: %t; want off the list, still subscribed", other, sup, err, onList(other))
		}
	})
}

// approvedRelease drafts a release as its author, submits it and has both
// approvers of the standard workflow sign it off, through the models: the
// screens for that are covered by the release journeys.
func approvedRelease(t *testing.T, srv *server, author string, in models.DocumentInput) *models.Document {
	t.Helper()
	ctx := context.Background()
	db := srv.DB.Gorm
	user := func(email string) *models.User {
		u, err := models.UserByEmail(ctx, db, email)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	now := srv.Clock.Now()
	d, err := models.CreateDocument(ctx, db, user(author), in, now)
	if err != nil {
		t.Fatalf("draft: %v", err)
	}
	if _, err := models.SubmitDocument(ctx, db, user(author), d.ID, false, now); err != nil {
		t.Fatalf("submit: %v", err)
	}
	var res *models.ApproveResult
	for _, approver := range []string{"head.press@example.org", "legal@example.org"} {
		if res, err = models.ApproveDocument(ctx, db, user(approver), d.ID, "", now); err != nil {
			t.Fatalf("approve as %s: %v", approver, err)
		}
	}
	if !res.Final {
		t.Fatal("the release is not approved after both steps")
	}
	return res.Document
}

// supporterList finds a supporter list by name.
func supporterList(t *testing.T, srv *server, name string) models.ListWithCount {
	t.Helper()
	ls, err := models.SupporterLists(context.Background(), srv.DB.Gorm)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no supporter list %q", name)
	return models.ListWithCount{}
}

// waitMail waits for the newest email to an address whose subject contains
// the given text, as the recipient waits for it to arrive.
func waitMail(t *testing.T, srv *server, to, subject string) models.OutboxMessage {
	t.Helper()
	var found models.OutboxMessage
	eventually(t, fmt.Sprintf("an email to %s about %q", to, subject), func() (bool, error) {
		ms, err := models.OutboxMessages(context.Background(), srv.DB.Gorm, to, 20)
		for _, m := range ms {
			if strings.Contains(m.Subject, subject) {
				found = m
				return true, nil
			}
		}
		return false, err
	})
	return found
}

// follow opens a link from an email, as clicking it in the mail program
// does: one action and a page load in this browser.
func (tb *tab) follow(link string) int64 {
	tb.t.Helper()
	tb.actions++
	resp := run(tb, "follow "+link, chromedp.NavigateResponse(link))
	if resp == nil {
		return 0
	}
	return resp.Status
}

// upload writes a file with the given content and picks it in the file field
// with that label: one action (choosing it in the file dialog).
func (tb *tab) upload(label, name, content string) {
	tb.t.Helper()
	p := filepath.Join(tb.t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.t.Fatal(err)
	}
	sel := tb.field(label)
	run(tb, "choose "+name, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{p}))
	tb.actions++
}

// selected is the text of the chosen option of a select.
func (tb *tab) selected(sel string) string {
	tb.t.Helper()
	return run(tb, "selected in "+sel, chromedp.Evaluate[string](fmt.Sprintf(
		`(() => { const s = document.querySelector(%s); return s && s.selectedIndex >= 0 ? s.options[s.selectedIndex].text.trim() : ""; })()`, jsString(sel))))
}

// sendStats reads the numbers under the send page's progress bar.
const sendStatsJS = `(() => {
  const p = document.getElementById("send-progress");
  if (!p) return null;
  const stats = {};
  for (const s of p.querySelectorAll(".stat")) stats[s.querySelector("span").textContent.trim()] = Number(s.querySelector("strong").textContent);
  return {percent: Number(document.getElementById("send-bar").value), live: p.hasAttribute("hx-get"), marked: p.hasAttribute("data-bt-seen"), stats};
})()`

type sendStats struct {
	Percent int            `json:"percent"`
	Live    bool           `json:"live"`
	Marked  bool           `json:"marked"`
	Stats   map[string]int `json:"stats"`
}

// watchSend waits on a dispatched send's page until the live progress (htmx
// polling the page) shows all n sendable recipients submitted to the mail
// provider and the suppressed ones left out, then checks the finished state.
// It returns how far the bar was when the page first loaded.
func (tb *tab) watchSend(n, suppressed int) string {
	tb.t.Helper()
	first := run(tb, "send progress", chromedp.Evaluate[sendStats](sendStatsJS))
	// Mark the progress box: an htmx swap replaces it with an unmarked one.
	run(tb, "mark progress", chromedp.Evaluate[chromedp.Void](`document.getElementById("send-progress").setAttribute("data-bt-seen", "")`))
	before := fmt.Sprintf("%d%%", first.Percent)
	if first.Percent == 100 {
		// The worker was quicker than the page: nothing left to watch.
		before += ", already done when the page loaded"
	} else if !first.Live {
		tb.failf("the send page at %d%% does not update itself", first.Percent)
	}
	deadline := time.Now().Add(stepTimeout)
	var st sendStats
	for {
		st = run(tb, "send progress", chromedp.Evaluate[sendStats](sendStatsJS))
		if st.Percent == 100 && st.Stats["submitted"] == n && !st.Live {
			break
		}
		if time.Now().After(deadline) {
			tb.failf("timed out waiting for %d recipients submitted; progress %+v", n, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if first.Percent < 100 && st.Marked {
		tb.failf("the progress reached 100%% without an htmx update")
	}
	if st.Stats["recipients"] != n+suppressed || st.Stats["suppressed"] != suppressed || st.Stats["failed"] != 0 || st.Stats["queued"] != 0 {
		tb.failf("the finished send shows %+v, want %d recipients of whom %d suppressed, none queued or failed", st.Stats, n+suppressed, suppressed)
	}
	tb.expectText("100% handed over")
	if got := tb.textOf(".page-head .badge"); got != "Sent" {
		tb.failf("the status reads %q once everything is handed over, want Sent", got)
	}
	// The live update takes the buttons of a running send away with it.
	if buttons := run(tb, "send actions", chromedp.Evaluate[string](`document.getElementById("send-actions").innerText.trim()`)); buttons != "" {
		tb.failf("the finished send still offers %q", buttons)
	}
	return before
}

func ptr[T any](v T) *T { return &v }
