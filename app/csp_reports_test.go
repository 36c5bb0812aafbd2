package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// postReport sends a report body the way a browser does: no cookie, no CSRF
// token.
func (e *testEnv) postReport(contentType, body string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.http.URL+"/csp-reports", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Mozilla/5.0 (TestBrowser)")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: string(data), Header: resp.Header}
}

func cspReportRows(t *testing.T, env *testEnv) []models.CSPReport {
	t.Helper()
	var rs []models.CSPReport
	if err := env.db.Gorm.Order("id").Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	return rs
}

const legacyReport = `{"csp-report":{"document-uri":"http://127.0.0.1/news/arms","referrer":"","violated-directive":"script-src-elem","effective-directive":"script-src-elem","original-policy":"default-src 'self'","blocked-uri":"inline","status-code":200}}`

// TestCSPHeaderPointsAtReportEndpoint: every page's policy reports to
// Pressroom's own endpoint, in both the report-uri and report-to forms.
func TestCSPHeaderPointsAtReportEndpoint(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		want := env.cfg.BaseURL.String() + "/csp-reports"
		for _, path := range []string{"/news", "/login", "/admin"} {
			r := env.login(models.RoleAdmin).get(path)
			csp := r.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "report-uri "+want) || !strings.Contains(csp, "report-to csp-endpoint") {
				t.Errorf("%s: CSP %q does not report to %s", path, csp, want)
			}
			if !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("%s: CSP %q lost its script rule", path, csp)
			}
			if ep := r.Header.Get("Reporting-Endpoints"); ep != `csp-endpoint="`+want+`"` {
				t.Errorf("%s: Reporting-Endpoints %q", path, ep)
			}
		}
	})
}

// TestCSPReportsStored: both report formats browsers send are stored with
// their page, directive, blocked address and browser; NULs are cleaned out and
// what is not a report is refused.
func TestCSPReportsStored(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		if r := env.postReport("application/csp-report", legacyReport); r.Status != http.StatusNoContent {
			t.Fatalf("legacy report: %d %s", r.Status, r.Body)
		}
		modern := `[{"type":"csp-violation","age":10,"url":"http://127.0.0.1/p/x","user_agent":"Mozilla/5.0 (Reporter)",` +
			`"body":{"documentURL":"http://127.0.0.1/p/x","effectiveDirective":"img-src","blockedURL":"http://evil.example/\u0000pixel.gif","disposition":"enforce"}},` +
			`{"type":"deprecation","url":"http://127.0.0.1/","body":{"id":"x"}}]`
		if r := env.postReport("application/reports+json", modern); r.Status != http.StatusNoContent {
			t.Fatalf("reporting API report: %d %s", r.Status, r.Body)
		}
		rs := cspReportRows(t, env)
		if len(rs) != 2 {
			t.Fatalf("stored %d reports, want 2: %+v", len(rs), rs)
		}
		if r := rs[0]; r.DocumentURI != "http://127.0.0.1/news/arms" || r.ViolatedDirective != "script-src-elem" || r.BlockedURI != "inline" ||
			r.UserAgent != "Mozilla/5.0 (TestBrowser)" || !r.At.Equal(env.clock.Now()) {
			t.Errorf("legacy report stored as %+v", r)
		}
		if r := rs[1]; r.DocumentURI != "http://127.0.0.1/p/x" || r.ViolatedDirective != "img-src" || r.BlockedURI != "http://evil.example/pixel.gif" ||
			r.UserAgent != "Mozilla/5.0 (Reporter)" {
			t.Errorf("reporting API report stored as %+v", r)
		}
		for _, bad := range []struct{ ct, body string }{
			{"application/csp-report", `{"something":"else"}`},
			{"application/csp-report", `not json`},
			{"application/reports+json", `[{"type":"deprecation","body":{}}]`},
		} {
			if r := env.postReport(bad.ct, bad.body); r.Status != http.StatusBadRequest {
				t.Errorf("%s %q: %d, want 400", bad.ct, bad.body, r.Status)
			}
		}
		if r := env.postReport("text/plain", legacyReport); r.Status != http.StatusUnsupportedMediaType {
			t.Errorf("text/plain: %d, want 415", r.Status)
		}
		if n := len(cspReportRows(t, env)); n != 2 {
			t.Fatalf("refused reports stored: %d rows", n)
		}
	})
}

