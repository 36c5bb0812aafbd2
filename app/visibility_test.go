package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// visibility is what the public may see of a release.
type visibility int

const (
	hidden     visibility = iota // nothing at all: no headline, no slug, no words
	full                         // the approved text, everywhere
	noticeOnly                   // headline, index number, date and notice; none of its text
)

// subject is one release in one state, with words found nowhere else, so a
// surface that shows them reveals exactly this release.
type subject struct {
	key      string
	want     visibility
	doc      *models.Document
	original *models.Document // for a translation
	headline string
	notice   string
	// marks are words of its standfirst, dateline, body, notes to editors and
	// press contacts; secret are words that must never be public at all (a
	// correction under review).
	marks  []string
	secret []string
	// preview is the path of a journalist's preview link, when it has one.
	preview string
}

func (s *subject) bodyWord() string { return "zq" + s.key + "body" }
func (s *subject) headWord() string { return "zq" + s.key + "head" }

// content returns the input for a release whose every field carries the
// subject's marks.
func (s *subject) content(lang string, embargo *time.Time, original *string) models.DocumentInput {
	s.headline = "Release " + s.headWord() + " announced"
	s.marks = []string{"zq" + s.key + "stand", "zq" + s.key + "dateline", s.bodyWord(), "zq" + s.key + "notes", "zq" + s.key + "@example.org"}
	return models.DocumentInput{Kind: models.KindPressRelease, Language: ptr(lang), OriginalID: original, Headline: ptr(s.headline),
		Standfirst: ptr("Standfirst " + s.marks[0] + " & <script>"), Dateline: ptr("LONDON " + s.marks[1]),
		Body: ptr("Body words " + s.marks[2] + " here."), NotesToEditors: ptr("Notes " + s.marks[3]),
		PressContacts: &[]models.PressContact{{Name: "Press " + s.key, Email: s.marks[4]}},
		EmbargoAt:     &embargo, EmbargoTZ: ptr("Europe/London")}
}

