package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

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
		for i := range 2 * app.LoginFailuresPerPair {
			role := models.Roles[i%len(models.Roles)]
			if r := signIn(env, string(role)+"@example.org", testPassword, ""); r.Status != http.StatusSeeOther {
				t.Fatalf("sign-in %d as %s from the office address: status %d, want 303", i+1, role, r.Status)
			}
		}
		// A success clears its own counter: mistakes before it are forgiven.
		for round := range 2 {
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

// guard is a LoginGuard on a test clock: the rules without the cost of
// checking passwords, which the handler tests above pay for.
func guard() (*app.LoginGuard, *models.FixedClock) {
	clock := &models.FixedClock{T: time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)}
	return app.NewLoginGuard(clock.Now), clock
}

// try begins an attempt and, if it was allowed, reports it as a failure (by
// not calling Succeeded) or a success.
func try(t *testing.T, g *app.LoginGuard, email, ip string, ok bool) *app.LoginRefused {
	t.Helper()
	a, refused, err := g.Begin(context.Background(), email, ip)
	if err != nil {
		t.Fatal(err)
	}
	if refused == nil && ok {
		if err := a.Succeeded(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return refused
}

// TestLoginAccountUnderAttackSlowsButDoesNotLock: once an account has had
// LoginFailuresPerAccount failures from many addresses, every address gets one
// wrong try per window for it; the right password at the first try still works.
func TestLoginAccountUnderAttackSlowsButDoesNotLock(t *testing.T) {
	g, clock := guard()
	for i := range app.LoginFailuresPerAccount {
		ip := fmt.Sprintf("203.0.%d.%d", i/app.LoginFailuresPerPair, i%app.LoginFailuresPerPair+1)
		if r := try(t, g, "admin@example.org", ip, false); r != nil {
			t.Fatalf("guess %d from %s refused: %s", i+1, ip, r.Message)
		}
	}
	if r := try(t, g, "admin@example.org", "192.0.2.50", false); r != nil {
		t.Fatalf("first guess from a fresh address refused: %s", r.Message)
	}
	r := try(t, g, "admin@example.org", "192.0.2.50", false)
	if r == nil || !strings.Contains(r.Message, "each network gets one wrong try per 15 minutes. Try again in 15 minutes") {
		t.Fatalf("second guess from one address while the account is attacked: %+v, want refused with the reason", r)
	}
	// Refused attempts are not failures: they do not extend anything.
	for range 10 {
		try(t, g, "admin@example.org", "192.0.2.50", false)
	}
	if r := try(t, g, "admin@example.org", "198.51.100.20", true); r != nil {
		t.Fatalf("the owner's first try from their own address: %s", r.Message)
	}
	if r := try(t, g, "viewer@example.org", "192.0.2.50", true); r != nil {
		t.Fatalf("another account from the attacking address: %s", r.Message)
	}
	// An hour later the account is calm: a fresh address has its usual tries.
	clock.Advance(app.LoginAccountWindow)
	for i := range app.LoginFailuresPerPair {
		if r := try(t, g, "admin@example.org", "192.0.2.51", false); r != nil {
			t.Fatalf("after the hour, guess %d refused: %s", i+1, r.Message)
		}
	}
}

// TestLoginAddressSprayingIsLimited: one address trying a password across many
// accounts is stopped after LoginFailuresPerAddress failures, for every
// account; IPv6 clients count by their /64.
func TestLoginAddressSprayingIsLimited(t *testing.T) {
	g, clock := guard()
	for i := range app.LoginFailuresPerAddress {
		if r := try(t, g, fmt.Sprintf("staff%d@example.org", i), "203.0.113.77", false); r != nil {
			t.Fatalf("spray %d refused: %s", i+1, r.Message)
		}
	}
	r := try(t, g, "viewer@example.org", "203.0.113.77", true)
	if r == nil || r.Message != "Too many failed sign-ins from your network. Try again in 15 minutes." || r.Wait != app.LoginAddressWindow {
		t.Fatalf("after spraying, any account from that address: %+v", r)
	}
	if r := try(t, g, "viewer@example.org", "198.51.100.20", true); r != nil {
		t.Fatalf("the same account from another address: %s", r.Message)
	}
	for i := range app.LoginFailuresPerAddress {
		try(t, g, fmt.Sprintf("v6staff%d@example.org", i), fmt.Sprintf("2001:db8:1:2::%x", i+1), false)
	}
	if r := try(t, g, "viewer@example.org", "2001:db8:1:2:ffff::1", true); r == nil {
		t.Fatal("a fresh address in a spraying /64 was let through")
	}
	if r := try(t, g, "viewer@example.org", "2001:db8:1:3::1", true); r != nil {
		t.Fatalf("the next /64: %s", r.Message)
	}
	clock.Advance(app.LoginAddressWindow)
	if r := try(t, g, "viewer@example.org", "203.0.113.77", true); r != nil {
		t.Fatalf("after the window: %s", r.Message)
	}
}

// TestLoginParallelAttemptsCannotOverrunTheLimit: attempts count when they
// begin, so a burst of simultaneous guesses from one pair gets no more than the
// limit checked.
func TestLoginParallelAttemptsCannotOverrunTheLimit(t *testing.T) {
	g, _ := guard()
	allowed := 0
	for range 3 * app.LoginFailuresPerPair { // all begun before any finishes
		if _, refused, err := g.Begin(context.Background(), "admin@example.org", "203.0.113.9"); err != nil {
			t.Fatal(err)
		} else if refused == nil {
			allowed++
		}
	}
	if allowed != app.LoginFailuresPerPair {
		t.Fatalf("%d simultaneous attempts checked, want %d", allowed, app.LoginFailuresPerPair)
	}
}
