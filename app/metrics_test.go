package app_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"pressroom/app"
	"pressroom/jobs"
	"pressroom/models"
	"pressroom/models/dbtest"
)

const testMetricsToken = "metrics-token-for-tests-0123456789"

// metricsServer builds a server whose configuration comes from vars, and serves
// its public handler.
func metricsServer(t *testing.T, db *models.DB, vars map[string]string) (*app.Server, *httptest.Server) {
	t.Helper()
	cfg, err := app.LoadConfig(func(k string) string { return vars[k] }, app.ModeDev)
	if err != nil {
		t.Fatal(err)
	}
	client, err := jobs.NewClient(db, river.NewWorkers(), jobs.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := app.New(app.Deps{Config: cfg, DB: db, Jobs: client})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

// scrape GETs a metrics URL with an optional bearer token.
func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsLabelsAreBounded sends 1,000 requests with invented methods and
// paths: the metrics output must not grow with them (it grew to 27.7 MB after
// 20,000 such requests when every method became a label value).
func TestMetricsLabelsAreBounded(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		_, ts := metricsServer(t, db, map[string]string{"METRICS_TOKEN": testMetricsToken})
		for _, p := range []string{"/news", "/login", "/nope"} {
			resp, err := http.Get(ts.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		_, before := scrape(t, ts.URL+"/metrics", testMetricsToken)
		rng := rand.New(rand.NewPCG(1, 2))
		letters := "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		word := func(n int) string {
			b := make([]byte, n)
			for i := range b {
				b[i] = letters[rng.IntN(len(letters))]
			}
			return string(b)
		}
		paths := []string{"/news", "/login", "/admin", "/news/x", "/api/v1/releases"}
		for i := range 1000 {
			method := word(3 + rng.IntN(6))
			if i%4 == 0 {
				method = http.MethodGet
			}
			path := paths[rng.IntN(len(paths))]
			if i%2 == 0 {
				path = "/" + strings.ToLower(word(5)) + "/" + fmt.Sprint(i)
			}
			req, _ := http.NewRequest(method, ts.URL+path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		status, after := scrape(t, ts.URL+"/metrics", testMetricsToken)
		if status != http.StatusOK {
			t.Fatalf("/metrics = %d", status)
		}
		series := func(s string) int { return strings.Count(s, "pressroom_http_request_duration_seconds_count{") }
		// A handful of new series is fine (OTHER and GET on unmatched routes, the
		// redirect of /admin...); one per invented method or path is not.
		if grown := series(after) - series(before); grown > 12 {
			t.Errorf("1,000 odd requests added %d request series", grown)
		}
		if grown := len(after) - len(before); grown > 24_000 {
			t.Errorf("1,000 odd requests grew /metrics by %d bytes (%d → %d)", grown, len(before), len(after))
		}
		if !strings.Contains(after, `method="OTHER",route="unmatched",status="404"`) {
			t.Error("invented methods are not counted as OTHER on unmatched routes")
		}
	})
}

// TestMetricsAccess checks who may read /metrics: nobody on the public listener
// unless METRICS_TOKEN is set (then only with it), and never on the public
// listener once metrics have their own address (METRICS_ADDR), where
// MetricsHandler serves them.
func TestMetricsAccess(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		// Neither configured: 404, as for any page that does not exist.
		_, ts := metricsServer(t, db, nil)
		if status, body := scrape(t, ts.URL+"/metrics", ""); status != http.StatusNotFound || strings.Contains(body, "go_goroutines") {
			t.Errorf("unconfigured /metrics = %d", status)
		}
		if status, _ := scrape(t, ts.URL+"/metrics", testMetricsToken); status != http.StatusNotFound {
			t.Errorf("unconfigured /metrics with a token = %d", status)
		}

		// A token: 401 without it or with another, 200 with it.
		_, ts = metricsServer(t, db, map[string]string{"METRICS_TOKEN": testMetricsToken})
		for _, tok := range []string{"", "wrong", testMetricsToken + "x", testMetricsToken[:len(testMetricsToken)-1]} {
			status, body := scrape(t, ts.URL+"/metrics", tok)
			if status != http.StatusUnauthorized || strings.Contains(body, "go_goroutines") {
				t.Errorf("/metrics with token %q = %d, want 401", tok, status)
			}
		}
		if resp, err := http.Get(ts.URL + "/login"); err == nil {
			resp.Body.Close()
		}
		status, body := scrape(t, ts.URL+"/metrics", testMetricsToken)
		if status != http.StatusOK || !strings.Contains(body, `pressroom_http_request_duration_seconds_count{method="GET",route="/login",status="200"} 1`) {
			t.Errorf("/metrics with the token = %d, lacks the login request", status)
		}

		// Their own address: the public listener never serves them, the
		// metrics handler does (behind the token when one is set too).
		for _, vars := range []map[string]string{
			{"METRICS_ADDR": "127.0.0.1:9090"},
			{"METRICS_ADDR": "127.0.0.1:9090", "METRICS_TOKEN": testMetricsToken},
		} {
			s, ts := metricsServer(t, db, vars)
			if status, _ := scrape(t, ts.URL+"/metrics", testMetricsToken); status != http.StatusNotFound {
				t.Errorf("%v: public /metrics = %d, want 404", vars, status)
			}
			ms := httptest.NewServer(s.MetricsHandler())
			t.Cleanup(ms.Close)
			status, body := scrape(t, ms.URL+"/metrics", vars["METRICS_TOKEN"])
			if status != http.StatusOK || !strings.Contains(body, "pressroom_http_request_duration_seconds_count") {
				t.Errorf("%v: metrics address /metrics = %d", vars, status)
			}
			if vars["METRICS_TOKEN"] != "" {
				if status, _ := scrape(t, ms.URL+"/metrics", ""); status != http.StatusUnauthorized {
					t.Errorf("%v: metrics address without the token = %d, want 401", vars, status)
				}
			}
			if status, _ := scrape(t, ms.URL+"/news", ""); status != http.StatusNotFound {
				t.Errorf("%v: the metrics address serves /news: %d", vars, status)
			}
		}
	})
}

// TestMetricsConfig checks the two settings are validated with a clear reason.
func TestMetricsConfig(t *testing.T) {
	for _, c := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"METRICS_TOKEN": "short"}, "METRICS_TOKEN is too short"},
		{map[string]string{"METRICS_ADDR": "9090"}, "METRICS_ADDR must be host:port"},
		{map[string]string{"METRICS_ADDR": "127.0.0.1:http"}, "METRICS_ADDR must be host:port"},
		{map[string]string{"METRICS_ADDR": "127.0.0.1:70000"}, "METRICS_ADDR must be host:port"},
	} {
		_, err := app.LoadConfig(func(k string) string { return c.vars[k] }, app.ModeDev)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.vars, err, c.want)
		}
	}
	cfg, err := app.LoadConfig(func(k string) string {
		return map[string]string{"METRICS_ADDR": "127.0.0.1:9090", "METRICS_TOKEN": testMetricsToken}[k]
	}, app.ModeDev)
	if err != nil || cfg.MetricsAddr != "127.0.0.1:9090" || cfg.MetricsToken != testMetricsToken {
		t.Fatalf("valid metrics config: %+v %v", cfg, err)
	}
}
