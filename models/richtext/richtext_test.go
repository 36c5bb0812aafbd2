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
