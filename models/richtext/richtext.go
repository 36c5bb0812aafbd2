// Package richtext turns release Markdown into sanitised HTML and computes
// readable word-level differences between revisions. The newsroom, the editor's
// live preview and the emails all render through Render, so a preview is exactly
// what readers will get.
package richtext

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/sergi/go-diff/diffmatchpatch"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Renderer converts Markdown to safe HTML. It is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New builds a renderer: GitHub-flavoured Markdown (tables, strikethrough,
// autolinks), raw HTML dropped by goldmark and the output sanitised again by
// bluemonday's UGC policy, with links opened safely.
func New() *Renderer {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(false)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	p.RequireNoReferrerOnLinks(true)
	// Alt text is a sentence for screen readers, with whatever punctuation
	// it needs ("Cairo; 9 July?"); the UGC policy's pattern drops such alt
	// text entirely. The value is escaped on output, so any text is safe.
	p.AllowAttrs("alt").OnElements("img")
	return &Renderer{md: goldmark.New(goldmark.WithExtensions(extension.GFM, extension.Typographer)), policy: p}
}

// Render converts Markdown to sanitised HTML.
func (r *Renderer) Render(src string) template.HTML {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(r.policy.SanitizeBytes(buf.Bytes()))
}

var (
	tags    = regexp.MustCompile(`<[^>]*>`)
	anchors = regexp.MustCompile(`(?s)<a\s[^>]*?href="([^"]*)"[^>]*>(.*?)</a>`)
)

// PlainText renders Markdown to readable plain text (for email alternatives and
// search snippets): the HTML rendering with tags removed and entities decoded.
// A link keeps its address after its words, "Take action <https://…>", so a
// reader of the text part can still follow it (an autolink, whose words are its
// address, is written once).
func (r *Renderer) PlainText(src string) string {
	html := string(r.Render(src))
	html = anchors.ReplaceAllStringFunc(html, func(a string) string {
		m := anchors.FindStringSubmatch(a)
		href, words := m[1], m[2]
		plain := strings.TrimSpace(tags.ReplaceAllString(words, ""))
		if plain == href || "mailto:"+plain == href {
			return words
		}
		// &lt; and &gt; survive the tag stripping and decode to < and >.
		return words + " &lt;" + href + "&gt;"
	})
	html = strings.NewReplacer("</p>", "\n\n", "<br>", "\n", "<br/>", "\n", "<li>", "• ", "</h1>", "\n\n", "</h2>", "\n\n", "</h3>", "\n\n").Replace(html)
	text := tags.ReplaceAllString(html, "")
	text = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&#34;", `"`).Replace(text)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(regexp.MustCompile(`\n{3,}`).ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

// Op is the kind of a diff part.
type Op string

// Diff operations.
const (
	Equal  Op = "equal"
	Insert Op = "insert"
	Delete Op = "delete"
)

// Part is one run of a diff.
type Part struct {
	Op   Op     `json:"op"`
	Text string `json:"text"`
}

var words = regexp.MustCompile(`\s+|[^\s]+`)

// WordDiff compares two texts word by word (whitespace runs are tokens too, so
// the parts join back into the texts).
func WordDiff(a, b string) []Part {
	dmp := diffmatchpatch.New()
	// Map each distinct word to one rune, diff the rune strings, map back: the
	// line-mode trick of diff-match-patch applied to words.
	index := map[string]rune{}
	var table []string
	encode := func(s string) string {
		var sb strings.Builder
		for _, w := range words.FindAllString(s, -1) {
			r, ok := index[w]
			if !ok {
				r = rune(0xE000 + len(table)) // private-use plane: never in real text
				if len(table) >= 0x1800 {
					r = rune(0xF0000 + len(table))
				}
				index[w] = r
				table = append(table, w)
			}
			sb.WriteRune(r)
		}
		return sb.String()
	}
	ea, eb := encode(a), encode(b)
	reverse := make(map[rune]string, len(index))
	for w, r := range index {
		reverse[r] = w
	}
	diffs := dmp.DiffMain(ea, eb, false)
	out := make([]Part, 0, len(diffs))
	for _, d := range diffs {
		var sb strings.Builder
		for _, r := range d.Text {
			sb.WriteString(reverse[r])
		}
		op := Equal
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			op = Insert
		case diffmatchpatch.DiffDelete:
			op = Delete
		}
		out = append(out, Part{Op: op, Text: sb.String()})
	}
	return out
}

// Changed reports whether a diff has any insertion or deletion.
func Changed(parts []Part) bool {
	for _, p := range parts {
		if p.Op != Equal {
			return true
		}
	}
	return false
}