// TestCSPReportSizeLimit: a body over 16 KB is refused with 413 and nothing
// is stored.
func TestCSPReportSizeLimit(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		big := `{"csp-report":{"document-uri":"http://127.0.0.1/","violated-directive":"script-src","blocked-uri":"` + strings.Repeat("a", 17<<10) + `"}}`
		if r := env.postReport("application/csp-report", big); r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("17 KB report: %d, want 413", r.Status)
		}
		if n := len(cspReportRows(t, env)); n != 0 {
			t.Fatalf("oversized report stored (%d rows)", n)
		}
		// Just under the limit is fine; long fields are cut, not refused.
		ok := `{"csp-report":{"document-uri":"http://127.0.0.1/","violated-directive":"script-src","blocked-uri":"` + strings.Repeat("é", 7<<10) + `"}}`
		if r := env.postReport("application/csp-report", ok); r.Status != http.StatusNoContent {
			t.Fatalf("15 KB report: %d %s", r.Status, r.Body)
		}
		if rs := cspReportRows(t, env); len(rs) != 1 || len(rs[0].BlockedURI) > 1024 || !strings.HasPrefix(rs[0].BlockedURI, "éé") {
			t.Fatalf("long field stored as %d bytes", len(rs[0].BlockedURI))
		}
	})
}

// TestCSPReportRateLimit: one address may report 30 times a minute; the rest
// get 429 with Retry-After and are not stored, until the minute is over.
func TestCSPReportRateLimit(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		for i := range 30 {
			if r := env.postReport("application/csp-report", legacyReport); r.Status != http.StatusNoContent {
				t.Fatalf("report %d: %d", i+1, r.Status)
			}
		}
		r := env.postReport("application/csp-report", legacyReport)
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Fatalf("31st report: %d (Retry-After %q), want 429", r.Status, r.Header.Get("Retry-After"))
		}
		if n := len(cspReportRows(t, env)); n != 30 {
			t.Fatalf("stored %d reports, want 30", n)
		}
		env.clock.Set(env.clock.Now().Add(61 * time.Second))
		if r := env.postReport("application/csp-report", legacyReport); r.Status != http.StatusNoContent {
			t.Fatalf("after the window: %d", r.Status)
		}
	})
}

// TestCSPReportsListedForAdminsOnly: admins see the reports (linked from
// Settings); every other role gets 403 and nobody signed in goes to sign-in.
func TestCSPReportsListedForAdminsOnly(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		if r := env.postReport("application/csp-report", strings.Replace(legacyReport, "/news/arms", "/news/<script>alert(1)</script>", 1)); r.Status != http.StatusNoContent {
			t.Fatalf("report: %d", r.Status)
		}
		admin := env.login(models.RoleAdmin)
		if r := admin.get("/admin/settings"); !strings.Contains(r.Body, `href="/admin/csp-reports"`) {
			t.Error("settings page does not link to the CSP reports")
		}
		r := admin.get("/admin/csp-reports")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "script-src-elem") || !strings.Contains(r.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Fatalf("admin listing: %d\n%s", r.Status, r.Body)
		}
		if strings.Contains(r.Body, "<script>alert(1)") {
			t.Fatal("a reported address was not escaped")
		}
		for _, role := range []models.Role{models.RolePressOfficer, models.RoleApprover, models.RoleCampaigner, models.RoleViewer} {
			if r := env.login(role).get("/admin/csp-reports"); r.Status != http.StatusForbidden || strings.Contains(r.Body, "script-src-elem") {
				t.Errorf("%s: %d, want 403 without the reports", role, r.Status)
			}
		}
		if r := env.browser().get("/admin/csp-reports"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
			t.Errorf("anonymous: %d %q, want a redirect to sign-in", r.Status, r.Location)
		}
	})
}
