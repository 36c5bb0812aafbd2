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

// The labels keep a supporter's token from passing for a contact's of the same
// id, and the other way round.
const (
	supporterUnsubscribeLabel = "unsubscribe:"
	contactUnsubscribeLabel   = "unsubscribe-contact:"
)

// SupporterToken is a supporter's unsubscribe token: their id and its MAC.
func (s *UnsubscribeSigner) SupporterToken(supporterID string) string {
	return supporterID + "." + s.sign(supporterUnsubscribeLabel, supporterID)
}

// ContactToken is a journalist's unsubscribe token, told apart from a
// supporter's by its prefix.
func (s *UnsubscribeSigner) ContactToken(contactID string) string {
	return contactTokenPrefix + contactID + "." + s.sign(contactUnsubscribeLabel, contactID)
}

// SupporterURL is a supporter's one-click unsubscribe link.
func (s *UnsubscribeSigner) SupporterURL(baseURL, supporterID string) string {
	return strings.TrimRight(baseURL, "/") + "/u/" + s.SupporterToken(supporterID)
}

// ContactURL is a journalist's one-click unsubscribe link.
func (s *UnsubscribeSigner) ContactURL(baseURL, contactID string) string {
	return strings.TrimRight(baseURL, "/") + "/u/" + s.ContactToken(contactID)
}
