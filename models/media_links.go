package models

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// MediaLinkKey is the HMAC key of signed media URLs, derived from the session
// secret (like the unsubscribe key) so every web process, and the worker that
// composes emails, agrees without more configuration.
func MediaLinkKey(sessionSecret []byte) []byte {
	m := hmac.New(sha256.New, sessionSecret)
	m.Write([]byte("pressroom media links v1"))
	return m.Sum(nil)
}

// MediaSignature signs one variant of one file for one release until exp,
// and for the preview link it was shown through ("" for none): the release
// and the link are part of it so the URL stops working when that release is
// withdrawn or stops showing the file, or that link is revoked
// (SignedMediumByHash).
func MediaSignature(key []byte, hash, variant, docID, linkID string, exp int64) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s/%s/%s/%s/%d", hash, variant, docID, linkID, exp)
	return hex.EncodeToString(m.Sum(nil))
}

// SignedMediaPath is the path of a variant with a signature for release
// docID (seen through preview link linkID, or "") until exp: it serves the
// file before it is public, to whoever holds it, while SignedMediumByHash
// allows.
func SignedMediaPath(key []byte, m *Medium, variant, docID, linkID string, exp time.Time) string {
	e := exp.Unix()
	q := url.Values{"d": {docID}, "exp": {strconv.FormatInt(e, 10)}, "sig": {MediaSignature(key, m.ContentHash, variant, docID, linkID, e)}}
	if linkID != "" {
		q.Set("l", linkID)
	}
	return m.PublicPath(variant) + "?" + q.Encode()
}
