package app_test

import (
	"fmt"
	"strings"
	"testing"

	"pressroom/app"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestConfig(t *testing.T) {
	strong := strings.Repeat("s", 32)
	tests := []struct {
		name    string
		mode    app.Mode
		vars    map[string]string
		wantErr []string // substrings of the error; nil means valid
	}{
		{"dev needs nothing", app.ModeDev, nil, nil},
		{"production needs a secret and a base url", app.ModeProduction, nil, []string{"SESSION_SECRET is required", "BASE_URL is required"}},
		{"production refuses a short secret", app.ModeProduction, map[string]string{"SESSION_SECRET": "short", "BASE_URL": "https://press.example.org"}, []string{"SESSION_SECRET is too short: 5 bytes"}},
		{"production with safe values", app.ModeProduction, map[string]string{"SESSION_SECRET": strong, "BASE_URL": "https://press.example.org"}, nil},
		{"bad port", app.ModeDev, map[string]string{"PORT": "http"}, []string{"PORT must be a number"}},
		{"bad database url", app.ModeDev, map[string]string{"DATABASE_URL": "mysql://x"}, []string{"DATABASE_URL must be"}},
		{"bad time zone", app.ModeDev, map[string]string{"DEFAULT_TIMEZONE": "Mars/Olympus"}, []string{"DEFAULT_TIMEZONE is not a known"}},
		{"bad sender", app.ModeDev, map[string]string{"MAIL_FROM": "not an address"}, []string{"MAIL_FROM is not a valid address"}},
		{"sendgrid needs a sender in production", app.ModeProduction, map[string]string{"SESSION_SECRET": strong, "BASE_URL": "https://p.example.org", "SENDGRID_API_KEY": "SG.x"}, []string{"MAIL_FROM is required"}},
		{"production refuses a short previous secret", app.ModeProduction, map[string]string{"SESSION_SECRET": strong, "BASE_URL": "https://press.example.org", "SESSION_SECRET_PREVIOUS": strong + ", tiny"}, []string{"SESSION_SECRET_PREVIOUS entry 2 is too short: 4 bytes"}},
		{"production with a previous secret", app.ModeProduction, map[string]string{"SESSION_SECRET": strong, "BASE_URL": "https://press.example.org", "SESSION_SECRET_PREVIOUS": strings.Repeat("p", 40)}, nil},
		{"trusted proxies as networks and hosts", app.ModeDev, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.10,2001:db8::/32"}, nil},
		{"a trusted proxy that is not an address", app.ModeDev, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,lb.internal"}, []string{`TRUSTED_PROXIES entry "lb.internal" is not an IP address or CIDR network`}},
		{"a trusted proxy network out of range", app.ModeDev, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/33"}, []string{`TRUSTED_PROXIES entry "10.0.0.0/33"`}},
		{"a trending threshold that is not a number", app.ModeDev, map[string]string{"SIGNATURE_TRENDING_THRESHOLD": "lots"}, []string{`SIGNATURE_TRENDING_THRESHOLD must be a whole number`}},
		{"a trending threshold", app.ModeDev, map[string]string{"SIGNATURE_TRENDING_THRESHOLD": "250"}, nil},
		{"sends in flight that is not a number", app.ModeDev, map[string]string{"SENDS_IN_FLIGHT": "many"}, []string{`SENDS_IN_FLIGHT must be a whole number of requests from 1 to 64`}},
		{"too many sends in flight", app.ModeDev, map[string]string{"SENDS_IN_FLIGHT": "65"}, []string{`SENDS_IN_FLIGHT must be a whole number of requests from 1 to 64`}},
		{"sends in flight", app.ModeDev, map[string]string{"SENDS_IN_FLIGHT": "10"}, nil},
		{"a settle wait that is not a duration", app.ModeDev, map[string]string{"SEND_SETTLE_WAIT": "soon"}, []string{`SEND_SETTLE_WAIT must be a duration from 0s to 1h`}},
		{"a settle wait", app.ModeDev, map[string]string{"SEND_SETTLE_WAIT": "30s"}, nil},
		{"letters per official an hour that is not a number", app.ModeDev, map[string]string{"LETTERS_PER_TARGET_PER_HOUR": "lots"}, []string{`LETTERS_PER_TARGET_PER_HOUR must be a whole number of letters from 0 (no limit) to 360000`}},
		{"negative letters per official an hour", app.ModeDev, map[string]string{"LETTERS_PER_TARGET_PER_HOUR": "-1"}, []string{`LETTERS_PER_TARGET_PER_HOUR must be a whole number`}},
		{"letters per official an hour", app.ModeDev, map[string]string{"LETTERS_PER_TARGET_PER_HOUR": "0"}, nil},
		{"relative base url", app.ModeProduction, map[string]string{"SESSION_SECRET": strong, "BASE_URL": "press.example.org"}, []string{"BASE_URL must be an absolute"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := app.LoadConfig(env(tt.vars), tt.mode)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if cfg.DatabaseURL == "" || cfg.BaseURL == nil || len(cfg.SessionSecret) < 32 || cfg.DefaultTimezone == nil {
					t.Fatalf("incomplete config: %+v", cfg)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if cfg, _ := app.LoadConfig(env(nil), app.ModeDev); len(cfg.TrustedProxies) != 0 {
		t.Errorf("trusted proxies by default: %v, want none", cfg.TrustedProxies)
	}
	if cfg, _ := app.LoadConfig(env(map[string]string{"TRUSTED_PROXIES": "10.1.2.3/8, 192.0.2.10"}), app.ModeDev); fmt.Sprint(cfg.TrustedProxies) != "[10.0.0.0/8 192.0.2.10/32]" {
		t.Errorf("trusted proxies = %v, want [10.0.0.0/8 192.0.2.10/32]", cfg.TrustedProxies)
	}
	cfg, _ := app.LoadConfig(env(map[string]string{"SESSION_SECRET_PREVIOUS": strings.Repeat("p", 40) + "," + strings.Repeat("q", 40)}), app.ModeDev)
	if keys := cfg.UnsubscribeKeys(); len(keys) != 3 || string(keys[0]) != string(cfg.UnsubscribeKey()) {
		t.Errorf("unsubscribe keys: %d, want the current one first and two previous", len(keys))
	}
	cfg, _ = app.LoadConfig(env(nil), app.ModeDev)
	if cfg.Actions.LettersPerTargetPerHour != 500 {
		t.Errorf("letters per official an hour by default: %d, want 500", cfg.Actions.LettersPerTargetPerHour)
	}
	if cfg.DatabaseURL != "sqlite:./pressroom.db" || cfg.Port != 8080 || cfg.BaseURL.String() != "http://localhost:8080" || cfg.DefaultTimezone.String() != "Europe/London" {
		t.Errorf("defaults: %s %d %s %s", cfg.DatabaseURL, cfg.Port, cfg.BaseURL, cfg.DefaultTimezone)
	}
}
