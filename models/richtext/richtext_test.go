package richtext

import (
	"strings"
	"testing"
)

func TestRenderSanitises(t *testing.T) {
	r := New()
	tests := []struct{ in, want, notWant string }{
		{"**Release** the prisoners", "<strong>Release</strong>", ""},
		{"hello <script>alert(1)</script>", "hello", "<script"},
		{"[click](javascript:alert(1))", "click", "javascript:"},
		{"<img src=x onerror=alert(1)>", "", "onerror"},
		{"| a | b |\n|---|---|\n| 1 | 2 |", "<table>", ""},
		{"[site](https://example.org)", `href="https://example.org"`, ""},
	}
	for _, tt := range tests {
		got := string(r.Render(tt.in))
		if tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("Render(%q) = %q, want %q in it", tt.in, got, tt.want)
		}
		if tt.notWant != "" && strings.Contains(got, tt.notWant) {
			t.Errorf("Render(%q) = %q, must not contain %q", tt.in, got, tt.notWant)
		}
	}
	if got := r.PlainText("Hello **world** & friends\n\n- one\n- two"); got != "Hello world & friends\n\n• one\n• two" {
		t.Errorf("PlainText = %q", got)
	}
	if got := r.PlainText("[Take action](https://example.org/a?x=1&y=2) or mail <press@example.org>"); got != "Take action <https://example.org/a?x=1&y=2> or mail press@example.org" {
		t.Errorf("PlainText with links = %q", got)
	}
}

func TestWordDiff(t *testing.T) {
	a := "The government must halt arms transfers now."
	b := "The government must immediately halt all arms transfers now."
	parts := WordDiff(a, b)
	var ins, del, joinedA, joinedB strings.Builder
	for _, p := range parts {
		switch p.Op {
		case Insert:
			ins.WriteString(p.Text)
			joinedB.WriteString(p.Text)
		case Delete:
			del.WriteString(p.Text)
			joinedA.WriteString(p.Text)
		default:
			joinedA.WriteString(p.Text)
			joinedB.WriteString(p.Text)
		}
	}
	if joinedA.String() != a || joinedB.String() != b {
		t.Fatalf("parts do not rebuild the texts: %q / %q", joinedA.String(), joinedB.String())
	}
	if !strings.Contains(ins.String(), "immediately") || !strings.Contains(ins.String(), "all") || del.Len() != 0 {
		t.Fatalf("insertions %q deletions %q", ins.String(), del.String())
	}
	if Changed(WordDiff(a, a)) {
		t.Fatal("identical texts reported as changed")
	}
}

// TestInlineLibraryImages: ![alt](media:ID) becomes the resolved image with
// width, height and alt text (the library's when the Markdown gives none),
// sanitised; an unknown item leaves its words and no image; a script-bearing
// URL from a resolver is still dropped by the sanitiser.
func TestInlineLibraryImages(t *testing.T) {
	r := New()
	src := "Before.\n\n![Flooded street](media:abc)\n\n![](media:def) and ![gone](media:nope) and ![x](media:bad)"
	if got := MediaRefs(src); strings.Join(got, ",") != "abc,def,nope,bad" {
		t.Errorf("MediaRefs = %v", got)
	}
	out := string(r.RenderWith(src, func(id string) (Image, bool) {
		switch id {
		case "abc":
			return Image{Src: "/media/h1/large?exp=1&sig=2", Width: 1200, Height: 800, Alt: "library alt"}, true
		case "def":
			return Image{Src: "https://example.org/media/h2/large", Width: 600, Height: 400, Alt: "Library's <alt>"}, true
		case "bad":
			return Image{Src: "javascript:alert(1)", Width: 1, Height: 1}, true
		}
		return Image{}, false
	}))
	for _, want := range []string{
		`<img src="/media/h1/large?exp=1&amp;sig=2" alt="Flooded street" width="1200" height="800">`,
		`<img src="https://example.org/media/h2/large" alt="Library&#39;s &lt;alt&gt;" width="600" height="400">`,
		`and gone and`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
	if strings.Contains(out, "javascript") || strings.Contains(out, "media:") {
		t.Errorf("unsafe or unresolved URL left in\n%s", out)
	}
}
