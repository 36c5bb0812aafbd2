package app

import (
	"fmt"
	"testing"
)

// TestPageCacheIsBounded: junk URLs cannot grow the page cache past its entry
// or byte bound, and a new newsroom version drops every older page.
func TestPageCacheIsBounded(t *testing.T) {
	p := newPageCache(100, 64<<10)
	for i := range 10_000 {
		p.put(1, &cachedPage{key: fmt.Sprintf("/news?country=junk%d", i), body: make([]byte, 100)})
	}
	if p.Len() != 100 {
		t.Errorf("after 10,000 junk pages the cache holds %d, want its bound of 100", p.Len())
	}
	if p.get(1, "/news?country=junk9999") == nil || p.get(1, "/news?country=junk0") != nil {
		t.Error("the cache did not keep the most recent pages and drop the oldest")
	}
	for i := range 50 {
		p.put(1, &cachedPage{key: fmt.Sprintf("big%d", i), body: make([]byte, 4<<10)})
	}
	if p.bytes > p.maxBytes {
		t.Errorf("the cache holds %d bytes, over its bound of %d", p.bytes, p.maxBytes)
	}
	if p.get(2, "big49") != nil || p.Len() != 0 {
		t.Error("a page of an older newsroom version was served")
	}
	p.put(1, &cachedPage{key: "stale", body: []byte("x")})
	if p.get(2, "stale") != nil {
		t.Error("a page rendered from an older version was kept")
	}
}
