package richtext

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// dangerousTags may never appear in rendered Markdown: each runs script, loads
// another document or restyles the page.
var dangerousTags = map[string]bool{"script": true, "style": true, "iframe": true, "frame": true, "object": true, "embed": true,
	"applet": true, "form": true, "base": true, "meta": true, "link": true, "svg": true, "math": true, "template": true}

// urlAttrs hold addresses a browser follows or loads.
var urlAttrs = map[string]bool{"href": true, "src": true, "action": true, "formaction": true, "xlink:href": true, "srcset": true,
	"poster": true, "background": true, "cite": true, "data": true}

// unsafeURL reports whether an address would run script: the scheme as a
// browser reads it, ignoring case, whitespace and control characters anywhere
// before the colon.
func unsafeURL(v string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(v) {
		if r <= ' ' || r == 0x7f {
			continue
		}
		b.WriteRune(r)
	}
	s := b.String()
	return strings.HasPrefix(s, "javascript:") || strings.HasPrefix(s, "vbscript:") || strings.HasPrefix(s, "data:text/html") ||
		strings.HasPrefix(s, "livescript:")
}

// FuzzRenderIsSafe renders arbitrary Markdown and reads the HTML the way a
// browser's tokenizer does (entities decoded): no script or other dangerous
// element, no event-handler attribute, no javascript: (or similar) address.
func FuzzRenderIsSafe(f *testing.F) {
	for _, s := range []string{
		"**Release** the prisoners",
		"hello <script>alert(1)</script>",
		"[click](javascript:alert(1))",
		"[click](JaVaScRiPt:alert(1))",
		"[x](java\tscript:alert(1))",
		"[x](&#106;avascript:alert(1))",
		"<img src=x onerror=alert(1)>",
		"![img](javascript:alert(1))",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<svg onload=alert(1)>",
		"[a](<javascript:alert(1)>)",
		"<https://example.org/?a=1&b=2>",
		"| a | b |\n|---|---|\n| <script>x</script> | 2 |",
		"[ref]\n\n[ref]: javascript:alert(1)",
		"<style>body{}</style><iframe src=//evil.example></iframe>",
	} {
		f.Add(s)
	}
	r := New()
	f.Fuzz(func(t *testing.T, src string) {
		out := string(r.Render(src))
		z := html.NewTokenizer(strings.NewReader(out))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				return
			}
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
				continue
			}
			tok := z.Token()
			if dangerousTags[tok.Data] {
				t.Fatalf("Render(%q) has a <%s> element:\n%s", src, tok.Data, out)
			}
			for _, a := range tok.Attr {
				key := strings.ToLower(a.Key)
				if strings.HasPrefix(key, "on") {
					t.Fatalf("Render(%q) has an event handler %s=%q:\n%s", src, a.Key, a.Val, out)
				}
				if (urlAttrs[key] || key == "style") && unsafeURL(a.Val) || key == "style" && strings.Contains(strings.ToLower(a.Val), "javascript:") {
					t.Fatalf("Render(%q) has %s=%q:\n%s", src, a.Key, a.Val, out)
				}
			}
		}
	})
}
