package app

import (
	"net/url"
	"strings"
)

// safeNext is where to send someone after sign-in: next when it is a path on
// this site, /admin otherwise. It is the one rule for every place a "next"
// target is honoured, since an open redirect from our sign-in page is a
// phishing page's best friend.
//
// Browsers are more lenient than net/url: they strip tabs and newlines anywhere
// in a URL and read a backslash as a slash, so "/\t/evil" and "/\evil" are
// "//evil", another host. Anything with a control character or a backslash,
// raw or percent-encoded in the path, is refused outright; what remains must
// parse as a path (no scheme, host or user) and still be a path starting with
// a single slash once its dot segments are resolved against our own origin.
// The fragment is dropped.
func safeNext(next string) string {
	const fallback = "/admin"
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || unsafeInURL(next) {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		strings.HasPrefix(u.Path, "//") || unsafeInURL(u.Path) {
		return fallback
	}
	// The host is a placeholder: only whether the result stays on it matters.
	base := &url.URL{Scheme: "https", Host: "pressroom.invalid", Path: "/"}
	r := base.ResolveReference(&url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery})
	if r.Scheme != base.Scheme || r.Host != base.Host || !strings.HasPrefix(r.Path, "/") || strings.HasPrefix(r.Path, "//") {
		return fallback
	}
	out := r.EscapedPath()
	if r.RawQuery != "" {
		out += "?" + r.RawQuery
	}
	if strings.HasPrefix(out, "//") || unsafeInURL(out) {
		return fallback
	}
	return out
}

// unsafeInURL reports whether s holds a character browsers rewrite or drop
// inside a URL: ASCII control characters (tab, CR, LF among them), DEL and the
// backslash.
func unsafeInURL(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b == 0x7f || b == '\\' {
			return true
		}
	}
	return false
}
