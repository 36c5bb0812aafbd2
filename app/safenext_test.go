package app

import (
	"net/url"
	"strings"
	"testing"
)

// nastyNext are redirect targets that leave the site in some browser, or would
// if a browser or a later redirect normalised them: protocol-relative, with
// backslashes (which WHATWG URL parsing reads as slashes), with tabs and
// newlines (which browsers strip), with schemes, and their encoded forms.
var nastyNext = []string{
	"//evil.example",
	"//evil.example/admin",
	"///evil.example",
	"/\\evil.example",
	"\\\\evil.example",
	"/\\/evil.example",
	"/%09/evil.example", // as it arrives when the query was double-encoded
	"/\t/evil.example",  // as c.Query decodes ?next=/%09/evil.example
	"/\n/evil.example",
	"/\r\n/evil.example",
	"/\x00/evil.example",
	"\t//evil.example",
	" //evil.example",
	"/%5Cevil.example",
	"/%5C/evil.example",
	"/%2F/evil.example",
	"/%2f%2fevil.example",
	"https://evil.example",
	"https:/evil.example",
	"http://evil.example/admin",
	"HTTPS://evil.example",
	"javascript:alert(1)",
	"JavaScript:alert(document.cookie)",
	"data:text/html,<script>alert(1)</script>",
	"evil.example",
	"admin",
	"//@evil.example",
	"/@evil.example@evil.example",
	"//user:pass@evil.example",
	"/..//evil.example",
	"/admin/..//evil.example",
	"/./\\evil.example",
	"",
	"%2F%2Fevil.example",
	"/\u2028/evil.example",
	"/\x7f/evil.example",
}

func TestSafeNextRefusesOffSiteTargets(t *testing.T) {
	for _, next := range nastyNext {
		got := safeNext(next)
		if !onSite(got) {
			t.Errorf("safeNext(%q) = %q, which may leave the site", next, got)
		}
		if got != "/admin" && offSiteCandidate(next) {
			t.Errorf("safeNext(%q) = %q, want the fallback /admin", next, got)
		}
	}
}

// offSiteCandidate is whether a nasty target must fall back entirely rather
// than be kept as a (harmless) path: everything in nastyNext except the
// encoded and dot forms that are paths on our site.
func offSiteCandidate(next string) bool {
	switch next {
	case "/%2F/evil.example", "/%2f%2fevil.example", "/@evil.example@evil.example", "/%09/evil.example", "/\u2028/evil.example",
		"/..//evil.example", "/admin/..//evil.example": // resolved to the path /evil.example here
		return false
	}
	return true
}

func TestSafeNextKeepsPathsOnSite(t *testing.T) {
	for next, want := range map[string]string{
		"/admin":                          "/admin",
		"/admin/releases":                 "/admin/releases",
		"/admin/releases?status=draft":    "/admin/releases?status=draft",
		"/admin/releases/abc/edit#body":   "/admin/releases/abc/edit",
		"/admin/../news":                  "/news",
		"/news/ünïcode":                   "/news/%C3%BCn%C3%AFcode",
		"/admin/search?q=a%20b&scope=all": "/admin/search?q=a%20b&scope=all",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// onSite is the property every result must have: a path on our host starting
// with a single slash, as the strictest browser would read it too (after
// stripping tabs and newlines and reading backslashes as slashes).
func onSite(s string) bool {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return false
		}
	}
	base := &url.URL{Scheme: "https", Host: "press.example.org", Path: "/admin/"}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	r := base.ResolveReference(u)
	return r.Scheme == base.Scheme && r.Host == base.Host && strings.HasPrefix(r.Path, "/")
}

// FuzzSafeNext checks the property on arbitrary input: the result is always a
// path on our host starting with a single slash, and cleaning it again changes
// nothing.
func FuzzSafeNext(f *testing.F) {
	for _, s := range nastyNext {
		f.Add(s)
	}
	f.Add("/admin/releases?status=draft")
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if !onSite(got) {
			t.Fatalf("safeNext(%q) = %q: not a path on our host", next, got)
		}
		if again := safeNext(got); again != got {
			t.Fatalf("safeNext(%q) = %q but safeNext(%q) = %q", next, got, got, again)
		}
	})
}
