package models

import (
	"fmt"
	"testing"
)

// A signer reused across recipients makes the very links the one-off
// functions make, which the unsubscribe handler verifies.
func TestUnsubscribeSignerMatchesURLs(t *testing.T) {
	key := []byte("a key")
	s := NewUnsubscribeSigner(key)
	for i := range 20 {
		id := fmt.Sprintf("id-%d-%s", i, string(make([]byte, i)))
		if got, want := s.SupporterURL("https://x.example/", id), UnsubscribeURL("https://x.example/", key, id); got != want {
			t.Fatalf("supporter %d: %s, want %s", i, got, want)
		}
		if got, want := s.ContactURL("https://x.example", id), ContactUnsubscribeURL("https://x.example", key, id); got != want {
			t.Fatalf("contact %d: %s, want %s", i, got, want)
		}
	}
}
