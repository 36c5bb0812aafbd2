package models

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
)

// A signer reused across a batch's recipients makes, for each, the link a
// fresh signer makes, in the format links already in people's inboxes carry
// (the id, a dot, the first 16 bytes of HMAC-SHA256 over a label and the id),
// and the unsubscribe handler's check accepts it for that id alone.
func TestUnsubscribeSignerLinks(t *testing.T) {
	t.Parallel()
	key := []byte("a key")
	mac := func(label, id string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(label + id))
		return idEncoding.EncodeToString(m.Sum(nil)[:16])
	}
	s := NewUnsubscribeSigner(key)
	for i := range 20 {
		id := fmt.Sprintf("id-%d-%s", i, strings.Repeat("x", i))
		u := s.SupporterURL("https://x.example/", id)
		if want := "https://x.example/u/" + id + "." + mac("unsubscribe:", id); u != want {
			t.Fatalf("supporter %d: %s, want %s", i, u, want)
		}
		if fresh := NewUnsubscribeSigner(key).SupporterURL("https://x.example", id); u != fresh {
			t.Fatalf("supporter %d: reused signer %s, fresh one %s", i, u, fresh)
		}
		if got, ok := SupporterIDFromUnsubscribeToken([][]byte{key}, strings.TrimPrefix(u, "https://x.example/u/")); !ok || got != id {
			t.Fatalf("supporter %d: token verifies as %q, %v", i, got, ok)
		}
		c := s.ContactURL("https://x.example", id)
		if want := "https://x.example/u/" + contactTokenPrefix + id + "." + mac("unsubscribe-contact:", id); c != want {
			t.Fatalf("contact %d: %s, want %s", i, c, want)
		}
		if got, ok := ContactIDFromUnsubscribeToken([][]byte{key}, strings.TrimPrefix(c, "https://x.example/u/")); !ok || got != id {
			t.Fatalf("contact %d: token verifies as %q, %v", i, got, ok)
		}
		if _, ok := SupporterIDFromUnsubscribeToken([][]byte{key}, id+"."+mac("unsubscribe-contact:", id)); ok {
			t.Fatalf("contact %d: a contact's MAC passes for a supporter's token", i)
		}
	}
}
