package app_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"pressroom/models"
)

// uploadPreview posts a file to a list's import preview and returns the page.
func uploadPreview(t *testing.T, env *testEnv, b *browser, base string, data []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf_token", b.csrf(base))
	fw, _ := mw.CreateFormFile("file", "people.csv")
	_, _ = fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", env.http.URL+base+"/preview", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(page)
}

// TestImportSaysWhatIsWrongInWords: an empty file says it is empty, a file
// with only a header says there is nothing to import (never "Every row was
// imported"), the mapping names fields in words, and a broken quote loses only
// its own line, named with the problem.
func TestImportSaysWhatIsWrongInWords(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		l, err := models.CreateSupporterList(context.Background(), env.db.Gorm, "Sign-ups", "")
		if err != nil {
			t.Fatal(err)
		}
		b := env.login(models.RoleCampaigner)
		base := "/admin/supporters/lists/" + l.ID + "/import"
		if _, page := uploadPreview(t, env, b, base, nil); !strings.Contains(page, "The file is empty") {
			t.Error("empty file: no message saying so")
		}
		if _, page := uploadPreview(t, env, b, base, []byte("email,name\n")); !strings.Contains(page, "The file has a header row but no rows below it") || strings.Contains(page, "Every row was imported") {
			t.Error("header-only file: no message saying there is nothing to import")
		}
		data, _ := os.ReadFile("../testdata/csv/supporters_unreadable_quote.csv")
		status, page := uploadPreview(t, env, b, base, data)
		if status != http.StatusOK || !strings.Contains(page, `<label for="map_first_name">First name</label>`) || !strings.Contains(page, `<label for="map_consent_at">Consent date</label>`) {
			t.Fatalf("preview = %d, mapping labels not in words", status)
		}
		m := regexp.MustCompile(`name="file_data" value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("preview does not carry the file")
		}
		r := b.post(base, base, url.Values{"file_data": {m[1]}, "map_email": {"0"}, "map_name": {"1"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("import = %d %s", r.Status, r.Body)
		}
		res := b.get(r.Location)
		if !strings.Contains(res.Body, "line 3: a quote (&#34;) opens a cell but does not close it") {
			t.Errorf("result does not name the broken line:\n%s", res.Body)
		}
		for _, e := range []string{"fine@example.org", "more@example.org"} {
			supporter(t, env, e)
		}
	})
}