// write creates the subject's release as a draft.
func (e *testEnv) write(t *testing.T, s *subject, lang string, embargo *time.Time, original *models.Document) *models.Document {
	t.Helper()
	var orig *string
	if original != nil {
		orig, s.original = &original.ID, original
	}
	d, err := models.CreateDocument(context.Background(), e.db.Gorm, e.users[models.RolePressOfficer], s.content(lang, embargo, orig), e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.doc = d
	return d
}

// approve takes a draft through submission and both approvals.
func (e *testEnv) approve(t *testing.T, id string) *models.Document {
	t.Helper()
	ctx := context.Background()
	if _, err := models.SubmitDocument(ctx, e.db.Gorm, e.users[models.RolePressOfficer], id, false, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return e.approveOnly(t, id)
}

// approveOnly gives a release in review (or a correction) both approvals.
func (e *testEnv) approveOnly(t *testing.T, id string) *models.Document {
	t.Helper()
	ctx := context.Background()
	desk, _ := models.UserByID(ctx, e.db.Gorm, e.users[models.RoleApprover].ID)
	legal, _ := models.UserByID(ctx, e.db.Gorm, e.legal.ID)
	if _, err := models.ApproveDocument(ctx, e.db.Gorm, desk, id, "", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := models.ApproveDocument(ctx, e.db.Gorm, legal, id, "", e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return res.Document
}

// previewLink makes a journalist's preview link and returns its path.
func (e *testEnv) previewLink(t *testing.T, id string) string {
	t.Helper()
	_, token, err := models.CreatePreviewLink(context.Background(), e.db.Gorm, e.users[models.RolePressOfficer], id, "", "reporter@example.net",
		e.clock.Now().Add(72*time.Hour), e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return "/preview/" + token
}

// TestVisibility puts releases and translations in every state the workflow
// has (draft, in review, scheduled, published, correction under review,
// corrected, withdrawn; a translation of a published, a withdrawn and an
// in-review original), then walks every public surface — listings, release
// pages, index-number lookups with and without Accept-Language: fr, search
// pages and the search API by a word of the body and of the headline, the
// Atom feed, the sitemap, the public API, preview links and every page's
// metadata — and checks that each shows exactly what the visibility rule
// allows: nothing of a hidden release, all of a public one, and of a withdrawn
// one its headline, index number, date and notice but none of its words.
func TestVisibility(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		press := env.users[models.RolePressOfficer]
		later := env.clock.Now().Add(time.Hour)
		var subjects []*subject
		add := func(key string, want visibility) *subject {
			s := &subject{key: key, want: want}
			subjects = append(subjects, s)
			return s
		}

		env.write(t, add("draft", hidden), "en", nil, nil)

		inReview := add("review", hidden)
		env.write(t, inReview, "en", nil, nil)
		if _, err := models.SubmitDocument(ctx, env.db.Gorm, press, inReview.doc.ID, false, env.clock.Now()); err != nil {
			t.Fatal(err)
		}

		scheduled := add("sched", hidden)
		scheduled.doc = env.approve(t, env.write(t, scheduled, "en", &later, nil).ID)
		if scheduled.doc.Status != models.StatusScheduled {
			t.Fatalf("embargoed release is %s", scheduled.doc.Status)
		}
		scheduled.preview = env.previewLink(t, scheduled.doc.ID)

		published := add("pub", full)
		published.doc = env.approve(t, env.write(t, published, "en", nil, nil).ID)
		published.preview = env.previewLink(t, published.doc.ID)

		// A published release with a correction under review: the approved text
		// stays public, the correction's words are nowhere until approved.
		pending := add("pending", full)
		pending.doc = env.approve(t, env.write(t, pending, "en", nil, nil).ID)
		pending.secret = []string{"zqcorrectionfix", "zqcorrectionwhy"}
		if _, err := models.UpdateDocument(ctx, env.db.Gorm, press, pending.doc.ID, models.DocumentInput{Body: ptr("Corrected zqcorrectionfix."),
			CorrectionNote: ptr("Fixed zqcorrectionwhy.")}, env.clock.Now()); err != nil {
			t.Fatal(err)
		}

		// A correction approved: its new words are public.
		corrected := add("corr", full)
		corrected.doc = env.approve(t, env.write(t, corrected, "en", nil, nil).ID)
		if _, err := models.UpdateDocument(ctx, env.db.Gorm, press, corrected.doc.ID, models.DocumentInput{Body: ptr("Body words zqcorrbody zqcorrfixed."),
			CorrectionNote: ptr("A figure was wrong.")}, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		corrected.doc = env.approveOnly(t, corrected.doc.ID)
		corrected.marks = append(corrected.marks, "zqcorrfixed")

		// A published translation of a published original.
		pubFr := add("pubfr", full)
		pubFr.doc = env.approve(t, env.write(t, pubFr, "fr", nil, published.doc).ID)

		// Withdrawn, with a French translation and a preview link made while
		// it was public.
		withdrawn := add("wd", noticeOnly)
		withdrawn.doc = env.approve(t, env.write(t, withdrawn, "en", nil, nil).ID)
		withdrawn.preview = env.previewLink(t, withdrawn.doc.ID)
		wdFr := add("wdfr", noticeOnly)
		wdFr.doc = env.approve(t, env.write(t, wdFr, "fr", nil, withdrawn.doc).ID)
		wdFr.preview = env.previewLink(t, wdFr.doc.ID)
		withdrawn.notice, wdFr.notice = "Withdrawn: the zqnoticefigure was wrong.", "Withdrawn: the zqnoticefigure was wrong."
		if _, err := models.WithdrawDocument(ctx, env.db.Gorm, press, withdrawn.doc.ID, withdrawn.notice, env.clock.Now()); err != nil {
			t.Fatal(err)
		}

		// An original sent back to review after its translation was approved:
		// the translation is published, yet must stay hidden with its original.
		backToReview := add("back", hidden)
		backToReview.doc = env.approve(t, env.write(t, backToReview, "en", &later, nil).ID)
		var noEmbargo *time.Time
		if d, err := models.UpdateDocument(ctx, env.db.Gorm, press, backToReview.doc.ID, models.DocumentInput{Body: ptr("Body words zqbackbody again."),
			EmbargoAt: &noEmbargo}, env.clock.Now()); err != nil || d.Status != models.StatusInReview {
			t.Fatalf("edit of a scheduled release: %v", err)
		}
		orphan := add("orphan", hidden)
		orphan.doc = env.approve(t, env.write(t, orphan, "fr", nil, backToReview.doc).ID)
		if orphan.doc.Status != models.StatusPublished {
			t.Fatalf("translation of an original in review is %s; the test needs it published", orphan.doc.Status)
		}
		orphan.preview = env.previewLink(t, orphan.doc.ID)

		// walk fetches every surface and checks each subject against what it
		// wants at this moment.
		walk := func(t *testing.T, before bool) {
			for _, s := range subjects {
				d, err := models.DocumentByID(ctx, env.db.Gorm, s.doc.ID)
				if err != nil {
					t.Fatal(err)
				}
				s.doc = d
			}

			// Walk every surface.
			anon := env.browser()
			type page struct {
				name  string
				owner *subject // the subject this page is about, if any
				r     response
			}
			var pages []page
			get := func(owner *subject, name, path string, header map[string]string) response {
				r := anon.do(http.MethodGet, path, nil, header)
				if strings.HasPrefix(path, "/news/search") {
					// The page repeats the query; what it found is the list.
					_, hits, _ := strings.Cut(r.Body, `<ol class="news-list">`)
					hits, _, _ = strings.Cut(hits, "</ol>")
					r.Body = hits
				}
				pages = append(pages, page{name: name + " " + path, owner: owner, r: r})
				return r
			}
			fr := map[string]string{"Accept-Language": "fr"}
			global := map[string]response{}
			for _, p := range []string{"/news", "/news?lang=fr", "/news/feed.atom", "/news/feed.atom?lang=fr", "/sitemap.xml", "/sitemap/releases.xml",
				"/api/v1/public/releases?limit=100", "/api/v1/public/releases?lang=fr&limit=100"} {
				global[p] = get(nil, "global", p, nil)
			}
			type own struct {
				page, api, search, searchHead, apiSearch, apiSearchHead, index, indexFr, preview response
			}
			mine := map[*subject]*own{}
			for _, s := range subjects {
				o := &own{}
				mine[s] = o
				o.search = get(s, "search by body", "/news/search?q="+s.bodyWord(), nil)
				o.searchHead = get(s, "search by headline", "/news/search?q="+s.headWord(), nil)
				o.apiSearch = get(s, "API search by body", "/api/v1/public/releases?q="+s.bodyWord(), nil)
				o.apiSearchHead = get(s, "API search by headline", "/api/v1/public/releases?q="+s.headWord(), nil)
				if s.doc.Slug != nil {
					o.page = get(s, "release page", "/news/"+*s.doc.Slug, nil)
					o.api = get(s, "API release", "/api/v1/public/releases/"+*s.doc.Slug, nil)
				}
				if s.doc.IndexNumber != nil {
					idx := "/news/index/" + models.IndexPath(*s.doc.IndexNumber)
					o.index = get(s, "index lookup", idx, nil)
					o.indexFr = get(s, "index lookup in French", idx, fr)
				}
				if s.preview != "" {
					o.preview = get(s, "preview link", s.preview, nil)
				}
			}
			// Every page a reader can reach, including the ones a lookup redirects
			// to, is checked for the words it carries.
			for _, p := range append([]page(nil), pages...) {
				if p.r.Status == http.StatusMovedPermanently {
					get(p.owner, "redirect target of "+p.name, p.r.Location, nil)
				}
			}

			for _, s := range subjects {
				s := s
				o := mine[s]
				t.Run(s.key, func(t *testing.T) {
					lookup := o.index
					if s.original != nil {
						lookup = o.indexFr
					}
					// Words that must appear nowhere, and where they may.
					forbidden := append([]string{}, s.secret...)
					switch s.want {
					case hidden:
						forbidden = append(forbidden, s.headWord())
						forbidden = append(forbidden, s.marks...)
						if s.doc.Slug != nil {
							forbidden = append(forbidden, *s.doc.Slug)
						}
					case noticeOnly:
						forbidden = append(forbidden, s.marks...)
					}
					for _, p := range pages {
						if p.owner == s && p.name == "preview link "+s.preview && s.want == hidden {
							continue // a journalist's preview of an embargoed release shows its text: that is what it is for
						}
						var shown []string
						for _, w := range forbidden {
							if strings.Contains(p.r.Body, w) || strings.Contains(p.r.Location, w) {
								shown = append(shown, w)
							}
						}
						if len(shown) > 0 {
							t.Errorf("%s shows %v", p.name, shown)
						}
					}

					switch s.want {
					case hidden:
						if s.doc.Slug != nil && (o.page.Status != http.StatusNotFound || o.api.Status != http.StatusNotFound) {
							t.Errorf("page %d, API %d; want 404 for a release that is not public", o.page.Status, o.api.Status)
						}
						if s.preview != "" && !strings.Contains(o.preview.Body, s.bodyWord()) {
							t.Errorf("the preview link does not show the embargoed text (status %d)", o.preview.Status)
						}
					case full:
						for _, w := range s.marks {
							if !strings.Contains(o.page.Body, w) {
								t.Errorf("release page lacks %q", w)
							}
						}
						if !strings.Contains(o.page.Body, `property="og:description" content="Standfirst `+s.marks[0]) {
							t.Error("page metadata lacks the standfirst")
						}
						if !strings.Contains(o.api.Body, s.bodyWord()) || !strings.Contains(o.api.Body, s.marks[0]) {
							t.Errorf("API release lacks its text: %d", o.api.Status)
						}
						if !strings.Contains(o.search.Body, s.headline) || !strings.Contains(o.search.Body, s.bodyWord()) { // the headline has not got it: the snippet has
							t.Error("search by a body word does not find it with a snippet")
						}
						if !strings.Contains(o.apiSearch.Body, *s.doc.Slug) {
							t.Error("API search by a body word does not find it")
						}
						if lookup.Status != http.StatusMovedPermanently || lookup.Location != "/news/"+*s.doc.Slug {
							t.Errorf("index lookup: %d %s", lookup.Status, lookup.Location)
						}
						feed := global["/news/feed.atom"]
						if s.doc.Language == "fr" {
							feed = global["/news/feed.atom?lang=fr"]
						}
						if !strings.Contains(feed.Body, s.headline) || !strings.Contains(feed.Body, s.bodyWord()) {
							t.Error("feed lacks it or its body")
						}
					case noticeOnly:
						for name, r := range map[string]response{"release page": o.page, "API release": o.api, "preview link": o.preview} {
							if !strings.Contains(r.Body, s.headline) || !strings.Contains(r.Body, "zqnoticefigure") {
								t.Errorf("%s lacks the headline or the withdrawal notice (status %d)", name, r.Status)
							}
						}
						// The banner speaks the release's language.
						banner := "This release has been withdrawn."
						if s.doc.Language == "fr" {
							banner = "Ce communiqué a été retiré."
						}
						if !strings.Contains(o.page.Body, *s.doc.IndexNumber) || !strings.Contains(o.page.Body, banner) {
							t.Errorf("withdrawn page lacks its index number or the notice banner %q", banner)
						}
						var api struct{ Status, Standfirst, Body string }
						if err := json.Unmarshal([]byte(o.api.Body), &api); err != nil || api.Status != "withdrawn" || api.Standfirst != "" || api.Body != "" {
							t.Errorf("API release of a withdrawn release: %s", o.api.Body)
						}
						if s.doc.Status != models.StatusWithdrawn {
							t.Errorf("status %s: a translation is withdrawn with its original", s.doc.Status)
						}
						// Found by its headline at most, with no excerpt of its text.
						if strings.Contains(o.search.Body, s.headline) || strings.Contains(o.apiSearch.Body, *s.doc.Slug) {
							t.Error("search by a word of its body finds it")
						}
						if !strings.Contains(o.searchHead.Body, s.headline) || strings.Contains(o.searchHead.Body, `<p class="snippet"><mark>`) {
							t.Error("search by its headline does not find it, or shows a snippet")
						}
						listing, feed := global["/news"], global["/news/feed.atom"]
						if s.doc.Language == "fr" {
							listing, feed = global["/news?lang=fr"], global["/news/feed.atom?lang=fr"]
						}
						for name, r := range map[string]response{"listing": listing, "feed": feed} {
							if !strings.Contains(r.Body, s.headline) || !strings.Contains(r.Body, "zqnoticefigure") {
								t.Errorf("%s lacks the headline or the notice", name)
							}
						}
					}
				})
			}
			if before {
				// The French reader of the withdrawn release's index number lands on the
				// French notice, not on its text.
				if r := mine[withdrawn].indexFr; r.Location != "/news/"+*wdFr.doc.Slug {
					t.Errorf("French index lookup of the withdrawn release went to %q", r.Location)
				}
				// No lookup of the original sent back to review reaches its translation.
				if r := mine[backToReview].indexFr; r.Status != http.StatusNotFound {
					t.Errorf("French index lookup of an original in review: %d %s", r.Status, r.Location)
				}
			}
		}
		t.Run("before", func(t *testing.T) { walk(t, true) })

		// The embargo lifts and the original in review is approved: the
		// scheduled release, the original and its waiting translation are
		// public everywhere; nothing else changes.
		env.clock.Set(later.Add(time.Minute))
		if _, err := models.PublishDue(ctx, env.db.Gorm, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		env.approveOnly(t, backToReview.doc.ID)
		scheduled.want, backToReview.want, orphan.want = full, full, full
		t.Run("after", func(t *testing.T) { walk(t, false) })
	})
}
