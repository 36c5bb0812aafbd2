package models

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// EmailHash is the hex SHA-256 of the normalised address. Suppressions and
// audience rows carry it so an erased person can still be matched (and never
// mailed again) after the address itself is gone.
func EmailHash(email string) string {
	sum := sha256.Sum256([]byte(NormalizeEmail(email)))
	return hex.EncodeToString(sum[:])
}

// splitList turns user input ("Climate; Arms trade, arms trade") into a clean,
// de-duplicated list. fold is applied to each item (lower- or upper-casing) so
// filters match regardless of how people typed it.
func splitList(s string, fold func(string) string) []string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' || r == '\n' })
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		f = strings.Join(strings.Fields(f), " ")
		if fold != nil {
			f = fold(f)
		}
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// joinList stores a list in one text column as "a,b,c"; filters match an item
// with (',' || column || ',') LIKE '%,item,%', which works on both dialects.
func joinList(items []string) string { return strings.Join(items, ",") }

// ListItems splits a stored comma-separated column back into its items.
func ListItems(stored string) []string {
	if stored == "" {
		return nil
	}
	return strings.Split(stored, ",")
}

// NormalizeTags cleans a tag list: lower-cased, trimmed, de-duplicated.
func NormalizeTags(s string) string { return joinList(splitList(s, strings.ToLower)) }

// normalizeCodes cleans a list of country codes: upper-cased.
func normalizeCodes(s string) string { return joinList(splitList(s, strings.ToUpper)) }

// normalizeLower cleans a list of beats or language codes: lower-cased.
func normalizeLower(s string) string { return joinList(splitList(s, strings.ToLower)) }

// listContains is the SQL condition for "the comma list in column holds item".
// The item is bound as a parameter; LIKE wildcards in it are escaped.
func listContains(column string) string {
	return "(',' || " + column + " || ',') LIKE ? ESCAPE '\\'"
}

func listPattern(item string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%," + r.Replace(item) + ",%"
}

func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(q)) + "%"
}

// Audience names which people a list, segment or import is about.
type Audience string

// The two audiences of people Pressroom mails, and the directory of officials
// (targets), whose CSV import follows the same rules.
const (
	AudienceMedia      Audience = "media"
	AudienceSupporters Audience = "supporters"
	AudienceTargets    Audience = "targets"
)
