package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

// TestNULBytesRefused: a NUL byte (PostgreSQL cannot store one in text) in a
// path, a query parameter, a form value or a JSON body, raw or escaped, is a
// 400 at the edge: the API's error shape on /api paths, a page elsewhere, and
// nothing stored. Text that merely mentions \u0000 is not a NUL and passes.
func TestNULBytesRefused(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		env.publish(t, "Published release", "Words.", nil, nil)
		viewer := env.token(models.RoleViewer)
		camp := env.token(models.RoleCampaigner)
		sl := decode[struct{ ID string }](t, env.api("POST", "/api/v1/supporter-lists", camp, `{"name":"Network"}`).Body)

		wantAPI := func(what string, r response) {
			t.Helper()
			var body struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if r.Status != http.StatusBadRequest || json.Unmarshal([]byte(r.Body), &body) != nil || body.Error.Code != "bad_request" || body.Error.Message == "" {
				t.Errorf("%s: want 400 bad_request JSON, got %d %.300s", what, r.Status, r.Body)
			}
		}
		wantPage := func(what string, r response) {
			t.Helper()
			if r.Status != http.StatusBadRequest || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(r.Body, "NUL") {
				t.Errorf("%s: want a 400 page, got %d %s %.300s", what, r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		}

		// Paths and query parameters.
		for _, p := range []string{"/news/a%00b", "/news/%00", "/news/search?q=a%00b", "/news?country=%00", "/news/feed.atom?x=%00", "/p%00/x", "/subscribe?list=%00"} {
			wantPage("GET "+p, env.browser().get(p))
		}
		for _, p := range []string{"/api/v1/public/releases/a%00b", "/api/v1/public/releases?q=a%00b", "/api/v1/public/releases?lang=%00", "/api/v1/releases?status=%00",
			"/api/v1/releases/%00", "/api/v1/supporters?q=%00", "/api/v1/contacts?q=x%00"} {
			wantAPI("GET "+p, env.api("GET", p, viewer, ""))
		}

		// JSON bodies: the escape, a raw NUL byte, and in a key.
		for _, body := range []string{
			`{"email":"nul1@example.org","name":"a\u0000b","list_id":"` + sl.ID + `"}`,
			`{"email":"nul2@example.org","name":"a\\\u0000b"}`,
			"{\"email\":\"nul3@example.org\",\"name\":\"a\x00b\"}",
			`{"email\u0000":"nul4@example.org"}`,
		} {
			wantAPI("subscribe "+body, env.api("POST", "/api/v1/public/subscribe", "", body))
		}
		wantAPI("create list", env.api("POST", "/api/v1/supporter-lists", camp, `{"name":"x\u0000"}`))
		// A URL-encoded body nobody parsed yet (the API has no CSRF check).
		req, _ := http.NewRequest("POST", env.http.URL+"/api/v1/supporter-lists", strings.NewReader("name=x%00y"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+camp)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if wantAPI("url-encoded API body", response{Status: resp.StatusCode, Body: string(data)}); !strings.Contains(string(data), "NUL") {
			t.Errorf("url-encoded API body: %s", data)
		}
		// A backslash before u0000 is text, not a NUL: stored as written.
		if r := env.api("POST", "/api/v1/public/subscribe", "", `{"email":"text@example.org","name":"back\\u0000slash"}`); r.Status != http.StatusAccepted {
			t.Fatalf("escaped backslash = %d %s", r.Status, r.Body)
		}
		if s, err := models.SupporterByEmail(ctx, env.db.Gorm, "text@example.org"); err != nil || s.Name != `back\u0000slash` {
			t.Errorf("escaped backslash stored as %+v %v", s, err)
		}

		// Forms: URL-encoded and multipart, from a page with its CSRF token.
		b := env.browser()
		token := b.csrf("/subscribe")
		form := url.Values{"csrf_token": {token}, "email": {"form@example.org"}, "name": {"a\x00b"}, "consent": {"yes"}}
		wantPage("form post", b.do("POST", "/subscribe", form, nil))
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		_ = mw.WriteField("csrf_token", token)
		_ = mw.WriteField("email", "multipart@example.org")
		_ = mw.WriteField("name", "a\x00b")
		_ = mw.WriteField("consent", "yes")
		mw.Close()
		req, _ = http.NewRequest("POST", env.http.URL+"/subscribe", &mp)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err = b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		wantPage("multipart post", response{Status: resp.StatusCode, Body: string(data), Header: resp.Header})
		wantPage("login", b.do("POST", "/login", url.Values{"csrf_token": {b.csrf("/login")}, "email": {"admin@example.org\x00"}, "password": {testPassword}}, nil))

		var n int64
		env.db.Gorm.Model(&models.Supporter{}).Where("email LIKE ?", "%nul%").Or("email IN ?", []string{"form@example.org", "multipart@example.org"}).Count(&n)
		if n != 0 {
			t.Errorf("%d supporters stored from refused requests", n)
		}
		// The same requests without the NUL go through.
		if r := env.api("GET", "/api/v1/public/releases?q=published", "", ""); r.Status != http.StatusOK {
			t.Errorf("clean query = %d", r.Status)
		}
		form.Set("name", "Form Person")
		form.Set("csrf_token", b.csrf("/subscribe"))
		if r := b.do("POST", "/subscribe", form, nil); r.Status != http.StatusSeeOther {
			t.Errorf("clean form = %d %.300s", r.Status, r.Body)
		}
	})
}

// TestWebhookNULCleaned: SendGrid retries a post it got no 2xx for, forever, so
// a signed post with a NUL in one event's field is cleaned rather than
// refused: every event is stored, without the NUL.
func TestWebhookNULCleaned(t *testing.T) {
	signer, err := sendgridfake.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	run(t, envOptions{webhookKey: signer.PublicKey()}, func(t *testing.T, env *testEnv) {
		now := fmt.Sprint(env.clock.Now().Unix())
		events := []byte(`[{"email":"ana@example.org","timestamp":` + now + `,"event":"delivered","sg_event_id":"ev-clean"},` +
			`{"email":"bad\u0000@example.org","timestamp":` + now + `,"event":"bounce","sg_event_id":"ev-nul-email","reason":"550 \u0000 no such user"},` +
			`{"email":"ben@example.org","timestamp":` + now + `,"event":"open","sg_event_id":"ev-nul-\u0000id","useragent":"Mozilla\u0000"},` +
			"{\"email\":\"cy@example.org\",\"timestamp\":" + now + ",\"event\":\"click\",\"sg_event_id\":\"ev-raw\",\"url\":\"https://x.example/\x00\"}]")
		sig, err := signer.Sign(now, events)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", env.http.URL+"/webhooks/sendgrid", bytes.NewReader(events))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(sendgridfake.SignatureHeader, sig)
		req.Header.Set(sendgridfake.TimestampHeader, now)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook = %d %s", resp.StatusCode, body)
		}
		var stored []models.WebhookEvent
		if err := env.db.Gorm.Order("id").Find(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if len(stored) != 4 {
			t.Fatalf("%d events stored, want 4: %s", len(stored), body)
		}
		want := map[string]string{"ev-clean": "ana@example.org", "ev-nul-email": "bad@example.org", "ev-nul-id": "ben@example.org", "ev-raw": "cy@example.org"}
		for _, e := range stored {
			if want[e.SGEventID] != e.Email {
				t.Errorf("stored event %q email %q", e.SGEventID, e.Email)
			}
			if strings.Contains(e.Payload, `\u0000`) || strings.ContainsRune(e.Payload, 0) || !json.Valid([]byte(e.Payload)) {
				t.Errorf("stored payload %q", e.Payload)
			}
		}
		if !strings.Contains(stored[1].Payload, `"reason":"550  no such user"`) {
			t.Errorf("cleaned payload lost the rest of the field: %s", stored[1].Payload)
		}
	})
}
