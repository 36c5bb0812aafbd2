package app_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"pressroom/models"
)

// TestCursorOutOfRange: a cursor this API could never have issued (an offset past
// any archive, a negative one, a key with a NUL byte or broken UTF-8) is a 400
// validation_failed naming the cursor field, on every list, never a page with a
// negative next_cursor or a database error. A genuine next_cursor still pages.
func TestCursorOutOfRange(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		for i := range 3 {
			env.publish(t, "Published release "+strconv.Itoa(i), "Words.", nil, nil)
		}
		viewer := env.token(models.RoleViewer)
		b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		bad := []string{
			"9223372036854775807",
			b64("9223372036854775807"),
			b64("9223372036854775806"),
			b64("18446744073709551616"),
			b64("-1"),
			b64("2147483648"),
			b64("1e3"),
			"!!!",
		}
		for _, cur := range bad {
			r := env.api("GET", "/api/v1/public/releases?limit=2&cursor="+cur, "", "")
			assertBadCursor(t, "public releases cursor "+cur, r)
		}
		// Key cursors (staff lists) carry text: a NUL or broken UTF-8 inside the
		// base64 never reaches the database.
		for _, path := range []string{"/api/v1/releases", "/api/v1/contacts", "/api/v1/supporters", "/api/v1/sends"} {
			for _, key := range []string{"a\x00b", "\xff\xfe", strings.Repeat("k", 2000)} {
				r := env.api("GET", path+"?cursor="+b64(key), env.token(models.RoleAdmin), "")
				assertBadCursor(t, path+" cursor "+strconv.Quote(key), r)
			}
		}

		// A cursor the API issued still works, and the last page ends the list.
		r := env.api("GET", "/api/v1/public/releases?limit=2", "", "")
		var page struct {
			Items      []map[string]any `json:"items"`
			NextCursor *string          `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(r.Body), &page); err != nil || r.Status != http.StatusOK || page.NextCursor == nil {
			t.Fatalf("first page: %d %s", r.Status, r.Body)
		}
		r = env.api("GET", "/api/v1/public/releases?limit=2&cursor="+*page.NextCursor, viewer, "")
		page.NextCursor = nil
		if err := json.Unmarshal([]byte(r.Body), &page); err != nil || r.Status != http.StatusOK || len(page.Items) != 1 || page.NextCursor != nil {
			t.Fatalf("second page: %d %s", r.Status, r.Body)
		}
		// A key past the end of the archive is an empty last page.
		r = env.api("GET", "/api/v1/public/releases?limit=2&cursor="+b64("0~zzzz"), "", "")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `"next_cursor":null`) || !strings.Contains(r.Body, `"items":[]`) {
			t.Fatalf("offset past the end: %d %s", r.Status, r.Body)
		}
	})
}

func assertBadCursor(t *testing.T, what string, r response) {
	t.Helper()
	var body struct {
		Error struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	if r.Status != http.StatusBadRequest || json.Unmarshal([]byte(r.Body), &body) != nil || body.Error.Code != "validation_failed" || body.Error.Fields["cursor"] == "" {
		t.Errorf("%s: want 400 validation_failed naming cursor, got %d %.200s", what, r.Status, r.Body)
	}
}
