package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"pressroom/models"
)

// publish creates a release through the workflow (press officer, then the press
// desk and legal approvers) and returns it approved: scheduled when embargoed.
func (e *testEnv) publish(t testing.TB, headline, body string, embargo *time.Time, extra func(*models.DocumentInput)) *models.Document {
	t.Helper()
	ctx := context.Background()
	in := models.DocumentInput{Kind: models.KindPressRelease, Headline: &headline, Body: &body, Standfirst: ptr("Standfirst of " + headline),
		EmbargoAt: &embargo, EmbargoTZ: ptr("Europe/London")}
	if extra != nil {
		extra(&in)
	}
	d, err := models.CreateDocument(ctx, e.db.Gorm, e.users[models.RolePressOfficer], in, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.SubmitDocument(ctx, e.db.Gorm, e.users[models.RolePressOfficer], d.ID, false, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	desk, _ := models.UserByID(ctx, e.db.Gorm, e.users[models.RoleApprover].ID)
	legal, _ := models.UserByID(ctx, e.db.Gorm, e.legal.ID)
	if _, err := models.ApproveDocument(ctx, e.db.Gorm, desk, d.ID, "", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := models.ApproveDocument(ctx, e.db.Gorm, legal, d.ID, "", e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return res.Document
}

// surface is one public place a release may show up.
type surface struct {
	name string
	path string
	show func(body string, status int) bool // does this response reveal the release?
}

// TestEmbargoLeak walks every public surface before and after an embargo lifts:
// before, none of them shows the embargoed release (not its page, listings,
// feed, sitemap, public API, index lookup, nor a translation or another page's
// metadata), none of its media answers at its public URL (the lead photo's
// every size, the attached report, the photo in its text) and no page names
// them; within two seconds after the embargo time, all of them do.
func TestEmbargoLeak(t *testing.T) {
	run(t, envOptions{work: true, serial: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		control := env.publish(t, "Control release already public", "Public words.", nil, nil)
		token := env.token(models.RolePressOfficer)
		photo := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Quokka", "alt_text": "A quokka"}, "q.jpg", exifJPEG(t, 800, 600)))
		inline := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Map", "alt_text": "A map of Freedonia"}, "m.jpg", exifJPEG(t, 600, 400)))
		report := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Sanctions report"}, "r.pdf", []byte(testPDF)))
		embargo := env.clock.Now().Add(time.Hour)
		secret := env.publish(t, "Quokka sanctions announced", "The zanzibarquokka clause applies.\n\n![Map](media:"+inline.ID+")", &embargo, func(in *models.DocumentInput) {
			in.Countries = &[]string{"Freedonia"}
			in.LeadImageID, in.AttachmentIDs = &photo.ID, &[]string{report.ID}
		})
		if secret.Status != models.StatusScheduled || secret.Slug == nil || secret.IndexNumber == nil {
			t.Fatalf("embargoed release: %s", secret.Status)
		}
		// A translation approved with no embargo of its own inherits the original's.
		fr, err := models.CreateDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], models.DocumentInput{Kind: models.KindPressRelease,
			Headline: ptr("Sanctions quokka annoncées"), Body: ptr("La clause zanzibarquokka s'applique."), Language: ptr("fr"), OriginalID: &secret.ID}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		models.SubmitDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], fr.ID, false, env.clock.Now())
		desk, _ := models.UserByID(ctx, env.db.Gorm, env.users[models.RoleApprover].ID)
		legal, _ := models.UserByID(ctx, env.db.Gorm, env.legal.ID)
		models.ApproveDocument(ctx, env.db.Gorm, desk, fr.ID, "", env.clock.Now())
		res, err := models.ApproveDocument(ctx, env.db.Gorm, legal, fr.ID, "", env.clock.Now())
		if err != nil || res.Document.Status != models.StatusScheduled || *res.Document.IndexNumber != *secret.IndexNumber {
			t.Fatalf("translation: %v %s", err, res.Document.Status)
		}
		frSlug := *res.Document.Slug

		slug := *secret.Slug
		idx := models.IndexPath(*secret.IndexNumber)
		has := func(s string) func(string, int) bool {
			return func(body string, status int) bool { return status == http.StatusOK && strings.Contains(body, s) }
		}
		found := func(body string, status int) bool { return status != http.StatusNotFound }
		surfaces := []surface{
			{"newsroom listing", "/news", has("Quokka sanctions")},
			{"listing filtered by country", "/news?country=Freedonia", has("Quokka sanctions")},
			{"release page", "/news/" + slug, found},
			{"translation page", "/news/" + frSlug, found},
			{"index number lookup", "/news/index/" + idx, found},
			{"atom feed", "/news/feed.atom", has("Quokka sanctions")},
			{"french feed", "/news/feed.atom?lang=fr", has("Sanctions quokka")},
			{"sitemap page", "/sitemap/releases.xml", has(slug)},
			{"public API list", "/api/v1/public/releases", has(slug)},
			{"public API by slug", "/api/v1/public/releases/" + slug, found},
			{"newsroom search by a word of its body", "/news/search?q=zanzibarquokka", has("Quokka sanctions")},
			{"newsroom search by index number", "/news/search?q=" + url.QueryEscape(*secret.IndexNumber), has("Quokka sanctions")},
			{"public API search", "/api/v1/public/releases?q=zanzibarquokka", has(slug)},
			{"another page's metadata", "/news/" + *control.Slug, has("zanzibarquokka")},
		}
		// The media: every URL the public would use once the embargo lifts.
		mediaURLs := map[string]string{"attached report": report.URL, "photo in the text": inline.Variants["large"], "lead photo original": photo.URL}
		for v, u := range photo.Variants {
			mediaURLs["lead photo "+v] = u
		}
		textSurfaces := len(surfaces)
		for name, u := range mediaURLs {
			surfaces = append(surfaces, surface{name, pathOf(env, u), func(_ string, status int) bool { return status == http.StatusOK }})
		}
		hashOf := func(u string) string { return strings.Split(pathOf(env, u), "/")[2] }
		mediaHashes := []string{hashOf(photo.URL), hashOf(inline.URL), hashOf(report.URL)}
		anon := env.browser()
		check := func(wantVisible bool) []string {
			var wrong []string
			for _, s := range surfaces {
				r := anon.get(s.path)
				if r.Status == http.StatusMovedPermanently { // the index lookup redirects when found
					r.Status = http.StatusOK
				}
				if s.name == "another page's metadata" {
					if s.show(r.Body, r.Status) { // never: other pages do not carry its text
						wrong = append(wrong, s.name)
					}
					continue
				}
				if s.show(r.Body, r.Status) != wantVisible {
					wrong = append(wrong, s.name)
				}
			}
			return wrong
		}
		if wrong := check(false); len(wrong) > 0 {
			t.Fatalf("before the embargo the release shows on: %v", wrong)
		}
		// Nor does any page name its media before the lift.
		for _, s := range surfaces[:textSurfaces] {
			body := anon.get(s.path).Body
			for _, h := range mediaHashes {
				if strings.Contains(body, h) {
					t.Errorf("before the embargo %s names the file %s", s.name, h)
				}
			}
		}
		// The embargo lifts; the publishing job (every second) must make it public
		// everywhere within two seconds.
		env.clock.Set(embargo)
		start := time.Now()
		var wrong []string
		for time.Since(start) < 2*time.Second {
			if wrong = check(true); len(wrong) == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(wrong) > 0 {
			t.Fatalf("2 s after the embargo these surfaces still hide it: %v", wrong)
		}
		t.Logf("public everywhere %v after the embargo time", time.Since(start).Round(time.Millisecond))
		got, _ := models.DocumentByID(ctx, env.db.Gorm, secret.ID)
		if !got.PublishedAt.Equal(embargo) {
			t.Fatalf("published_at = %v, want the embargo time %v", got.PublishedAt, embargo)
		}
	})
}

func TestNewsroomPages(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		d := env.publish(t, "Arms embargo now", "Governments must **stop**.\n\n<script>alert(1)</script>", nil, func(in *models.DocumentInput) {
			in.NotesToEditors = ptr("Spokespeople available.")
			in.PressContacts = &[]models.PressContact{{Name: "Priya", Phone: "+44 20 0000", Email: "priya@example.org"}}
		})
		anon := env.browser()
		page := anon.get("/news/" + *d.Slug)
		for _, want := range []string{"Arms embargo now", "<strong>stop</strong>", *d.IndexNumber, "Notes to editors", "priya@example.org",
			`property="og:title" content="Arms embargo now"`, `name="twitter:card"`, `"@type":"NewsArticle"`, `application/ld+json`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("release page lacks %q", want)
			}
		}
		if strings.Contains(page.Body, "<script>alert") {
			t.Error("release page carries unsanitised script")
		}
		// Index number lookup redirects permanently, in any spelling.
		r := anon.get("/news/index/" + models.IndexPath(*d.IndexNumber))
		if r.Status != http.StatusMovedPermanently || r.Location != "/news/"+*d.Slug {
			t.Fatalf("index lookup: %d %s", r.Status, r.Location)
		}
		// Its target depends on the reader's language and on which translations
		// are public now: caches key on the language and keep it only briefly.
		if r.Header.Get("Vary") != "Accept-Language" || r.Header.Get("Cache-Control") != "public, max-age=60" {
			t.Fatalf("index lookup caching: Vary %q, Cache-Control %q", r.Header.Get("Vary"), r.Header.Get("Cache-Control"))
		}
		if r := anon.get("/news/index/NOPE-00-000-1999"); r.Status != http.StatusNotFound {
			t.Fatalf("unknown index: %d", r.Status)
		}
		// HTTP caching: ETag and Last-Modified, 304 on revalidation.
		etag := page.Header.Get("ETag")
		if etag == "" || page.Header.Get("Last-Modified") == "" || !strings.Contains(page.Header.Get("Cache-Control"), "max-age=10") {
			t.Fatalf("caching headers: %v", page.Header)
		}
		if r := anon.do("GET", "/news/"+*d.Slug, nil, map[string]string{"If-None-Match": etag}); r.Status != http.StatusNotModified {
			t.Fatalf("revalidation: %d", r.Status)
		}
		// A scheduled release 20 s away changes no public cache lifetime (see
		// TestListingLifetimeRevealsNoEmbargo).
		soon := env.clock.Now().Add(20 * time.Second)
		env.publish(t, "Soon", "Soon.", &soon, nil)
		r = anon.get("/news")
		if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=10, stale-while-revalidate=20" {
			t.Fatalf("Cache-Control with an embargo 20 s away = %q", cc)
		}
		// Withdrawal shows the notice in place of the text.
		if _, err := models.WithdrawDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], d.ID, "Withdrawn: a figure was wrong.", env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		page = anon.get("/news/" + *d.Slug)
		if !strings.Contains(page.Body, "This release has been withdrawn.") || !strings.Contains(page.Body, "a figure was wrong") || strings.Contains(page.Body, "<strong>stop</strong>") {
			t.Fatalf("withdrawn page: %d", page.Status)
		}
		// An Arabic translation is laid out right to left.
		ar := env.publish(t, "Arms release two", "Body.", nil, nil)
		tr, err := models.CreateDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], models.DocumentInput{Kind: models.KindPressRelease,
			Headline: ptr("حظر الأسلحة الآن"), Body: ptr("نص."), Language: ptr("ar"), OriginalID: &ar.ID}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		models.SubmitDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], tr.ID, false, env.clock.Now())
		desk, _ := models.UserByID(ctx, env.db.Gorm, env.users[models.RoleApprover].ID)
		legal, _ := models.UserByID(ctx, env.db.Gorm, env.legal.ID)
		models.ApproveDocument(ctx, env.db.Gorm, desk, tr.ID, "", env.clock.Now())
		res, err := models.ApproveDocument(ctx, env.db.Gorm, legal, tr.ID, "", env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		page = anon.get("/news/" + *res.Document.Slug)
		if !strings.Contains(page.Body, `<html lang="ar" dir="rtl"`) || !strings.Contains(page.Body, "English") {
			t.Fatalf("arabic page: lang/dir or switcher missing")
		}
		orig := anon.get("/news/" + *ar.Slug)
		if !strings.Contains(orig.Body, "العربية") {
			t.Fatal("original lacks the link to its translation")
		}
		r = anon.do("GET", "/news/index/"+models.IndexPath(*ar.IndexNumber), nil, map[string]string{"Accept-Language": "ar,en;q=0.5"})
		if r.Location != "/news/"+url.PathEscape(*res.Document.Slug) { // percent-encoded: a Location is ASCII
			t.Fatalf("index lookup for an Arabic reader went to %s", r.Location)
		}
	})
}

