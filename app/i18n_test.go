package app_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

func inLanguage(lang string) func(*models.DocumentInput) {
	return func(in *models.DocumentInput) { in.Language = &lang }
}

// TestArabicReleasePageReadsRightToLeft: an Arabic release has an Arabic
// slug that resolves over HTTP percent-encoded, its page is dir="rtl" with
// the fixed labels and the date in Arabic, and the way back to the list
// points right (the start of an Arabic line). The sitemap, the feed and the
// index-number redirect carry the slug as a valid, percent-encoded URL.
func TestArabicReleasePageReadsRightToLeft(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		d := env.publish(t, "وقف إطلاق النار الآن", "يجب وقف القتال فوراً.", nil, inLanguage("ar"))
		if d.Slug == nil || !strings.HasPrefix(*d.Slug, "وقف-إطلاق-النار-الآن-") {
			t.Fatalf("slug of an Arabic headline = %v, want its Arabic words", d.Slug)
		}
		anon := env.browser()
		page := anon.get("/news/" + url.PathEscape(*d.Slug))
		if page.Status != http.StatusOK {
			t.Fatalf("/news/<percent-encoded Arabic slug>: %d", page.Status)
		}
		for _, want := range []string{`<html lang="ar" dir="rtl"`, "بيان صحفي", "الرقم المرجعي", "نُشر في", "9 يوليو 2026", "→ كل البيانات", "انتقل إلى المحتوى"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the Arabic release page lacks %q", want)
			}
		}
		for _, english := range []string{"Press release", "All releases", "July", "← "} {
			if strings.Contains(page.Body, english) {
				t.Errorf("the Arabic release page still shows %q", english)
			}
		}

		want := env.cfg.URL("/news/" + url.PathEscape(*d.Slug))
		var set struct {
			URLs []struct {
				Loc string `xml:"loc"`
			} `xml:"url"`
		}
		sm := anon.get("/sitemap/releases.xml")
		if err := xml.Unmarshal([]byte(sm.Body), &set); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, u := range set.URLs {
			found = found || u.Loc == want
			if _, err := url.ParseRequestURI(u.Loc); err != nil || strings.ContainsFunc(u.Loc, func(r rune) bool { return r > 127 }) {
				t.Errorf("sitemap URL %q is not a valid ASCII URL", u.Loc)
			}
		}
		if !found {
			t.Errorf("the sitemap does not list %s", want)
		}
		if feed := anon.get("/news/feed.atom"); !strings.Contains(feed.Body, `href="`+want+`"`) {
			t.Errorf("the feed does not link the release as %s", want)
		}
		r := anon.get("/news/index/" + models.IndexPath(*d.IndexNumber))
		if r.Status != http.StatusMovedPermanently || r.Location != "/news/"+url.PathEscape(*d.Slug) {
			t.Errorf("index redirect: %d to %q", r.Status, r.Location)
		}
	})
}

// TestReleaseLabelsInTheReleaseLanguage: French and Spanish releases show
// their labels and dates in their language; a language without a message
// file shows English; and left-to-right pages keep the arrow pointing left.
func TestReleaseLabelsInTheReleaseLanguage(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		for _, tc := range []struct {
			lang, headline string
			want           []string
		}{
			{"fr", "Libérez les journalistes", []string{`lang="fr" dir="ltr"`, "Communiqué de presse", "Référence", "Publié le", "9 juillet 2026", "← Tous les communiqués"}},
			{"es", "Liberen a los periodistas", []string{`lang="es" dir="ltr"`, "Comunicado de prensa", "Publicado el", "9 de julio de 2026", "← Todos los comunicados"}},
			{"de", "Lasst die Journalisten frei", []string{`lang="de" dir="ltr"`, "Press release", "Published", "9 July 2026", "← All releases"}},
		} {
			d := env.publish(t, tc.headline, "Text.", nil, inLanguage(tc.lang))
			page := env.browser().get("/news/" + url.PathEscape(*d.Slug))
			if page.Status != http.StatusOK {
				t.Fatalf("%s release: %d", tc.lang, page.Status)
			}
			for _, w := range tc.want {
				if !strings.Contains(page.Body, w) {
					t.Errorf("the %s release page lacks %q", tc.lang, w)
				}
			}
		}
		// A listing filtered to one language is written in it.
		fr := env.browser().get("/news?lang=fr")
		for _, w := range []string{`lang="fr"`, "Salle de presse", "Libérez les journalistes", "Tous les pays"} {
			if !strings.Contains(fr.Body, w) {
				t.Errorf("the French listing lacks %q", w)
			}
		}
	})
}

