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

// behindProxy runs the sign-in tests behind a trusted proxy on the loopback, so
// each request can come from the address its X-Forwarded-For names.
var behindProxy = envOptions{env: map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32"}}

// signIn posts the login form from a fresh browser as if from address ip.
func signIn(env *testEnv, email, password, ip string) response {
	env.t.Helper()
	b := env.browser()
	form := url.Values{"email": {email}, "password": {password}, "csrf_token": {b.csrf("/login")}}
	return b.do(http.MethodPost, "/login", form, map[string]string{"X-Forwarded-For": ip})
}

// TestLoginSuccessesDoNotCount: an office behind one NAT signs in all day;
// only failures count towards any limit.
func TestLoginSuccessesDoNotCount(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		for i := range 3 * app.LoginFailuresPerPair {
			role := models.Roles[i%len(models.Roles)]
			if r := signIn(env, string(role)+"@example.org", testPassword, ""); r.Status != http.StatusSeeOther {
				t.Fatalf("sign-in %d as %s from the office address: status %d, want 303", i+1, role, r.Status)
			}
		}
		// A success clears its own counter: mistakes before it are forgiven.
		for round := range 3 {
			for i := range app.LoginFailuresPerPair - 1 {
				if r := signIn(env, "approver@example.org", "wrong password "+fmt.Sprint(i), ""); r.Status != http.StatusUnauthorized {
					t.Fatalf("round %d, mistake %d: status %d, want 401", round, i+1, r.Status)
				}
			}
			if r := signIn(env, "approver@example.org", testPassword, ""); r.Status != http.StatusSeeOther {
				t.Fatalf("round %d: the right password after %d mistakes: status %d, want 303", round, app.LoginFailuresPerPair-1, r.Status)
			}
		}
	})
}

// TestLoginAttackerCannotLockOutTheUser: failures from the attacker's address
// lock that address out of the account, not the user at theirs.
func TestLoginAttackerCannotLockOutTheUser(t *testing.T) {
	run(t, behindProxy, func(t *testing.T, env *testEnv) {
		for i := range app.LoginFailuresPerPair {
			if r := signIn(env, "approver@example.org", "guess "+fmt.Sprint(i), "203.0.113.9"); r.Status != http.StatusUnauthorized {
				t.Fatalf("guess %d: status %d, want 401", i+1, r.Status)
			}
		}
		r := signIn(env, "approver@example.org", testPassword, "203.0.113.9")
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Fatalf("after %d failures from one address even the right password waits: status %d (Retry-After %q), want 429", app.LoginFailuresPerPair, r.Status, r.Header.Get("Retry-After"))
		}
		if !strings.Contains(r.Body, "Too many failed sign-ins for this account from your network. Try again in 15 minutes") {
			t.Fatalf("the 429 page does not explain itself: %s", r.Body)
		}
		if r := signIn(env, "approver@example.org", testPassword, "198.51.100.20"); r.Status != http.StatusSeeOther {
			t.Fatalf("the user at their own address while the account is attacked: status %d, want 303", r.Status)
		}
		// The attacker's address may still sign in to another account...
		if r := signIn(env, "viewer@example.org", testPassword, "203.0.113.9"); r.Status != http.StatusSeeOther {
			t.Fatalf("another account from the limited address: status %d, want 303", r.Status)
		}
		// ...and its own lock ends with the window.
		env.clock.Advance(app.LoginPairWindow)
		if r := signIn(env, "approver@example.org", testPassword, "203.0.113.9"); r.Status != http.StatusSeeOther {
			t.Fatalf("after the window: status %d, want 303", r.Status)
		}
	})
}

// TestLoginAccountUnderAttackSlowsButDoesNotLock: once an account has had
// LoginFailuresPerAccount failures from many addresses, every address gets one
// wrong try per window for it; the right password at the first try still works.
func TestLoginAccountUnderAttackSlowsButDoesNotLock(t *testing.T) {
	run(t, behindProxy, func(t *testing.T, env *testEnv) {
		for i := range app.LoginFailuresPerAccount {
			ip := fmt.Sprintf("203.0.%d.%d", i/app.LoginFailuresPerPair, i%app.LoginFailuresPerPair+1)
			if r := signIn(env, "admin@example.org", "botnet guess "+fmt.Sprint(i), ip); r.Status != http.StatusUnauthorized {
				t.Fatalf("guess %d from %s: status %d, want 401", i+1, ip, r.Status)
			}
		}
		// A fresh attacking address: one wrong try, then it waits.
		if r := signIn(env, "admin@example.org", "one more guess", "192.0.2.50"); r.Status != http.StatusUnauthorized {
			t.Fatalf("first guess from a fresh address: status %d, want 401", r.Status)
		}
		r := signIn(env, "admin@example.org", "second guess", "192.0.2.50")
		if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "one wrong try per 15 minutes") {
			t.Fatalf("second guess from one address while the account is attacked: status %d, want 429 explaining why: %s", r.Status, r.Body)
		}
		// The admin, at their desk, with the right password.
		if r := signIn(env, "admin@example.org", testPassword, "198.51.100.20"); r.Status != http.StatusSeeOther {
			t.Fatalf("the right password while the account is attacked: status %d, want 303", r.Status)
		}
		// An hour later the account is calm again: a fresh address has its usual tries.
		env.clock.Advance(app.LoginAccountWindow)
		for i := range app.LoginFailuresPerPair {
			if r := signIn(env, "admin@example.org", "later guess "+fmt.Sprint(i), "192.0.2.51"); r.Status != http.StatusUnauthorized {
				t.Fatalf("after the hour, guess %d: status %d, want 401", i+1, r.Status)
			}
		}
	})
}

// TestLoginAddressSprayingIsLimited: one address trying a password across many
// accounts is stopped after LoginFailuresPerAddress failures, for every account.
func TestLoginAddressSprayingIsLimited(t *testing.T) {
	run(t, behindProxy, func(t *testing.T, env *testEnv) {
		for i := range app.LoginFailuresPerAddress {
			if r := signIn(env, fmt.Sprintf("staff%d@example.org", i), "Summer2026!", "203.0.113.77"); r.Status != http.StatusUnauthorized {
				t.Fatalf("spray %d: status %d, want 401", i+1, r.Status)
			}
		}
		r := signIn(env, "viewer@example.org", testPassword, "203.0.113.77")
		if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "Too many failed sign-ins from your network") {
			t.Fatalf("after spraying, any account from that address: status %d, want 429: %s", r.Status, r.Body)
		}
		if r := signIn(env, "viewer@example.org", testPassword, "198.51.100.20"); r.Status != http.StatusSeeOther {
			t.Fatalf("the same account from another address: status %d, want 303", r.Status)
		}
		// IPv6 clients are counted by their /64: a new address in the same
		// network is the same client.
		for i := range app.LoginFailuresPerAddress {
			signIn(env, fmt.Sprintf("v6staff%d@example.org", i), "Summer2026!", fmt.Sprintf("2001:db8:1:2::%x", i+1))
		}
		if r := signIn(env, "viewer@example.org", testPassword, "2001:db8:1:2:ffff::1"); r.Status != http.StatusTooManyRequests {
			t.Fatalf("a fresh address in a spraying /64: status %d, want 429", r.Status)
		}
	})
}