// TestFeedParses reads the Atom feed with a real feed parser and checks its
// entries are exactly the public releases, newest first.
func TestFeedParses(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		var slugs []string
		for i := 0; i < 3; i++ {
			d := env.publish(t, fmt.Sprintf("Feed release %d", i), "Body.", nil, nil)
			slugs = append([]string{*d.Slug}, slugs...)
			env.clock.Advance(time.Minute)
		}
		later := env.clock.Now().Add(time.Hour)
		env.publish(t, "Embargoed feed release", "Body.", &later, nil)
		draft, _ := models.CreateDocument(context.Background(), env.db.Gorm, env.users[models.RolePressOfficer], models.DocumentInput{Kind: models.KindPressRelease, Headline: ptr("Draft release")}, env.clock.Now())
		_ = draft
		r := env.browser().get("/news/feed.atom")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("feed: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		feed, err := gofeed.NewParser().ParseString(r.Body)
		if err != nil {
			t.Fatalf("feed does not parse: %v", err)
		}
		if feed.FeedType != "atom" || len(feed.Items) != 3 {
			t.Fatalf("feed type %s with %d items, want atom with 3", feed.FeedType, len(feed.Items))
		}
		for i, it := range feed.Items {
			if it.Link != env.cfg.URL("/news/"+slugs[i]) || it.Title != fmt.Sprintf("Feed release %d", 2-i) || it.PublishedParsed == nil {
				t.Errorf("item %d = %q %q", i, it.Title, it.Link)
			}
		}
		// The sitemap lists the same releases.
		sm := env.browser().get("/sitemap/releases.xml")
		for _, s := range slugs {
			if !strings.Contains(sm.Body, "/news/"+s+"</loc>") {
				t.Errorf("sitemap lacks %s", s)
			}
		}
		if strings.Contains(sm.Body, "embargoed-feed-release") {
			t.Error("sitemap lists the embargoed release")
		}
	})
}

