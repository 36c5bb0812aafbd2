package models

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The message catalogue: every form shows a field's problem as a sentence
// that says what to do ("Enter an email address like name@example.org."), while
// the API keeps its short field messages ("is not a valid address"). Forms
// render through FieldMessage, so a message is worded in one place.
var fieldMessages = map[string]string{
	"email|is required":                         "Enter an email address like name@example.org.",
	"email|is not a valid address":              "Enter an email address like name@example.org.",
	"name|is too long":                          "Shorten the name to 200 characters or fewer.",
	"country|must be a country code such as GB": "Choose a country from the list.",
	"consent|is required":                       "Tick the box to confirm that you want our emails.",
	"list_id|is not a supporter list":           "This signup link is out of date. Ask the organisation for a new one.",
	"headline|is required":                      "Enter a headline.",
	"body|is required":                          "Write the text of the release before submitting it.",
}

// fieldLabels name fields in words where the field's name does not read well.
var fieldLabels = map[string]string{
	"email": "Email address", "embargo_at": "The embargo", "embargo_timezone": "The time zone", "list_id": "The list",
	"original_id": "The original", "release_id": "The release", "notes_to_editors": "Notes to editors",
	"consent_source": "Consent source", "consent_at": "Consent date", "first_name": "First name", "last_name": "Last name",
}

// FieldLabel names a field for people: "first_name" reads "First name".
func FieldLabel(field string) string {
	if l, ok := fieldLabels[field]; ok {
		return strings.TrimPrefix(strings.TrimPrefix(l, "The "), "the ")
	}
	return capitalise(strings.ReplaceAll(field, "_", " "))
}

// FieldMessage words a field's problem as a sentence: the catalogue's when it
// has one, the message itself when it is already a sentence, and otherwise
// the field's label followed by the message ("Code is required.").
func FieldMessage(field, msg string) string {
	msg = strings.TrimSpace(msg)
	if s, ok := fieldMessages[field+"|"+msg]; ok {
		return s
	}
	if msg == "" {
		return ""
	}
	if r, _ := utf8.DecodeRuneInString(msg); unicode.IsUpper(r) {
		return sentence(msg)
	}
	// A message that names its own subject ("the file is empty", "line 3: …")
	// only needs a capital and a full stop.
	for _, p := range []string{"the ", "line ", "this ", "no "} {
		if strings.HasPrefix(msg, p) {
			return sentence(capitalise(msg))
		}
	}
	label, ok := fieldLabels[field]
	if !ok {
		label = capitalise(strings.ReplaceAll(field, "_", " "))
	}
	return sentence(label + " " + msg)
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") {
		return s
	}
	return s + "."
}
