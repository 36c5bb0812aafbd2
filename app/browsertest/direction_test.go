package browsertest

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pressroom/models"
)

// publishDemo has the demo press officer write a release in a language and
// the demo approvers sign it off, published now; it returns its public path.
func publishDemo(t *testing.T, srv *server, language, headline, body string) string {
	t.Helper()
	d := approvedRelease(t, srv, "press@example.org", models.DocumentInput{Kind: models.KindPressRelease, Language: &language, Headline: &headline, Body: &body})
	return "/news/" + *d.Slug
}

// openDemoPetition has the demo campaigner create and open a petition; it
// returns its public path.
func openDemoPetition(t *testing.T, srv *server, title string) string {
	t.Helper()
	ctx := context.Background()
	db := srv.DB.Gorm
	u, err := models.UserByEmail(ctx, db, "campaigner@example.org")
	if err != nil {
		t.Fatal(err)
	}
	target, demand, goal := "The Minister for Trade", "Halt the export licence for the shipment today.", 1000
	now := srv.Clock.Now()
	p, err := models.CreatePetition(ctx, db, u, models.PetitionInput{Title: &title, Target: &target, Demand: &demand, Goal: &goal}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.OpenPetition(ctx, db, u, p.ID, now); err != nil {
		t.Fatal(err)
	}
	return "/p/" + p.Slug
}

// TestNoPageScrollsSideways opens every public and admin page (each kind of
// page once: listings, a release, an action, a campaign, a petition, an
// embargo preview, signup and unsubscribe pages, the staff pages) at 1280 and
// 390 px, left to right and right to left (Arabic), and checks the page is
// never wider than the window: a hidden element pushed off one side (the old
// skip link at left:-9999px) becomes thousands of pixels of scrolling in the
// other direction. Each page also passes axe-core, and the newsroom (English
// and Arabic), releases, signup, the press officer's desk, the editor
// (English and Arabic), the review queue and settings are photographed.
func TestNoPageScrollsSideways(t *testing.T) {
	tb := newTab(t)
	axe := axeSource(t)
	shots := newShots(t)
	arabic := publishDemo(t, tb.srv, "ar", "يجب الإفراج عن الصحفيين المحتجزين فوراً", "اعتقلت قوات الأمن أربعين صحفياً خلال الليل.\n\nيجب الإفراج عنهم فوراً ودون قيد أو شرط.")
	english := publishDemo(t, tb.srv, "en", "Release the detained journalists at once", "Security forces detained forty journalists overnight.\n\nThey must be released at once.")
	ctx, db := context.Background(), tb.srv.DB.Gorm
	kind, headline, body, embargo := models.KindActionAlert, "Write to the minister today", "The shipment is being loaded now.", tb.srv.Clock.Now().Add(24*time.Hour)
	action := approvedRelease(t, tb.srv, "campaigner@example.org", models.DocumentInput{Kind: kind, Headline: &headline, Body: &body})
	headline = "Arms shipment halted at the port"
	scheduled := approvedRelease(t, tb.srv, "press@example.org", models.DocumentInput{Kind: models.KindPressRelease, Headline: &headline, Body: &body, EmbargoAt: ptr(&embargo)})
	press, err := models.UserByEmail(ctx, db, "press@example.org")
	if err != nil {
		t.Fatal(err)
	}
	_, previewToken, err := models.CreatePreviewLink(ctx, db, press, scheduled.ID, "", "desk@news.example", embargo, tb.srv.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var campaign models.Campaign
	var supporter models.Supporter
	if err := db.Order("created_at").First(&campaign).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Where("status = ?", models.StatusSubscribed).Order("email").First(&supporter).Error; err != nil {
		t.Fatal(err)
	}
	unsubscribe := strings.TrimPrefix(models.UnsubscribeURL(tb.srv.URL, tb.srv.UnsubscribeKey, supporter.ID), tb.srv.URL)
	releaseID := strings.TrimPrefix(english, "/news/")
	var englishDoc models.Document
	if err := db.Where("slug = ?", releaseID).First(&englishDoc).Error; err != nil {
		t.Fatal(err)
	}
	widthCheck := func(name string) {
		t.Helper()
		for _, w := range []int64{desktopWidth, phoneWidth} {
			opts := []chromedp.EmulateViewportOption{}
			if w == phoneWidth {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulatePortrait)
			}
			run(tb, "resize", chromedp.EmulateViewport(w, 900, opts...))
			for _, dir := range []string{"", "rtl"} {
				got := run(tb, "page width", chromedp.Evaluate[[]string](`(() => {
  const d = document.documentElement, was = [d.dir, d.lang];
  if (`+jsString(dir)+` === "rtl" && d.dir !== "rtl") { d.dir = "rtl"; d.lang = "ar"; }
  const out = [d.scrollWidth, d.clientWidth];
  // What sticks out, to name in the failure: the innermost elements wider
  // than the window or reaching past either edge.
  const out_ = e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.width > d.clientWidth + 1 || r.right > d.clientWidth + 1 || r.left < -1); };
  const wide = out[0] > out[1] ? [...document.body.querySelectorAll("*")].filter(e => out_(e) && ![...e.children].some(out_)).slice(0, 3)
    .map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).trim().split(/\s+/).join(".") : "") + " «" + e.textContent.trim().slice(0, 40) + "»").join(", ") : "";
  [d.dir, d.lang] = was;
  return [String(out[0]), String(out[1]), wide];
})()`))
				label := "as served"
				if dir == "rtl" {
					label = "right to left"
				}
				if scroll, client := atoi(got[0]), atoi(got[1]); scroll > client {
					tb.t.Errorf("%s (%s) at %d px is %d px wide: it scrolls sideways (sticking out: %s)", name, label, w, scroll, got[2])
				}
			}
		}
		run(tb, "resize back", chromedp.EmulateViewport(desktopWidth, 900))
	}
	pages := func(list []string, photograph map[string]string) {
		for _, p := range list {
			if status := tb.open(p); status != http.StatusOK {
				tb.failf("%s: status %d, want 200", p, status)
			}
			tb.checkA11y(axe)
			widthCheck(p)
			if name, ok := photograph[p]; ok {
				shots.capture(tb, name)
			}
		}
	}
	petition := openDemoPetition(t, tb.srv, "Stop the arms shipment")
	arabicEditor := draftDemo(t, tb.srv, "ar", "وقف إطلاق النار الآن", "يجب وقف القتال فوراً.\n\n- أولاً\n- ثانياً")
	pages([]string{"/news", "/news?lang=ar", english, arabic, "/news/search?q=journalists", "/subscribe", "/login", petition, petition + "/embed",
		"/actions", "/a/" + *action.Slug, "/c/" + campaign.Slug, "/preview/" + previewToken, "/newsroom/subscribe", "/subscribe/thanks", unsubscribe},
		map[string]string{"/news": "newsroom", "/news?lang=ar": "newsroom-ar", english: "newsroom-release-en", arabic: "newsroom-release-ar", "/subscribe": "subscribe"})
	tb.open(arabic)
	tb.expectText("→ كل البيانات", "بيان صحفي") // the Arabic release page's labels, and its way back pointing right
	tb.submitSubscribeErrors(shots)
	// The press officer's desk with something on it: a draft (the Arabic
	// one), a release sent back for changes, an embargo counting down.
	headline = "Court ruling on arms licences"
	back, err := models.CreateDocument(ctx, db, press, models.DocumentInput{Kind: models.KindPressRelease, Headline: &headline, Body: &body}, tb.srv.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.SubmitDocument(ctx, db, press, back.ID, false, tb.srv.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	head, err := models.UserByEmail(ctx, db, "head.press@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.RequestChanges(ctx, db, head, back.ID, "Name the minister who signed the licences.", tb.srv.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	tb.login("press@example.org")
	pages([]string{"/admin"}, map[string]string{"/admin": "desk-press-officer"})
	tb.expectText("Waiting for you", "Court ruling on arms licences", "Changes requested", "Your drafts", "وقف إطلاق النار الآن", "Upcoming embargoes", "Arms shipment halted at the port", "lifts in")
	tb.click("Sign out")
	tb.login("admin@example.org")
	pages([]string{"/admin", "/admin/releases", "/admin/releases/new?kind=press_release", "/admin/review", "/admin/sends", "/admin/supporters",
		"/admin/supporters/lists", "/admin/settings", "/admin/groups", "/admin/users", "/admin/outbox", "/admin/audit",
		"/admin/petitions", "/admin/campaigns", "/admin/releases/" + englishDoc.ID, "/admin/releases/" + englishDoc.ID + "/history",
		"/admin/releases/" + englishDoc.ID + "/send", "/admin/releases/" + action.ID, "/admin/media", "/admin/media-library", "/admin/targets", "/admin/account", "/admin/workflows",
		"/admin/series", "/admin/tokens", "/admin/suppressions", "/admin/email-rules", "/admin/petitions/new", "/admin/users/new"},
		map[string]string{"/admin/releases/" + action.ID: "admin-action", "/admin/settings": "settings", "/admin": "dashboard", "/admin/review": "review-queue", "/admin/releases/new?kind=press_release": "editor-en"})
	pages([]string{arabicEditor}, map[string]string{arabicEditor: "editor-ar"})
}

// draftDemo has the demo press officer draft a release in a language; it
// returns the path of its editor.
func draftDemo(t *testing.T, srv *server, language, headline, body string) string {
	t.Helper()
	ctx := context.Background()
	author, err := models.UserByEmail(ctx, srv.DB.Gorm, "press@example.org")
	if err != nil {
		t.Fatal(err)
	}
	standfirst := "بيان بشأن وقف إطلاق النار."
	d, err := models.CreateDocument(ctx, srv.DB.Gorm, author, models.DocumentInput{Kind: models.KindPressRelease, Language: &language, Headline: &headline,
		Standfirst: &standfirst, Body: &body}, srv.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return "/admin/releases/" + d.ID + "/edit"
}

// TestEditorFollowsTheLanguage: typing a right-to-left language into the
// editor's Language field turns the headline, standfirst, body and preview
// right to left at once, and back when the language is English again.
func TestEditorFollowsTheLanguage(t *testing.T) {
	tb := newTab(t)
	tb.login("press@example.org")
	tb.open("/admin/releases/new?kind=press_release")
	dirs := func() string {
		return run(tb, "directions", chromedp.Evaluate[string](`["headline", "standfirst", "body", "preview"].map(id => document.getElementById(id).dir + "/" + document.getElementById(id).lang).join(" ")`))
	}
	if got := dirs(); got != "ltr/en ltr/en ltr/en ltr/en" {
		t.Fatalf("new English draft: %s", got)
	}
	run(tb, "open the language section", chromedp.Click(chromedp.CSS("details > summary")))
	tb.fill("Language", "ar")
	if got := dirs(); got != "rtl/ar rtl/ar rtl/ar rtl/ar" {
		t.Errorf("after choosing Arabic: %s", got)
	}
	tb.fill("Language", "fr")
	if got := dirs(); got != "ltr/fr ltr/fr ltr/fr ltr/fr" {
		t.Errorf("after choosing French: %s", got)
	}
}

// submitSubscribeErrors photographs the signup form with every error shown.
func (tb *tab) submitSubscribeErrors(s *shots) {
	tb.t.Helper()
	tb.open("/subscribe")
	tb.fill("Email address *", "not an address")
	tb.submit("Subscribe")
	s.capture(tb, "subscribe-errors")
}

// atoi reads a number the page reported as text.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
