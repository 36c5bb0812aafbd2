package app_test

import (
	"encoding/xml"
	"html"
	"net/http"
	"strings"
	"testing"

	"pressroom/models"
)

// atomText is an Atom text construct (title, summary) as a reader receives it.
type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

// shown is what a feed reader displays for the construct (RFC 4287 §3.1): text
// as it is; html parsed as markup, so a tag in it is live, not text.
func (a atomText) shown(t *testing.T) string {
	t.Helper()
	switch a.Type {
	case "", "text":
		return a.Text
	case "html":
		if strings.Contains(a.Text, "<") {
			t.Errorf("type=\"html\" text %q carries live markup", a.Text)
		}
		return html.UnescapeString(a.Text)
	}
	t.Fatalf("unexpected text construct type %q", a.Type)
	return ""
}

// TestFeedEscapesText: a headline and standfirst with <, & and <script> reach
// a feed reader as the words the press office wrote, never as markup.
func TestFeedEscapesText(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		headline := `Arms & <b>ammunition</b>: "A < B" <script>alert(1)</script>`
		standfirst := `Exports rose 5% & more <script>alert(2)</script> <img src=x onerror=alert(3)>`
		env.publish(t, headline, "Body with <script>alert(4)</script> in it.", nil, func(in *models.DocumentInput) {
			in.Standfirst = ptr(standfirst)
		})
		r := env.browser().get("/news/feed.atom")
		if r.Status != http.StatusOK {
			t.Fatalf("feed: %d", r.Status)
		}
		var feed struct {
			Entries []struct {
				Title   atomText `xml:"title"`
				Summary atomText `xml:"summary"`
				Content atomText `xml:"content"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal([]byte(r.Body), &feed); err != nil {
			t.Fatalf("feed is not XML: %v", err)
		}
		if len(feed.Entries) != 1 {
			t.Fatalf("%d entries, want 1", len(feed.Entries))
		}
		e := feed.Entries[0]
		if got := e.Title.shown(t); got != headline {
			t.Errorf("title shows %q, want %q", got, headline)
		}
		if got := e.Summary.shown(t); got != standfirst {
			t.Errorf("summary shows %q, want %q", got, standfirst)
		}
		if e.Content.Type != "html" || strings.Contains(e.Content.Text, "<script") {
			t.Errorf("content (type %q) carries a script: %q", e.Content.Type, e.Content.Text)
		}
	})
}
