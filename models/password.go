package models

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
)

// Password rules for staff accounts, checked everywhere a password is set
// (user form, command line, account page), before it is hashed.
const (
	// MinPasswordLength is the shortest password accepted, in characters.
	MinPasswordLength = 12
	// MaxPasswordBytes is bcrypt's limit: it reads only the first 72 bytes
	// (and Go's bcrypt refuses longer input), so a longer password would be
	// either silently truncated or an error.
	MaxPasswordBytes = 72
	// MinPasswordScore is the zxcvbn score a password needs (0–4): 3 is
	// "safely unguessable" at online rates, about 10^8 guesses and up.
	MinPasswordScore = 3
)

//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords is the embedded list, normalised, parsed once on first use.
var commonPasswords = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			set[squash(line)] = true
		}
	}
	return set
})

// PasswordProblem returns what is wrong with password as a new password for
// the account named by userInputs (its name and email, which a guesser tries
// first), or "" when it is acceptable. The message completes "password …" for
// a person: it says how to do better, not just that it failed.
func PasswordProblem(password string, userInputs ...string) string {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return fmt.Sprintf("must be at least %d characters", MinPasswordLength)
	case len(password) > MaxPasswordBytes:
		return fmt.Sprintf("is too long: at most %d bytes (%d here; letters with accents and other scripts take two or more each), so a phrase of four or five words fits",
			MaxPasswordBytes, len(password))
	case !utf8.ValidString(password):
		return "contains characters that are not valid text"
	}
	if isCommonPassword(password) {
		return "is too easy to guess: it is one of the most common passwords. " + passwordAdvice
	}
	inputs := passwordInputs(userInputs)
	if mostlyPersonal(password, inputs) {
		return "is too easy to guess: it is built on the account's name or email address. " + passwordAdvice
	}
	res := zxcvbn.PasswordStrength(password, inputs)
	if res.Score >= MinPasswordScore {
		return ""
	}
	return "is too easy to guess: " + weakness(res.Sequence) + ". " + passwordAdvice
}

const passwordAdvice = "Try three or four unrelated words, e.g. a short sentence only you would write."

// isCommonPassword reports whether password is on the embedded list, or is once
// trailing digits and symbols (the usual "2026!") are taken off.
func isCommonPassword(password string) bool {
	s := squash(password)
	if commonPasswords()[s] {
		return true
	}
	base := strings.TrimRightFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	return base != "" && commonPasswords()[base]
}

// squash lower-cases s and drops the separators people put between words.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_', '.', '\t':
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// mostlyPersonal reports whether password is little more than the account's
// name and email: with every part of them (of three letters or more) taken
// out, fewer than 8 characters remain.
func mostlyPersonal(password string, inputs []string) bool {
	rest := squash(password)
	for _, in := range inputs {
		if in = squash(in); utf8.RuneCountInString(in) >= 3 {
			rest = strings.ReplaceAll(rest, in, "")
		}
	}
	return utf8.RuneCountInString(rest) < 8
}

// passwordInputs splits names and emails into the words a guesser would try:
// "Nadia Newcomer", "nadia.newcomer@example.org" → nadia, newcomer, example….
func passwordInputs(userInputs []string) []string {
	var out []string
	for _, in := range userInputs {
		in = strings.ToLower(strings.TrimSpace(in))
		if in == "" {
			continue
		}
		out = append(out, in)
		out = append(out, strings.FieldsFunc(in, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })...)
	}
	return out
}

// weakness names the most guessable part of a password from zxcvbn's analysis,
// in words a person can act on.
func weakness(seq []*match.Match) string {
	var worst *match.Match
	for _, m := range seq {
		if m.Pattern == "bruteforce" {
			continue
		}
		if worst == nil || len(m.Token) > len(worst.Token) {
			worst = m
		}
	}
	if worst == nil {
		return "it is short and simple"
	}
	tok := worst.Token
	switch worst.Pattern {
	case "repeat":
		return fmt.Sprintf("repeated characters or groups (%q) are among the first things tried", tok)
	case "sequence":
		return fmt.Sprintf("sequences like %q are among the first things tried", tok)
	case "spatial":
		return fmt.Sprintf("keyboard patterns like %q are among the first things tried", tok)
	case "date":
		return fmt.Sprintf("dates and years (%q) are easy to guess", tok)
	case "regex":
		return fmt.Sprintf("recent years (%q) are easy to guess", tok)
	case "dictionary":
		if worst.DictionaryName == "user_inputs" {
			return fmt.Sprintf("it is built on the account's name or email (%q)", tok)
		}
		if worst.DictionaryName == "passwords" {
			return fmt.Sprintf("it is built on a common password (%q)", tok)
		}
		return fmt.Sprintf("it is mostly a common word or name (%q), and single words are guessed quickly", tok)
	}
	return "it follows a pattern that is guessed quickly"
}
