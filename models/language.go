package models

import (
	"sort"
	"strings"
)

// rtlLanguages are written right to left: their text, in the editor and on
// public pages, is laid out with dir="rtl".
var rtlLanguages = map[string]bool{"ar": true, "he": true, "fa": true, "ur": true, "ps": true, "ku": true, "yi": true, "dv": true}

// BaseLanguage is a language tag's primary subtag, lower-cased: "ar-EG" → "ar".
func BaseLanguage(lang string) string {
	return strings.ToLower(strings.TrimSpace(strings.SplitN(lang, "-", 2)[0]))
}

// TextDirection is "rtl" for a language written right to left, else "ltr".
func TextDirection(lang string) string {
	if rtlLanguages[BaseLanguage(lang)] {
		return "rtl"
	}
	return "ltr"
}

// RTLLanguages lists the right-to-left languages, sorted: the editor's
// script reads them from the page, so the browser and the server share this
// one rule.
func RTLLanguages() []string {
	out := make([]string, 0, len(rtlLanguages))
	for l := range rtlLanguages {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}
