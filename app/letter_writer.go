package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// A confirmed writer's later letters go at once, but only from a browser that
// proves it is that writer: the confirmation POST leaves a signed cookie
// naming the confirmed mailbox. Knowing someone's address is not enough (a
// stranger could otherwise send letters in an activist's name at once), and
// the answer to a letter without the cookie is always "check your email", so
// it never tells a stranger whether an address has written before.
const (
	writerCookie    = "pr_writer"
	writerCookieAge = 365 * 24 * time.Hour
)

func writerKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("pressroom letter writers v1"))
	return m.Sum(nil)
}

func writerMAC(key []byte, normalisedEmail string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(normalisedEmail))
	return m.Sum(nil)
}

// WriterProof is the writer cookie's value for a confirmed mailbox (in its
// normalised form), signed with the current session secret.
func (c *Config) WriterProof(normalisedEmail string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(normalisedEmail)) + "." +
		base64.RawURLEncoding.EncodeToString(writerMAC(writerKey(c.SessionSecret), normalisedEmail))
}

// provenWriter is the normalised mailbox the request's writer cookie proves,
// signed with the current or a previous session secret, or "".
func (s *Server) provenWriter(c *gin.Context) string {
	v, err := c.Cookie(writerCookie)
	if err != nil {
		return ""
	}
	e, m, ok := strings.Cut(v, ".")
	if !ok {
		return ""
	}
	email, err1 := base64.RawURLEncoding.DecodeString(e)
	mac, err2 := base64.RawURLEncoding.DecodeString(m)
	if err1 != nil || err2 != nil {
		return ""
	}
	for _, secret := range append([][]byte{s.cfg.SessionSecret}, s.cfg.PreviousSessionSecrets...) {
		if hmac.Equal(mac, writerMAC(writerKey(secret), string(email))) {
			return string(email)
		}
	}
	return ""
}

// rememberWriter leaves the writer cookie after a confirmation.
func (s *Server) rememberWriter(c *gin.Context, normalisedEmail string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: writerCookie, Value: s.cfg.WriterProof(normalisedEmail), Path: "/",
		MaxAge: int(writerCookieAge / time.Second), HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
}
