package app

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// NUL bytes: no field Pressroom stores may hold one (PostgreSQL refuses them in
// text, so a NUL that reaches a query is a 500, and SQLite would store a value
// nobody can type), and no legitimate client sends one. nulGuard refuses them
// at the edge with a 400 that says why, wherever a request can carry them: the
// path, the query, form values and JSON bodies (raw, or as the \u0000 escape).
//
// The SendGrid Event Webhook is the exception: SendGrid retries a post it got
// no 2xx for, again and again, so its handler cleans the NULs out of the
// verified body (stripJSONNUL) and stores every event.
// Browsers' CSP violation reports are cleaned the same way
// (models.ParseCSPReports): a blocked address may hold anything.
//
// Bodies are peeked, not consumed: the handler reads the same bytes. Files are
// not inspected (an image may hold any byte; the CSV import refuses binary data
// itself with its own reason), and of a body larger than the handlers accept
// only the part they would read is scanned.
const (
	// maxFormScan is net/http's own limit on a URL-encoded form body.
	maxFormScan = 10 << 20
	// maxJSONScan covers the largest JSON body any handler reads (1 MB);
	// beyond it the handler answers 413 before decoding anything.
	maxJSONScan = 1<<20 + 1
	// maxMultipartMemory is what gin and gorilla/csrf parse multipart forms
	// with; parsing here first costs nothing extra.
	maxMultipartMemory = 32 << 20
)

// nulGuard is the middleware; see the NUL bytes comment above.
func (s *Server) nulGuard(c *gin.Context) {
	r := c.Request
	if strings.IndexByte(r.URL.Path, 0) >= 0 || strings.Contains(r.URL.RawPath, "%00") || hasFormNUL(r.URL.RawQuery) {
		s.refuseNUL(c)
		return
	}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 || strings.HasPrefix(r.URL.Path, "/webhooks/") ||
		r.URL.Path == CSPReportPath {
		c.Next()
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "multipart/form-data":
		// Browser forms are parsed already (gorilla/csrf reads the token from
		// them). An upload larger than a form is left to its handler's limits.
		if r.MultipartForm == nil && r.ContentLength > maxMultipartMemory {
			break
		}
		if r.ParseMultipartForm(maxMultipartMemory) == nil && r.MultipartForm != nil {
			for k, vs := range r.MultipartForm.Value {
				if strings.IndexByte(k, 0) >= 0 || anyNUL(vs) {
					s.refuseNUL(c)
					return
				}
			}
		}
	case ct == "text/csv":
		// An uploaded file: ParseCSV refuses binary data with its own reason.
	case ct == "application/x-www-form-urlencoded" && r.PostForm != nil:
		// Parsed already (gorilla/csrf reads the token from the form).
		for k, vs := range r.PostForm {
			if strings.IndexByte(k, 0) >= 0 || anyNUL(vs) {
				s.refuseNUL(c)
				return
			}
		}
	case ct == "application/x-www-form-urlencoded":
		if hasFormNUL(string(peekBody(r, maxFormScan))) {
			s.refuseNUL(c)
			return
		}
	default:
		// JSON, whatever the declared type: the API's handlers decode JSON
		// bodies whatever the client says they are.
		b := peekBody(r, maxJSONScan)
		jsonish := ct == "application/json" || strings.HasSuffix(ct, "+json") || isAPI(c)
		if bytes.IndexByte(b, 0) >= 0 || (jsonish && jsonNULEscape(b, 0) >= 0) {
			s.refuseNUL(c)
			return
		}
	}
	c.Next()
}

// refuseNUL answers 400: the API's error shape on /api paths, a page elsewhere.
func (s *Server) refuseNUL(c *gin.Context) {
	if isAPI(c) {
		apiError(c, http.StatusBadRequest, "bad_request", `the request contains a NUL byte (%00 or \u0000), which no field may hold`, nil)
	} else {
		s.errorPage(c, http.StatusBadRequest, "Bad request",
			"The address or the form contains a NUL byte (%00), which no field may hold. Remove it and try again.")
	}
	c.Abort()
}

// peekBody reads up to limit bytes of the body and puts them back in front of
// the rest, so the handler reads the whole body as sent.
func peekBody(r *http.Request, limit int64) []byte {
	b, _ := io.ReadAll(io.LimitReader(r.Body, limit))
	r.Body = peekedBody{Reader: io.MultiReader(bytes.NewReader(b), r.Body), Closer: r.Body}
	return b
}

type peekedBody struct {
	io.Reader
	io.Closer
}

// hasFormNUL reports whether URL-encoded text (a raw query or form body) holds
// a NUL, raw or as %00.
func hasFormNUL(s string) bool {
	return strings.IndexByte(s, 0) >= 0 || strings.Contains(s, "%00")
}

func anyNUL(vs []string) bool {
	for _, v := range vs {
		if strings.IndexByte(v, 0) >= 0 {
			return true
		}
	}
	return false
}

// jsonNULEscape returns the index of the backslash of the first \u0000 escape
// in JSON text at or after from, or -1. A backslash that is itself escaped
// (\\u0000, the text "\u0000") starts no escape: the run of backslashes before
// the u must be odd.
func jsonNULEscape(b []byte, from int) int {
	for i := from; i < len(b); {
		j := bytes.Index(b[i:], []byte("u0000"))
		if j < 0 {
			return -1
		}
		j += i
		k := j
		for k > 0 && b[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 1 {
			return j - 1
		}
		i = j + 1
	}
	return -1
}

// stripJSONNUL removes raw NUL bytes and \u0000 escapes from JSON text, leaving
// everything else as it was: each string that held a NUL loses just that
// character. It returns b itself when there was nothing to remove.
func stripJSONNUL(b []byte) []byte {
	if bytes.IndexByte(b, 0) < 0 && jsonNULEscape(b, 0) < 0 {
		return b
	}
	b = bytes.ReplaceAll(b, []byte{0}, nil)
	out := make([]byte, 0, len(b))
	for i := 0; ; {
		j := jsonNULEscape(b, i)
		if j < 0 {
			return append(out, b[i:]...)
		}
		out = append(out, b[i:j]...)
		i = j + len(`\u0000`)
	}
}
