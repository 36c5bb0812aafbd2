package models

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// MediaLinkKey is the key that signs media links, derived from the session
// secret (so the web process that checks a link and the worker that puts it
// in an email agree without another secret to configure).
func MediaLinkKey(sessionSecret []byte) []byte {
	m := hmac.New(sha256.New, sessionSecret)
	m.Write([]byte("pressroom media links v1"))
	return m.Sum(nil)
}

// MediaLinkSignature signs one variant of a content-addressed file until exp
// (Unix seconds).
func MediaLinkSignature(key []byte, hash, variant string, exp int64) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s/%s/%d", hash, variant, exp)
	return hex.EncodeToString(m.Sum(nil))
}

// SignedMediaPath is the path of a variant with the signature that serves
// it before it is public, until exp: for embargo previews, embargoed emails
// and staff, never for a public page. Once the file is public the path
// serves it with or without a signature, so a link in an email keeps working.
func SignedMediaPath(key []byte, m *Medium, variant string, exp time.Time) string {
	e := exp.Unix()
	return fmt.Sprintf("%s?exp=%d&sig=%s", m.PublicPath(variant), e, MediaLinkSignature(key, m.ContentHash, variant, e))
}
