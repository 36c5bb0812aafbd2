package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

var signedLead = regexp.MustCompile(`<img src="([^"]+/large\?[^"]*sig=[^"]+)"`)

// previewImage opens a fresh embargo preview link of a release and returns the
// signed URL of its lead image (as a path on the test server).
func previewImage(t *testing.T, env *testEnv, releaseID string) string {
	t.Helper()
	path, _ := previewImageOfLink(t, env, releaseID)
	return path
}

// previewImageOfLink is previewImage that also returns the link's id.
func previewImageOfLink(t *testing.T, env *testEnv, releaseID string) (string, string) {
	t.Helper()
	link := env.api(http.MethodPost, "/api/v1/releases/"+releaseID+"/preview-links", env.token(models.RolePressOfficer), `{"email":"reporter@example.com"}`)
	var pl struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(link.Body), &pl); err != nil || pl.URL == "" {
		t.Fatalf("preview link: %d %s", link.Status, link.Body)
	}
	page := env.browser().get(pathOf(env, pl.URL))
	m := signedLead.FindStringSubmatch(page.Body)
	if page.Status != http.StatusOK || m == nil {
		t.Fatalf("preview %d has no signed lead image", page.Status)
	}
	return pathOf(env, strings.ReplaceAll(m[1], "&amp;", "&")), pl.ID
}

// TestSignedMediaURLEndsWithWithdrawal: a signed media URL, handed to an
// embargo preview reader, opens its file only while the release it was made
// for shows that file and is not withdrawn, and while the preview link it was
// shown through is not revoked: once the release is withdrawn
// (perhaps because the photo endangers someone in it) the signed URL is a 404
// no cache keeps, like the public one; a signature made for one release does
// not open the photo of another.
func TestSignedMediaURLEndsWithWithdrawal(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		token := env.token(models.RolePressOfficer)
		photo := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Witness", "alt_text": "A person at a window"}, "w.jpg", exifJPEG(t, 800, 600)))
		other := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Other", "alt_text": "A street"}, "o.jpg", exifJPEG(t, 640, 480)))
		lift := env.clock.Now().Add(time.Hour)
		d := env.publish(t, "A witness speaks", "Body.", &lift, func(in *models.DocumentInput) { in.LeadImageID = &photo.ID })
		e := env.publish(t, "Another story", "Body.", &lift, func(in *models.DocumentInput) { in.LeadImageID = &other.ID })
		signed := previewImage(t, env, d.ID)
		anon := env.browser()
		if r := anon.get(signed); r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "private, no-store" {
			t.Fatalf("signed image under embargo: %d %q", r.Status, r.Header.Get("Cache-Control"))
		}

		// The same signature scope, pointed at another release's photo: the
		// signature covers the file, so it fails; and a URL signed for the other
		// release opens only that release's photo.
		otherSigned := previewImage(t, env, e.ID)
		u, _ := url.Parse(otherSigned)
		mine, _ := url.Parse(signed)
		swapped := mine.Path + "?" + u.RawQuery
		if r := anon.get(swapped); r.Status != http.StatusNotFound {
			t.Errorf("a signature made for another release's photo opened this one: %d", r.Status)
		}

		// A preview link the press office revokes (sent to the wrong person)
		// takes its page's photo with it.
		revoked, linkID := previewImageOfLink(t, env, d.ID)
		if r := anon.get(revoked); r.Status != http.StatusOK {
			t.Fatalf("signed image of a live link: %d", r.Status)
		}
		if err := models.RevokePreviewLink(ctx, env.db.Gorm, env.users[models.RolePressOfficer], d.ID, linkID, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if r := anon.get(revoked); r.Status != http.StatusNotFound {
			t.Errorf("the photo of a revoked preview link: %d, want 404", r.Status)
		}
		if r := anon.get(signed); r.Status != http.StatusOK {
			t.Errorf("revoking one link ended another's photo: %d", r.Status)
		}

		env.clock.Set(lift)
		if _, err := models.PublishDue(ctx, env.db.Gorm, lift); err != nil {
			t.Fatal(err)
		}
		if _, err := models.WithdrawDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], d.ID, "Withdrawn to protect the witness.", env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if r := anon.get(signed); r.Status != http.StatusNotFound || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("the signed URL of a withdrawn release's photo: %d %q; want 404 no-store", r.Status, r.Header.Get("Cache-Control"))
		}
		if r := anon.get(strings.SplitN(signed, "?", 2)[0]); r.Status != http.StatusNotFound {
			t.Errorf("the public URL of a withdrawn release's photo: %d", r.Status)
		}
		// The other release, still public, keeps its photo on both addresses.
		if r := anon.get(otherSigned); r.Status != http.StatusOK {
			t.Errorf("the signed URL of a public release's photo: %d", r.Status)
		}
	})
}
