package models

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMakeSlugKeepsScriptsReadable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ title, want string }{
		// Latin titles keep the form they always had.
		{"Ceasefire now: aid convoys must pass", "ceasefire-now-aid-convoys-must-pass"},
		{"Café reopens & Zürich votes", "cafe-reopens-and-zurich-votes"},
		{"Libérez les détenus", "liberez-les-detenus"},
		// Other scripts keep their words, lower-cased and hyphenated.
		{"وقف إطلاق النار الآن", "وقف-إطلاق-النار-الآن"},
		{"הפסקת אש עכשיו!", "הפסקת-אש-עכשיו"},
		{"Свобода слова", "свобода-слова"},
		{"Gaza: وقف إطلاق النار 2026", "gaza-وقف-إطلاق-النار-2026"},
		{"Café — وقف", "cafe-وقف"},
		// The Arabic tatweel stretches a word; it is not part of it.
		{"عـــاجل", "عاجل"},
		// Nothing readable: the caller falls back to the index number.
		{"🔥🔥 🚨", ""},
		{"!!!", ""},
	} {
		if got := MakeSlug(tc.title); got != tc.want {
			t.Errorf("MakeSlug(%q) = %q, want %q", tc.title, got, tc.want)
		}
	}
}

func TestMakeSlugCutsLongTitlesWithoutSplittingLetters(t *testing.T) {
	t.Parallel()
	ar := MakeSlug(strings.Repeat("بيان صحفي عاجل ", 20))
	if !utf8.ValidString(ar) || utf8.RuneCountInString(ar) > maxSlugRunes || strings.HasSuffix(ar, "-") {
		t.Fatalf("long Arabic slug = %q (%d characters): want valid text of at most %d characters", ar, utf8.RuneCountInString(ar), maxSlugRunes)
	}
	for _, w := range strings.Split(ar, "-") {
		if w != "بيان" && w != "صحفي" && w != "عاجل" {
			t.Fatalf("long Arabic slug %q has a cut word %q", ar, w)
		}
	}
	en := MakeSlug(strings.Repeat("word ", 40))
	if len(en) > maxSlugRunes || strings.HasSuffix(en, "-") {
		t.Fatalf("long Latin slug = %q", en)
	}
}

func TestTextDirection(t *testing.T) {
	t.Parallel()
	for lang, want := range map[string]string{"ar": "rtl", "ar-EG": "rtl", "he": "rtl", "fa": "rtl", "ur": "rtl", "AR": "rtl", "en": "ltr", "fr": "ltr", "": "ltr"} {
		if got := TextDirection(lang); got != want {
			t.Errorf("TextDirection(%q) = %q, want %q", lang, got, want)
		}
	}
}