func TestPreviewLinks(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		embargo := time.Date(2026, 7, 10, 0, 1, 0, 0, time.UTC).Add(-time.Hour) // 00:01 BST
		d := env.publish(t, "Embargoed for journalists", "Read **carefully**.", &embargo, nil)
		press := env.login(models.RolePressOfficer)
		r := press.post("/admin/releases/"+d.ID, "/admin/releases/"+d.ID+"/preview-links", url.Values{"email": {"reporter@example.net"}, "days": {"2"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("make link: %d", r.Status)
		}
		page := press.get("/admin/releases/" + d.ID)
		i := strings.Index(page.Body, env.cfg.URL("/preview/"))
		if i < 0 {
			t.Fatal("preview URL not shown once after creation")
		}
		link := page.Body[i:]
		link = link[len(env.cfg.URL("")):strings.IndexAny(link, " <\"")]
		journalist := env.browser()
		pv := journalist.get(link)
		if pv.Status != http.StatusOK || !strings.Contains(pv.Body, "EMBARGOED UNTIL 00:01 BST 10 July 2026") || !strings.Contains(pv.Body, "<strong>carefully</strong>") {
			t.Fatalf("preview page: %d", pv.Status)
		}
		if !strings.Contains(pv.Body, `<meta name="robots" content="noindex, nofollow">`) || pv.Header.Get("Cache-Control") != "private, no-store" || !strings.Contains(pv.Header.Get("X-Robots-Tag"), "noindex") {
			t.Fatalf("preview page may be cached or indexed: %v", pv.Header)
		}
		journalist.get(link)
		if page := press.get("/admin/releases/" + d.ID); !strings.Contains(page.Body, "reporter@example.net") || !strings.Contains(page.Body, "<td>2 · last") {
			t.Fatal("release page does not show the two logged views")
		}
		// The public release page still does not exist.
		if r := journalist.get("/news/" + *d.Slug); r.Status != http.StatusNotFound {
			t.Fatalf("public page before the embargo: %d", r.Status)
		}
		// Expired: 410 with a clear page.
		env.clock.Advance(49 * time.Hour)
		if r := journalist.get(link); r.Status != http.StatusGone || !strings.Contains(r.Body, "expired") {
			t.Fatalf("expired link: %d", r.Status)
		}
		// Revoked: 410 too. Also through the API. (Two days on, sign in again.)
		press = env.login(models.RolePressOfficer)
		tok := env.token(models.RolePressOfficer)
		api := env.api("POST", "/api/v1/releases/"+d.ID+"/preview-links", tok, `{"email":"other@example.net","expires_at":"`+env.clock.Now().Add(24*time.Hour).Format(time.RFC3339)+`"}`)
		if api.Status != http.StatusCreated || !strings.Contains(api.Body, `"url":"http`) {
			t.Fatalf("API preview link: %d %s", api.Status, api.Body)
		}
		var links []models.PreviewLink
		env.db.Gorm.Where("email = ?", "other@example.net").Find(&links)
		r = press.post("/admin/releases/"+d.ID, "/admin/releases/"+d.ID+"/preview-links/"+links[0].ID+"/revoke", nil)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("revoke: %d", r.Status)
		}
		apiURL := api.Body[strings.Index(api.Body, "/preview/"):strings.LastIndex(api.Body, `"`)]
		if r := journalist.get(apiURL); r.Status != http.StatusGone || !strings.Contains(r.Body, "withdrawn by the press office") {
			t.Fatalf("revoked link: %d", r.Status)
		}
		// A draft has nothing to preview.
		draft, _ := models.CreateDocument(context.Background(), env.db.Gorm, env.users[models.RolePressOfficer], models.DocumentInput{Kind: models.KindPressRelease, Headline: ptr("Draft")}, env.clock.Now())
		if r := env.api("POST", "/api/v1/releases/"+draft.ID+"/preview-links", tok, `{"email":"x@example.net","expires_at":"`+env.clock.Now().Add(time.Hour).Format(time.RFC3339)+`"}`); r.Status != http.StatusConflict {
			t.Fatalf("preview of a draft: %d %s", r.Status, r.Body)
		}
	})
}

// A release's campaign is a link to the campaign's public page, where its
// other releases and open petitions are.
func TestReleaseLinksItsCampaign(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		cmp, err := models.CreateCampaign(t.Context(), env.db.Gorm, env.users[models.RoleCampaigner], "Syria arms embargo", "")
		if err != nil {
			t.Fatal(err)
		}
		d := env.publish(t, "Stop the transfers", "Body.", nil, func(in *models.DocumentInput) { in.CampaignID = &cmp.ID })
		r := env.browser().get("/news/" + *d.Slug)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `<a href="/c/`+cmp.Slug+`">Syria arms embargo</a>`) {
			t.Fatalf("release page = %d, want a link to /c/%s", r.Status, cmp.Slug)
		}
		if r := env.browser().get("/c/" + cmp.Slug); r.Status != http.StatusOK || !strings.Contains(r.Body, "Stop the transfers") {
			t.Fatalf("campaign page = %d, want the release listed", r.Status)
		}
	})
}