// TestNewsroomFiltersOfferValuesInUse: the country and theme filters are
// selects of the values public releases carry (once each, whatever the
// case), never those of a release still under embargo; the current filter
// stays selected; a newly published release's tags join them.
func TestNewsroomFiltersOfferValuesInUse(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		tagged := func(countries, themes []string) func(*models.DocumentInput) {
			return func(in *models.DocumentInput) { in.Countries, in.Themes = &countries, &themes }
		}
		env.publish(t, "Arms sales to the coalition", "Text.", nil, tagged([]string{"Syria", "Lebanon"}, []string{"Arms control"}))
		env.publish(t, "More arms sales", "Text.", nil, tagged([]string{"syria"}, []string{"arms control", "Refugees"}))
		later := env.clock.Now().Add(48 * time.Hour)
		env.publish(t, "Embargoed news", "Text.", &later, tagged([]string{"Yemen"}, []string{"Secret theme"}))

		news := env.browser().get("/news")
		country := selectBlock(t, news.Body, "country")
		theme := selectBlock(t, news.Body, "theme")
		if !strings.Contains(country, `<option value="">Any country</option>`) || !strings.Contains(country, `>Lebanon</option>`) ||
			strings.Count(country, `>Syria</option>`)+strings.Count(country, `>syria</option>`) != 1 {
			t.Errorf("country filter = %s", country)
		}
		if !strings.Contains(theme, `<option value="">Any theme</option>`) || !strings.Contains(theme, `>Refugees</option>`) ||
			strings.Count(strings.ToLower(theme), `>arms control</option>`) != 1 {
			t.Errorf("theme filter = %s", theme)
		}
		if strings.Contains(news.Body, "Yemen") || strings.Contains(news.Body, "Secret theme") {
			t.Error("the filters name the tags of an embargoed release")
		}
		filtered := env.browser().get("/news?country=Lebanon")
		if !strings.Contains(selectBlock(t, filtered.Body, "country"), `<option value="Lebanon" selected>`) || !strings.Contains(filtered.Body, "Arms sales to the coalition") || strings.Contains(filtered.Body, "More arms sales") {
			t.Error("filtering by a country from the select does not keep it selected or does not filter")
		}
		// A release published later adds its country: the listing may show the
		// earlier choices while they refresh, but not for long, and the page
		// cache does not keep the older list as the new version's page.
		env.publish(t, "Arms sales to Chile", "Text.", nil, tagged([]string{"Chile"}, nil))
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := env.browser().get("/news")
			if strings.Contains(selectBlock(t, r.Body, "country"), ">Chile</option>") {
				break
			}
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" || r.Header.Get("ETag") != "" {
				t.Fatalf("a listing with the earlier choices is cacheable: Cache-Control %q, ETag %q", cc, r.Header.Get("ETag"))
			}
			if time.Now().After(deadline) {
				t.Fatal("the country filter never offered the newly published release's country")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// selectBlock is the HTML of the select with the id.
func selectBlock(t *testing.T, body, id string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, `<select id="`+id+`"`)
	if !ok {
		t.Fatalf("no select %q on the page", id)
	}
	block, _, _ := strings.Cut(rest, "</select>")
	return block
}

// TestEditorWritesArabicRightToLeft: the editor of an Arabic draft lays out
// its headline, standfirst and body fields and the preview right to left
// (with lang="ar") from the server, so it works without the script; the
// script that flips them live is on the page, with the server's list of
// right-to-left languages. An English draft stays left to right.
func TestEditorWritesArabicRightToLeft(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := t.Context()
		officer := env.users[models.RolePressOfficer]
		draft := func(lang, headline string) *models.Document {
			body := "نص."
			d, err := models.CreateDocument(ctx, env.db.Gorm, officer, models.DocumentInput{Kind: models.KindPressRelease, Headline: &headline, Body: &body, Language: &lang}, env.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		b := env.loginAs(officer.Email)
		ar := b.get("/admin/releases/" + draft("ar", "وقف إطلاق النار").ID + "/edit")
		if ar.Status != http.StatusOK {
			t.Fatalf("editor: %d", ar.Status)
		}
		for _, id := range []string{`id="headline"`, `id="standfirst"`, `id="body"`, `id="preview"`} {
			tag := openingTag(t, ar.Body, id)
			if !strings.Contains(tag, `dir="rtl"`) || !strings.Contains(tag, `lang="ar"`) {
				t.Errorf("Arabic editor: %s is not right to left: %s", id, tag)
			}
		}
		if !strings.Contains(ar.Body, `<script src="/static/direction.js"`) || !strings.Contains(ar.Body, `data-rtl-languages="ar `) {
			t.Error("the editor lacks the live direction script or its language list")
		}
		en := b.get("/admin/releases/" + draft("en", "Ceasefire now").ID + "/edit")
		if tag := openingTag(t, en.Body, `id="body"`); !strings.Contains(tag, `dir="ltr"`) {
			t.Errorf("English editor body: %s", tag)
		}
		if js := env.browser().get("/static/direction.js"); js.Status != http.StatusOK || !strings.Contains(js.Body, "data-follows-language") {
			t.Errorf("/static/direction.js: %d", js.Status)
		}
	})
}

// openingTag is the start tag of the element with the attribute.
func openingTag(t *testing.T, body, attr string) string {
	t.Helper()
	i := strings.Index(body, attr)
	if i < 0 {
		t.Fatalf("no element with %s", attr)
	}
	start := strings.LastIndex(body[:i], "<")
	end := strings.Index(body[i:], ">")
	return body[start : i+end+1]
}

// TestSlugWithoutWordsIsTheIndexNumber: a headline with no letters or digits
// to keep (only emoji) gets its index number as its slug, never a
// meaningless transliteration, and its page opens at that address.
func TestSlugWithoutWordsIsTheIndexNumber(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		d := env.publish(t, "🔥🔥 🚨", "Text.", nil, nil)
		want := strings.ToLower(models.IndexPath(*d.IndexNumber))
		if d.Slug == nil || *d.Slug != want {
			t.Fatalf("slug of a headline without words = %v, want the index number %q", d.Slug, want)
		}
		if page := env.browser().get("/news/" + want); page.Status != http.StatusOK || !strings.Contains(page.Body, "🔥🔥 🚨") {
			t.Fatalf("/news/%s: %d", want, page.Status)
		}
	})
}
