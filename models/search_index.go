package models

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"gorm.io/gorm"
)

// Building the search rows: what each document's rows hold, and the plain
// text they are indexed from.

// IndexDocumentForSearch rebuilds a document's search rows: "staff" from its
// current revision and, once it has one, "public" from its approved revision
// (its headline and index number alone once it, or its original, is withdrawn).
// Call it inside the transaction that changes a document's words, approval or
// index number, so the index commits (or rolls back) with the change.
func IndexDocumentForSearch(ctx context.Context, tx *gorm.DB, docID string) error {
	tx = tx.WithContext(ctx)
	var d Document
	if err := tx.First(&d, "id = ?", docID).Error; err != nil {
		return fmt.Errorf("models: index for search: %w", translate(err))
	}
	if err := tx.Exec("DELETE FROM search_entries WHERE document_id = ?", d.ID).Error; err != nil {
		return fmt.Errorf("models: index for search: %w", err)
	}
	index, terms := "", ""
	if d.IndexNumber != nil {
		index, terms = *d.IndexNumber, indexTerms(*d.IndexNumber)
	}
	entries := []struct {
		which    string
		revision int
	}{{searchStaff, d.CurrentRevision}}
	if d.ApprovedRevision > 0 {
		entries = append(entries, struct {
			which    string
			revision int
		}{searchPublic, d.ApprovedRevision})
	}
	// A withdrawn release, or a translation of a withdrawn original, keeps only
	// its headline and index number in public: its text must not be findable.
	withdrawn := d.Status == StatusWithdrawn
	if d.OriginalID != nil && !withdrawn {
		var orig Document
		if err := tx.Select("status").First(&orig, "id = ?", *d.OriginalID).Error; err != nil {
			return fmt.Errorf("models: index for search: original: %w", translate(err))
		}
		withdrawn = orig.Status == StatusWithdrawn
	}
	postgres := tx.Dialector.Name() == "postgres"
	for _, en := range entries {
		var r Revision
		if err := tx.First(&r, "document_id = ? AND number = ?", d.ID, en.revision).Error; err != nil {
			return fmt.Errorf("models: index for search: revision %d: %w", en.revision, translate(err))
		}
		headline, standfirst, body := cleanText(r.Headline), cleanText(r.Standfirst), PlainText(r.Body)
		if en.which == searchPublic && withdrawn {
			standfirst, body = "", ""
		}
		var err error
		if postgres {
			err = tx.Exec(`INSERT INTO search_entries (document_id, which, revision, language, config, headline, standfirst, body, index_number, index_terms)
				VALUES (?, ?, ?, ?, CAST(? AS regconfig), ?, ?, ?, ?, ?)`,
				d.ID, en.which, r.Number, d.Language, SearchConfig(d.Language), headline, standfirst, body, index, terms).Error
		} else {
			err = tx.Exec(`INSERT INTO search_entries (document_id, which, revision, language, headline, standfirst, body, index_number, index_terms)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				d.ID, en.which, r.Number, d.Language, headline, standfirst, body, index, terms).Error
		}
		if err != nil {
			return fmt.Errorf("models: index for search: %w", err)
		}
	}
	return nil
}

// ReindexSearch rebuilds the search rows of every document, one transaction per
// document, and returns how many it indexed. Run it after a change to how text
// is indexed (the migration that created the index backfilled raw Markdown).
func ReindexSearch(ctx context.Context, db *gorm.DB) (int, error) {
	var ids []string
	if err := db.WithContext(ctx).Model(&Document{}).Order("id").Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("models: reindex search: %w", err)
	}
	for i, id := range ids {
		if err := Transaction(ctx, db, func(tx *gorm.DB) error { return IndexDocumentForSearch(ctx, tx, id) }); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}

// indexTerms lists every run of consecutive parts of an index number, each as
// one lower-case word: "PRE 01/001/2026" gives "pre", "pre01", "pre01001",
// "pre010012026", "01", "01001", …, "2026". A query's letters and digits then
// match one of them as a prefix whatever the spelling ("PRE-01-001",
// "001/2026", "pre01 001").
func indexTerms(n string) string {
	parts := strings.FieldsFunc(strings.ToLower(n), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
	var terms []string
	for i := range parts {
		for j := i + 1; j <= len(parts); j++ {
			terms = append(terms, strings.Join(parts[i:j], ""))
		}
	}
	return strings.Join(terms, " ")
}

var (
	mdFence      = regexp.MustCompile("^\\s*(```|~~~)")
	mdRefDef     = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*\S+`)
	mdBlock      = regexp.MustCompile(`^\s{0,3}(#{1,6}\s+|(>\s?)+|[-*+]\s+\[[ xX]\]\s+|[-*+]\s+|\d{1,9}[.)]\s+)`)
	mdRule       = regexp.MustCompile(`^\s{0,3}([-*_]\s*){3,}$|^\s{0,3}(=+|-+)\s*$|^\s*\|?(\s*:?-+:?\s*\|)+\s*:?-*:?\s*$`)
	mdImage      = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLink       = regexp.MustCompile(`\[([^\]]*)\](\([^)]*\)|\[[^\]]*\])`)
	mdAutolink   = regexp.MustCompile(`<((?:https?|mailto):[^>\s]+)>`)
	mdHTML       = regexp.MustCompile(`<!--[\s\S]*?-->|</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>`)
	mdEmphasis   = regexp.MustCompile(`\*+|~~`)
	mdUnderOpen  = regexp.MustCompile(`(^|[\s(\["'])_{1,3}(\S)`)
	mdUnderClose = regexp.MustCompile(`(\S)_{1,3}([\s).,;:!?\]"']|$)`)
	mdBlankLines = regexp.MustCompile(`\n{3,}`)
	mdEscape     = regexp.MustCompile("\\\\([\\\\`*_{}\\[\\]()#+\\-.!|<>~])")
)

// PlainText reduces release Markdown to the words a reader sees, for indexing
// and snippets: markup, link targets and raw HTML tags (which the renderer drops)
// go; code keeps its text verbatim, since readers see it as written.
func PlainText(md string) string {
	md = cleanText(strings.ReplaceAll(md, "\r\n", "\n"))
	var out []string
	inFence := false
	for _, line := range strings.Split(md, "\n") {
		if mdFence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence {
			out = append(out, line)
			continue
		}
		if mdRefDef.MatchString(line) || mdRule.MatchString(line) {
			continue
		}
		line = mdBlock.ReplaceAllString(line, "")
		// Odd pieces between backticks are code spans: kept as written.
		pieces := strings.Split(line, "`")
		if len(pieces)%2 == 0 { // an unpaired backtick is just a character
			pieces[len(pieces)-2] += "`" + pieces[len(pieces)-1]
			pieces = pieces[:len(pieces)-1]
		}
		for i := 0; i < len(pieces); i += 2 {
			pieces[i] = plainInline(pieces[i])
		}
		line = strings.Join(pieces, "")
		out = append(out, strings.TrimSpace(line))
	}
	return strings.TrimSpace(mdBlankLines.ReplaceAllString(strings.Join(out, "\n"), "\n\n"))
}

func plainInline(s string) string {
	s = mdImage.ReplaceAllString(s, "$1")
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdAutolink.ReplaceAllString(s, "$1")
	s = mdHTML.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "|", " ")
	s = mdEmphasis.ReplaceAllString(s, "")
	s = mdUnderOpen.ReplaceAllString(s, "$1$2")
	s = mdUnderClose.ReplaceAllString(s, "$1$2")
	return mdEscape.ReplaceAllString(s, "$1")
}

// cleanText removes the highlight sentinels and other control characters, so a
// snippet's markers can only come from the search engine.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r >= 0xe000 && r <= 0xf8ff, unicode.IsControl(r):
			return ' '
		}
		return r
	}, s)
}
