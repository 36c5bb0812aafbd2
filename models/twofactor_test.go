package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"pressroom/models"
	"pressroom/models/dbtest"
)

func TestParseScopes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want, err string }{
		{"", "write", ""},
		{"read", "read", ""},
		{"WRITE", "write", ""},
		{"read,releases", "read releases", ""},
		{"sends write releases sends", "write releases sends", ""},
		{"petitions+actions", "write petitions actions", ""},
		{"read,write", "", "either read or write"},
		{"admin", "", `"admin" is not a scope`},
	} {
		got, err := models.ParseScopes(c.in)
		var ve *models.ValidationError
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("ParseScopes(%q) = %q, %v; want %q", c.in, got, err, c.want)
		case c.err != "" && (!errors.As(err, &ve) || !strings.Contains(ve.Fields["scope"], c.err)):
			t.Errorf("ParseScopes(%q) error = %v; want %q", c.in, err, c.err)
		}
	}
	read := models.APIToken{Scopes: "read"}
	sends := models.APIToken{Scopes: "write sends"}
	for _, c := range []struct {
		tok         models.APIToken
		area        string
		write, want bool
	}{
		{read, models.AreaReleases, false, true},
		{read, models.AreaReleases, true, false},
		{read, "", true, false},
		{sends, models.AreaSends, true, true},
		{sends, models.AreaReleases, false, false},
		{sends, "", false, true},
		{sends, "unmapped", false, false},
		{models.APIToken{}, "unmapped", true, true}, // tokens from before scopes: write, every area
	} {
		if got := c.tok.Allows(c.area, c.write); got != c.want {
			t.Errorf("%q.Allows(%q, write=%v) = %v", c.tok.Scopes, c.area, c.write, got)
		}
	}
}

func TestDeviceLabelAndPrefix(t *testing.T) {
	t.Parallel()
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                "Firefox on Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0": "Edge on Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15":    "Safari on macOS",
		"curl/8.5.0": "curl",
		"":           "Unknown device",
	} {
		if got := models.DeviceLabel(ua); got != want {
			t.Errorf("DeviceLabel(%q) = %q, want %q", ua, got, want)
		}
	}
	if models.DevicePrefix("203.0.113.7") != models.DevicePrefix("203.0.113.200") || models.DevicePrefix("203.0.113.7") == models.DevicePrefix("203.0.114.7") {
		t.Error("IPv4 devices are not recognised by their /24")
	}
	if models.DevicePrefix("2001:db8:1:2::1") != models.DevicePrefix("2001:db8:1:ffff::9") {
		t.Error("IPv6 devices are not recognised by their /48")
	}
}

func TestSecretBoxRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := make([]byte, 32), make([]byte, 32)
	newKey[0] = 1
	sealed, err := models.SecretBox{Keys: [][]byte{oldKey}}.Seal("JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := (models.SecretBox{Keys: [][]byte{newKey, oldKey}}).Open(sealed); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open with the previous key: %q %v", got, err)
	}
	if _, err := (models.SecretBox{Keys: [][]byte{newKey}}).Open(sealed); err == nil {
		t.Fatal("opened with the wrong key")
	}
}

// TestTOTPCodeAcceptedOnce checks the replay guard in models: a code is good
// once in its window, even when two requests race with it.
func TestTOTPCodeAcceptedOnce(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		box := models.SecretBox{Keys: [][]byte{make([]byte, 32)}}
		u, err := models.CreateUser(ctx, db.Gorm, models.NewUserInput{Email: "totp@example.org", Name: "T", Role: models.RoleViewer, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		key, err := models.BeginTOTPEnrolment(ctx, db.Gorm, box, u, "Pressroom", now)
		if err != nil {
			t.Fatal(err)
		}
		code := func(at time.Time) string {
			c, _ := totp.GenerateCodeCustom(key.Secret(), at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
			return c
		}
		codes, err := models.ConfirmTOTP(ctx, db.Gorm, box, u.ID, code(now), "", now)
		if err != nil || len(codes) != 10 {
			t.Fatalf("confirm: %v", err)
		}
		if _, err := models.VerifySecondFactor(ctx, db.Gorm, box, u.ID, code(now), now.Add(10*time.Second)); !errors.Is(err, models.ErrCodeReused) {
			t.Fatalf("the confirming code again: %v", err)
		}
		// A code one step old is still good once (clock drift); two steps is not.
		later := now.Add(2 * time.Minute)
		if _, err := models.VerifySecondFactor(ctx, db.Gorm, box, u.ID, code(later.Add(-90*time.Second)), later); !errors.Is(err, models.ErrWrongCode) {
			t.Fatalf("a code three steps old: %v", err)
		}
		next := code(later)
		var wg sync.WaitGroup
		results := make([]error, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = models.VerifySecondFactor(ctx, db.Gorm, box, u.ID, next, later)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range results {
			if err == nil {
				ok++
			} else if !errors.Is(err, models.ErrCodeReused) && db.Dialect == models.Postgres {
				t.Fatalf("racing code: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of 4 racing requests with one code passed, want 1", ok)
		}
		if m, err := models.VerifySecondFactor(ctx, db.Gorm, box, u.ID, codes[0], later); err != nil || m != models.MethodRecoveryCode {
			t.Fatalf("recovery code: %q %v", m, err)
		}
		if _, err := models.VerifySecondFactor(ctx, db.Gorm, box, u.ID, codes[0], later); !errors.Is(err, models.ErrWrongCode) {
			t.Fatalf("recovery code twice: %v", err)
		}
	})
}
