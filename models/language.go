package models

import "strings"

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
