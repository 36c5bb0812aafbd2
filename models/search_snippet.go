package models

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// SQLite's snippets are cut from the text the search has already read, in Go.
// FTS5's snippet() needs the query's MATCH again, and FTS5 answers a MATCH by
// loading every entry of each word's doclist, whatever rowids the statement
// asks for: for a word most releases hold, that second statement cost as much
// as the search itself (13 ms before any snippet was cut, at 100,000
// releases), on SQLite's single connection. Which rows match is still
// FTS5's decision; only where the marks go is decided here.

// snippetTokens is how many words an excerpt shows (FTS5's snippet() was asked
// for 24).
const snippetTokens = 24

// snippetLead is how many words before the first match an excerpt starts.
const snippetLead = 4

// snippetWords lists the words a snippet marks: every word of every term the
// query looks for (not the excluded ones), folded as foldWord does.
func (p parsedQuery) snippetWords() []string {
	var out []string
	for _, c := range p.clauses {
		for _, t := range c.pos {
			for _, w := range words(t) {
				out = append(out, foldWord(w))
			}
		}
	}
	return out
}

// foldWord lower-cases a word and drops its diacritics, as FTS5's unicode61
// tokenizer with remove_diacritics does.
func foldWord(w string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(w) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// stemSuffixes are the English endings stripped before two words are
// compared, longest first: a light stand-in for the porter stemmer FTS5
// matched with, so "governments" marks "government" and "detained" marks
// "detain". It only places marks; it never decides what is found.
var stemSuffixes = []string{"ments", "ment", "ings", "ing", "edly", "ies", "ied", "es", "ed", "ly", "s"}

func lightStem(w string) string {
	for _, s := range stemSuffixes {
		if strings.HasSuffix(w, s) && utf8.RuneCountInString(w)-utf8.RuneCountInString(s) >= 3 {
			return strings.TrimSuffix(w, s)
		}
	}
	return w
}

// snippetMatcher says whether a word of the text is one the query looks for.
type snippetMatcher struct {
	exact, stems map[string]bool
}

func newSnippetMatcher(words []string) snippetMatcher {
	m := snippetMatcher{exact: map[string]bool{}, stems: map[string]bool{}}
	for _, w := range words {
		m.exact[w] = true
		m.stems[lightStem(w)] = true
	}
	return m
}

func (m snippetMatcher) match(word string) bool {
	f := foldWord(word)
	return m.exact[f] || m.stems[lightStem(f)]
}

// textSnippet cuts an excerpt of snippetTokens words from text, starting a few
// words before the first match, with every matching word between the highlight
// sentinels and " … " where text was cut. matched reports whether any word
// matched; without one the excerpt is the text's beginning.
func textSnippet(text string, m snippetMatcher) (snippet string, matched bool) {
	type span struct{ from, to int }
	var toks []span
	start := -1
	for i, r := range text {
		inWord := unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r)
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			toks = append(toks, span{start, i})
			start = -1
		}
	}
	if start >= 0 {
		toks = append(toks, span{start, len(text)})
	}
	if len(toks) == 0 {
		return "", false
	}
	hit := make([]bool, len(toks))
	first := -1
	for i, t := range toks {
		if m.match(text[t.from:t.to]) {
			hit[i] = true
			if first < 0 {
				first = i
			}
		}
	}
	from := 0
	if first >= 0 {
		from = max(0, min(first-snippetLead, len(toks)-snippetTokens))
	}
	to := min(len(toks), from+snippetTokens)
	var b strings.Builder
	if from > 0 {
		b.WriteString("… ")
	}
	pos := toks[from].from
	for i := from; i < to; i++ {
		t := toks[i]
		b.WriteString(text[pos:t.from])
		if hit[i] {
			b.WriteString(markOpen + text[t.from:t.to] + markClose)
		} else {
			b.WriteString(text[t.from:t.to])
		}
		pos = t.to
	}
	if to < len(toks) {
		b.WriteString(" …")
	} else {
		b.WriteString(text[pos:])
	}
	return b.String(), first >= 0
}

// goSnippet picks the excerpt to show, as SQLite search always has: the
// body's if it shows a match, else the standfirst's if it does, else the standfirst's
// beginning, else the body's.
func goSnippet(standfirst, body string, m snippetMatcher) string {
	b, inBody := textSnippet(body, m)
	if inBody {
		return b
	}
	s, inStandfirst := textSnippet(standfirst, m)
	if inStandfirst || s != "" {
		return s
	}
	return b
}
