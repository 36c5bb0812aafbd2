package app_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"pressroom/models"
)

type targetResp struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Salutation    string `json:"salutation"`
	Email         string `json:"email"`
	Country       string `json:"country"`
	PostalAddress string `json:"postal_address"`
}

// newTarget creates a target through the API.
func newTarget(t testing.TB, env *testEnv, token, body string) targetResp {
	t.Helper()
	r := env.api("POST", "/api/v1/targets", token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create target = %d %s", r.Status, r.Body)
	}
	return decode[targetResp](t, r.Body)
}

// TestTargetsDirectory: campaigners create, search, change and import
// officials; other roles are refused; bad input says what is wrong; the
// import keeps every good row and reports every bad one.
func TestTargetsDirectory(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		camp := env.token(models.RoleCampaigner)
		for _, role := range []models.Role{models.RoleViewer, models.RolePressOfficer, models.RoleApprover} {
			if r := env.api("POST", "/api/v1/targets", env.token(role), `{"name":"X","email":"x@example.gov"}`); r.Status != http.StatusForbidden {
				t.Errorf("%s create = %d, want 403", role, r.Status)
			}
		}
		minister := newTarget(t, env, camp, `{"name":"Omar Marwan","title":"Minister of Justice","organisation":"Ministry of Justice","country":"eg",
			"email":"Minister@Justice.example.gov","postal_address":"Ministry of Justice\nLazoghly Square\nCairo\nEgypt","salutation":"Your Excellency","language":"ar"}`)
		if minister.Email != "minister@justice.example.gov" || minister.Country != "EG" || minister.Salutation != "Your Excellency" {
			t.Errorf("created %+v", minister)
		}
		if r := env.api("POST", "/api/v1/targets", camp, `{"name":"","country":"Narnia"}`); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, `"name":"is required"`) || !strings.Contains(r.Body, `"country"`) || !strings.Contains(r.Body, "postal address") {
			t.Errorf("bad target = %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/targets", camp, `{"name":"Dup","email":"minister@justice.example.gov"}`); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, "another target") {
			t.Errorf("duplicate address = %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/targets", camp, `{"name":"X","email_bounced_at":null}`); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("read-only field = %d %s", r.Status, r.Body)
		}
		newTarget(t, env, camp, `{"name":"Public Prosecutor","salutation":"Dear Counsellor","country":"EG","postal_address":"Office of the Public Prosecutor\nCairo"}`)
		r := env.api("GET", "/api/v1/targets?q=justice", camp, "")
		list := decode[struct{ Items []targetResp }](t, r.Body)
		if r.Status != http.StatusOK || len(list.Items) != 1 || list.Items[0].ID != minister.ID {
			t.Errorf("search = %d %s", r.Status, r.Body)
		}
		r = env.api("PATCH", "/api/v1/targets/"+minister.ID, camp, `{"salutation":"Dear Minister"}`)
		if r.Status != http.StatusOK || decode[targetResp](t, r.Body).Salutation != "Dear Minister" {
			t.Errorf("patch = %d %s", r.Status, r.Body)
		}
		if r := env.api("PATCH", "/api/v1/targets/nope", camp, `{"name":"x"}`); r.Status != http.StatusNotFound {
			t.Errorf("patch unknown = %d", r.Status)
		}

		csv := "Name,Title,Organisation,Country,Email,Postal address,Salutation\n" +
			"Amina Diallo,Ambassador,Embassy of X,GB,amina@embassy.example.org,\"1 Embassy Row\nLondon\",Your Excellency\n" +
			"No Address,,,,not-an-email,,\n" +
			"Omar Marwan,,,EG,minister@justice.example.gov,,\n" +
			"Bad Country,,,ZZ,bad@example.org,,\n"
		r = env.api("POST", "/api/v1/targets/import", camp, csv)
		res := decode[struct {
			Imported, Updated int
			Rejected          []struct {
				Row    int
				Reason string
			}
		}](t, r.Body)
		if r.Status != http.StatusOK || res.Imported != 1 || res.Updated != 1 || len(res.Rejected) != 2 ||
			res.Rejected[0].Row != 4 || res.Rejected[0].Reason != "invalid email address" || res.Rejected[1].Row != 6 || !strings.Contains(res.Rejected[1].Reason, "country") {
			t.Fatalf("import = %d %s", r.Status, r.Body)
		}
		var amina models.Target
		if err := env.db.Gorm.Take(&amina, "email = ?", "amina@embassy.example.org").Error; err != nil || amina.PostalAddress != "1 Embassy Row\nLondon" || amina.Salutation != "Your Excellency" {
			t.Errorf("imported %+v %v", amina, err)
		}
		if r := env.api("POST", "/api/v1/targets/import", env.token(models.RoleViewer), csv); r.Status != http.StatusForbidden {
			t.Errorf("viewer import = %d", r.Status)
		}

		// The admin pages: list with search, edit, a form error in words.
		b := env.login(models.RoleCampaigner)
		page := b.get("/admin/targets?q=embassy")
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "Amina Diallo") || strings.Contains(page.Body, "Omar Marwan") {
			t.Errorf("admin search = %d", page.Status)
		}
		resp := b.post("/admin/targets/"+minister.ID, "/admin/targets/"+minister.ID, url.Values{"name": {"Omar Marwan"}, "email": {"broken"}})
		if resp.Status != http.StatusUnprocessableEntity || !strings.Contains(resp.Body, "is not a valid email address") {
			t.Errorf("bad edit = %d", resp.Status)
		}
		resp = b.post("/admin/targets/new", "/admin/targets", url.Values{"name": {"Head of Police"}, "salutation": {"Dear General"}, "postal_address": {"Police HQ"}})
		if resp.Status != http.StatusSeeOther {
			t.Errorf("admin create = %d %s", resp.Status, resp.Body)
		}
		if page := env.login(models.RoleViewer).get("/admin/targets"); page.Status != http.StatusForbidden {
			t.Errorf("viewer list = %d", page.Status)
		}

		// The import page: the file's good rows are kept, each bad one listed with its reason.
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("csrf_token", b.csrf("/admin/targets/import"))
		fw, _ := mw.CreateFormFile("file", "officials.csv")
		_, _ = fw.Write([]byte("name,email,country\nKofi Mensah,kofi@gov.example.gh,GH\nNo Email,broken,GH\n"))
		mw.Close()
		req, _ := http.NewRequest("POST", env.http.URL+"/admin/targets/import", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		up, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		report, _ := io.ReadAll(up.Body)
		up.Body.Close()
		if up.StatusCode != http.StatusOK || !regexp.MustCompile(`<strong>1</strong> new, <strong>0</strong> updated, <strong>1</strong> rejected`).Match(report) ||
			!strings.Contains(string(report), "<tr><td>3</td><td>invalid email address</td></tr>") {
			t.Errorf("import page = %d %s", up.StatusCode, report)
		}
		var kofi models.Target
		if err := env.db.Gorm.Take(&kofi, "email = ?", "kofi@gov.example.gh").Error; err != nil || kofi.Country != "GH" {
			t.Errorf("imported by the page: %+v %v", kofi, err)
		}
	})
}
