package models

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"strings"
)

// UnsubscribeSigner makes the unsubscribe links of many recipients with one
// keyed HMAC, reset between them: a batch of a thousand links otherwise sets
// up a thousand HMACs (key schedule and two hash states each), which was a
// twentieth of a send batch's CPU. Its links are exactly UnsubscribeURL's and
// ContactUnsubscribeURL's. Not safe for concurrent use: one per batch.
type UnsubscribeSigner struct {
	mac hash.Hash
	buf []byte
	sum []byte
}

// NewUnsubscribeSigner prepares a signer for key.
func NewUnsubscribeSigner(key []byte) *UnsubscribeSigner {
	return &UnsubscribeSigner{mac: hmac.New(sha256.New, key)}
}

func (s *UnsubscribeSigner) sign(label, id string) string {
	s.mac.Reset()
	s.buf = append(append(s.buf[:0], label...), id...)
	s.mac.Write(s.buf)
	s.sum = s.mac.Sum(s.sum[:0])
	return idEncoding.EncodeToString(s.sum[:16])
}

// SupporterURL is UnsubscribeURL(baseURL, key, supporterID).
func (s *UnsubscribeSigner) SupporterURL(baseURL, supporterID string) string {
	return strings.TrimRight(baseURL, "/") + "/u/" + supporterID + "." + s.sign("unsubscribe:", supporterID)
}

// ContactURL is ContactUnsubscribeURL(baseURL, key, contactID).
func (s *UnsubscribeSigner) ContactURL(baseURL, contactID string) string {
	return strings.TrimRight(baseURL, "/") + "/u/" + contactTokenPrefix + contactID + "." + s.sign("unsubscribe-contact:", contactID)
}
