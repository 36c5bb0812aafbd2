package models

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gosimple/slug"
)

// maxSlugRunes bounds the words of a slug, counted in characters: cutting
// bytes would split an Arabic or Hebrew letter in two.
const maxSlugRunes = 80

// MakeSlug makes the readable part of a URL from a headline or title. A title
// in the Latin alphabet is transliterated as it always was ("Café reopens" →
// "cafe-reopens"), so existing links keep their form. A title with words in
// another script keeps those words as they are written, lower-cased and
// joined by hyphens ("وقف إطلاق النار" → "وقف-إطلاق-النار"); links carry
// them percent-encoded. Transliterating them instead gives strings nobody can
// read ("wqf-itlq-lnr"). A title with no letters or digits at all (emoji
// only) gives "", and the caller falls back to the index number or an ID.
func MakeSlug(title string) string { return truncateSlug(slugWords(title)) }

// slugWords is MakeSlug without the length limit.
func slugWords(title string) string {
	if !hasNonLatinLetters(title) {
		return slug.Make(title)
	}
	title = strings.ReplaceAll(title, "ـ", "") // the tatweel stretches a word; it is not a letter of it
	var words []string
	for _, w := range strings.FieldsFunc(title, func(r rune) bool { return !slugRune(r) }) {
		if hasNonLatinLetters(w) {
			words = append(words, strings.ToLower(strings.TrimLeftFunc(w, unicode.IsMark)))
		} else if s := slug.Make(w); s != "" {
			words = append(words, s)
		}
	}
	return strings.Trim(strings.Join(words, "-"), "-")
}

// slugRune is a character a slug word keeps: letters, digits and the marks
// that some scripts write their vowels with.
func slugRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// hasNonLatinLetters reports whether s has a letter of a script other than
// Latin.
func hasNonLatinLetters(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) {
			return true
		}
	}
	return false
}

// truncateSlug cuts a slug to maxSlugRunes characters. A Latin slug is cut
// where it always was (existing links keep their form); one in another script
// is cut at a hyphen when there is one, so its last word is not left half.
func truncateSlug(s string) string {
	if utf8.RuneCountInString(s) <= maxSlugRunes {
		return s
	}
	out := string([]rune(s)[:maxSlugRunes])
	if i := strings.LastIndexByte(out, '-'); i > 0 && len(out) != maxSlugRunes {
		out = out[:i]
	}
	return strings.TrimRight(out, "-")
}

// EscapeSlug is a slug as it goes into a URL path: percent-encoded, so a link
// in an email, a feed or a Location header is valid ASCII whatever the
// script ("وقف-إطلاق" → "%D9%88%D9%82%D9%81-..."). A Latin slug is unchanged.
func EscapeSlug(s string) string { return url.PathEscape(s) }
