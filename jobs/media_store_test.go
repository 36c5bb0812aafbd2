package jobs_test

import (
	"context"
	"io"
	"testing"

	"pressroom/jobs"
	"pressroom/jobs/mediafake"
)

// MediaStoreBackends opens a store on each backend production supports: a
// directory (file://) and an in-process S3-compatible server (s3://).
func mediaStoreBackends(t *testing.T) map[string]*jobs.MediaStore {
	t.Helper()
	ctx := context.Background()
	out := map[string]*jobs.MediaStore{}
	for name, u := range mediafake.Backends(t) {
		s, err := jobs.OpenMediaStore(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		out[name] = s
	}
	return out
}

func TestMediaStoreRoundTripOnEveryBackend(t *testing.T) {
	for name, store := range mediaStoreBackends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if err := store.Put(ctx, "ab/abcdef.png", "image/png", []byte("png bytes")); err != nil {
				t.Fatal(err)
			}
			r, err := store.Open(ctx, "ab/abcdef.png")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r)
			_ = r.Close()
			if string(b) != "png bytes" {
				t.Fatalf("read back %q", b)
			}
			if _, err := store.Open(ctx, "nope"); err != jobs.ErrMediaMissing {
				t.Fatalf("missing key: %v, want ErrMediaMissing", err)
			}
			keys, err := store.Keys(ctx)
			if err != nil || len(keys) != 1 {
				t.Fatalf("keys %v %v", keys, err)
			}
		})
	}
}
