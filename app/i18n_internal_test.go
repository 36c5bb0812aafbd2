package app

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"testing"
	"time"

	"pressroom/templates"
)

// TestMessageFilesAgree: every message file has exactly the messages of
// en.json, and every message a template names with a literal ID exists, so
// no page shows a bracketed ID or silently falls back in one language.
func TestMessageFilesAgree(t *testing.T) {
	fsys := templates.Files()
	read := func(name string) map[string]any {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	en := read("i18n/en.json")
	files, _ := fs.Glob(fsys, "i18n/*.json")
	if len(files) < 4 {
		t.Fatalf("message files: %v, want at least en, fr, es, ar", files)
	}
	for _, f := range files {
		m := read(f)
		for id := range en {
			if _, ok := m[id]; !ok {
				t.Errorf("%s lacks %s", f, id)
			}
		}
		for id := range m {
			if _, ok := en[id]; !ok {
				t.Errorf("%s has %s, which en.json does not", f, id)
			}
		}
	}
	literal := regexp.MustCompile(`\{\{t \S+ "([A-Za-z_]+)"`)
	pages, _ := fs.Glob(fsys, "*/*.html")
	more, _ := fs.Glob(fsys, "*/*/*.html")
	for _, p := range append(pages, more...) {
		b, _ := fs.ReadFile(fsys, p)
		for _, m := range literal.FindAllSubmatch(b, -1) {
			if _, ok := en[string(m[1])]; !ok {
				t.Errorf("%s names message %s, which en.json does not have", p, m[1])
			}
		}
	}
}

// TestCatalogFallsBackToEnglish: a language without a file, or an unknown
// message, never shows an empty label; plural forms follow the language.
func TestCatalogFallsBackToEnglish(t *testing.T) {
	c, err := loadCatalog(templates.Files())
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 28, 9, 5, 0, 0, time.UTC)
	for _, tc := range []struct{ got, want string }{
		{c.T("zz", "AllReleases"), "All releases"},
		{c.T("ar-EG", "AllReleases"), "كل البيانات"},
		{c.Date("fr", day), "28 mars 2026"},
		{c.Date("es", day), "28 de marzo de 2026"},
		{c.Date("ar", day), "28 مارس 2026"},
		{c.When("en", day, time.UTC), "09:05 UTC, 28 March 2026"},
		{c.T("en", "ResultsFor", "Count", 1, "Query", "arms"), "1 result for “arms”, best first."},
		{c.T("en", "ResultsFor", "Count", 3, "Query", "arms"), "3 results for “arms”, best first."},
		{c.T("ar", "ResultsFor", "Count", 2, "Query", "x"), "نتيجتان لـ «x»، الأفضل أولاً."},
		{c.T("fr", "NoSuchMessage"), "[NoSuchMessage]"},
		{arrow("back", "ltr") + arrow("next", "ltr") + arrow("back", "rtl") + arrow("next", "rtl"), "←→→←"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
