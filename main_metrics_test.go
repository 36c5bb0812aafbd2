package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// lockedBuffer is an io.Writer the running process and the test may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func get(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsAddr runs web, worker and dev through run, as main does, with
// METRICS_ADDR set: each serves its metrics on that address (behind
// METRICS_TOKEN), and the public listener does not.
func TestMetricsAddr(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the processes")
	}
	const token = "metrics-address-token-0123456789"
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dbURL := dbtest.NewURL(t, d)
			for _, cmd := range []string{"web", "worker", "dev"} {
				t.Run(cmd, func(t *testing.T) {
					port, mport := freePort(t), freePort(t)
					env := envFrom(map[string]string{"DATABASE_URL": dbURL, "PORT": fmt.Sprint(port), "BASE_URL": fmt.Sprintf("http://localhost:%d", port),
						"SESSION_SECRET": strings.Repeat("m", 40), "METRICS_ADDR": fmt.Sprintf("127.0.0.1:%d", mport), "METRICS_TOKEN": token})
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					var out lockedBuffer
					done := make(chan error, 1)
					go func() { done <- run(ctx, []string{cmd}, env, &out) }()
					metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", mport)
					deadline := time.Now().Add(30 * time.Second)
					for {
						if status, _ := get(t, metricsURL, token); status == http.StatusOK {
							break
						}
						select {
						case err := <-done:
							t.Fatalf("%s exited: %v\n%s", cmd, err, out.String())
						default:
						}
						if time.Now().After(deadline) {
							t.Fatalf("%s never served %s\n%s", cmd, metricsURL, out.String())
						}
						time.Sleep(50 * time.Millisecond)
					}
					if cmd != "worker" {
						publicURL := fmt.Sprintf("http://localhost:%d", port)
						if status, _ := get(t, publicURL+"/healthz", ""); status != http.StatusOK {
							t.Fatalf("public /healthz = %d", status)
						}
						if status, _ := get(t, publicURL+"/metrics", token); status != http.StatusNotFound {
							t.Errorf("public /metrics = %d, want 404 when METRICS_ADDR is set", status)
						}
					}
					status, body := get(t, metricsURL, token)
					if status != http.StatusOK || !strings.Contains(body, "go_goroutines") {
						t.Errorf("metrics address = %d", status)
					}
					if cmd != "worker" && !strings.Contains(body, `route="/healthz",status="200"`) {
						t.Errorf("%s: metrics address lacks the web requests", cmd)
					}
					if status, _ := get(t, metricsURL, ""); status != http.StatusUnauthorized {
						t.Errorf("metrics address without the token = %d, want 401", status)
					}
					cancel()
					select {
					case err := <-done:
						if err != nil {
							t.Fatalf("%s: %v", cmd, err)
						}
					case <-time.After(30 * time.Second):
						t.Fatalf("%s did not stop", cmd)
					}
					if status, _ := get(t, metricsURL, token); status != 0 {
						t.Errorf("metrics address still answers after shutdown: %d", status)
					}
					if cmd == "dev" && !strings.Contains(out.String(), "Metrics: "+metricsURL) {
						t.Errorf("dev banner does not say where metrics are:\n%s", out.String())
					}
				})
			}
		})
	}
}

// TestMetricsAddrInUse checks that a METRICS_ADDR that cannot be listened on
// stops the process with the variable named.
func TestMetricsAddrInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dbURL := dbtest.NewURL(t, models.SQLite)
	port := freePort(t)
	env := envFrom(map[string]string{"DATABASE_URL": dbURL, "PORT": fmt.Sprint(port), "BASE_URL": fmt.Sprintf("http://localhost:%d", port),
		"SESSION_SECRET": strings.Repeat("m", 40), "METRICS_ADDR": l.Addr().String()})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = run(ctx, []string{"web"}, env, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Fatalf("web with METRICS_ADDR in use: %v", err)
	}
}
