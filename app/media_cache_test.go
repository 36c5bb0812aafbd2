package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"pressroom/models"
)

// TestWithdrawnPhotoLeavesCaches: a public photo is cached for a short,
// fixed time with a validator, never "immutable" (a cache would keep a
// withdrawn release's photo for a year); revalidating is a 304 while the
// release is public, and once it is withdrawn both a fresh request and a
// revalidation get a 404 no cache may keep.
func TestWithdrawnPhotoLeavesCaches(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		token := env.token(models.RolePressOfficer)
		photo := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Witness", "alt_text": "A person at a window"}, "w.jpg", exifJPEG(t, 800, 600)))
		d := env.publish(t, "A witness speaks", "Body.", nil, func(in *models.DocumentInput) { in.LeadImageID = &photo.ID })
		anon := env.browser()
		for _, v := range []string{"original", "thumb", "social", "large"} {
			path := pathOf(env, strings.Replace(photo.Variants["large"], "/large", "/"+v, 1))
			r := anon.get(path)
			cc, etag := r.Header.Get("Cache-Control"), r.Header.Get("ETag")
			if r.Status != http.StatusOK || strings.Contains(cc, "immutable") || cc != "public, max-age=60, stale-while-revalidate=30" || etag == "" {
				t.Fatalf("%s while public: %d, Cache-Control %q, ETag %q", v, r.Status, cc, etag)
			}
			if r := anon.do("GET", path, nil, map[string]string{"If-None-Match": etag}); r.Status != http.StatusNotModified || r.Body != "" {
				t.Errorf("%s revalidation while public: %d", v, r.Status)
			}
		}
		if _, err := models.WithdrawDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], d.ID, "Withdrawn to protect the witness.", env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		path := pathOf(env, photo.Variants["large"])
		r := anon.get(path)
		if r.Status != http.StatusNotFound || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("withdrawn photo: %d, Cache-Control %q", r.Status, r.Header.Get("Cache-Control"))
		}
		etag := `"` + strings.Split(path, "/")[2] + `-large"`
		if r := anon.do("GET", path, nil, map[string]string{"If-None-Match": etag}); r.Status != http.StatusNotFound || r.Header.Get("ETag") != "" {
			t.Errorf("revalidating a withdrawn photo: %d, ETag %q", r.Status, r.Header.Get("ETag"))
		}
	})
}
