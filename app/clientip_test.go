package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/app"
	"pressroom/models"
)

// failLogin posts a wrong password for email with an X-Forwarded-For header, as
// a client rotating forged addresses would.
func failLogin(b *browser, email, forwardedFor string) response {
	b.env.t.Helper()
	form := url.Values{"email": {email}, "password": {"not the password at all"}, "csrf_token": {b.csrf("/login")}}
	return b.do(http.MethodPost, "/login", form, map[string]string{"X-Forwarded-For": forwardedFor})
}

// auditIPs lists the IP of every failed sign-in in the audit log, oldest first.
func auditIPs(t *testing.T, env *testEnv) []string {
	t.Helper()
	var ips []string
	if err := env.db.Gorm.Model(&models.AuditEvent{}).Where("action = ?", models.ActionLoginFailed).Order("at, id").Pluck("ip", &ips).Error; err != nil {
		t.Fatal(err)
	}
	return ips
}

// TestForwardedForFromUntrustedPeerIsIgnored: without TRUSTED_PROXIES, a forged
// X-Forwarded-For neither escapes the sign-in limit of the real address nor
// reaches the audit log or a subscriber's consent record.
func TestForwardedForFromUntrustedPeerIsIgnored(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		b := env.browser()
		attempts := app.LoginFailuresPerPair + 1
		var last response
		for i := range attempts {
			last = failLogin(b, "admin@example.org", fmt.Sprintf("203.0.113.%d", i+1))
		}
		if last.Status != http.StatusTooManyRequests {
			t.Fatalf("attempt %d with a fresh forged address each time: status %d, want 429 (the limit must see the real peer)", attempts, last.Status)
		}
		for _, ip := range auditIPs(t, env) {
			if ip != "127.0.0.1" {
				t.Fatalf("audit log recorded the forged address %q, want the peer 127.0.0.1", ip)
			}
		}

		req, _ := http.NewRequest(http.MethodPost, env.http.URL+"/api/v1/public/subscribe", strings.NewReader(`{"email":"someone@example.org"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "198.51.100.7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("subscribe: %d", resp.StatusCode)
		}
		var ip string
		env.db.Gorm.Model(&models.ConsentRecord{}).Order("at DESC").Limit(1).Pluck("ip", &ip)
		if ip != "127.0.0.1" {
			t.Fatalf("consent record IP = %q, want the peer 127.0.0.1", ip)
		}
	})
}

// TestForwardedForFromTrustedProxyIsUsed: behind a proxy listed in
// TRUSTED_PROXIES the client's address comes from X-Forwarded-For, so people
// behind it are limited and audited one by one.
func TestForwardedForFromTrustedProxyIsUsed(t *testing.T) {
	run(t, envOptions{env: map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1/32"}}, func(t *testing.T, env *testEnv) {
		b := env.browser()
		attempts := app.LoginFailuresPerPair + 1
		var want []string
		for i := range attempts {
			ip := fmt.Sprintf("203.0.113.%d", i+1)
			want = append(want, ip)
			// The proxy appends the address it saw to whatever the client sent.
			if r := failLogin(b, "admin@example.org", "192.0.2.66, "+ip); r.Status != http.StatusUnauthorized {
				t.Fatalf("attempt %d from its own address %s: status %d, want 401", i+1, ip, r.Status)
			}
		}
		got := auditIPs(t, env)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("audit IPs = %v, want the forwarded client addresses %v", got, want)
		}
	})
}
