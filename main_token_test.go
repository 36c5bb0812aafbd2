package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestTokenCreateScopes checks the command-line contract of API.md for
// scoped and expiring tokens: the token alone on the last line, the scope and
// expiry stored as asked, and bad flags refused in words.
func TestTokenCreateScopes(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			env := envFrom(map[string]string{"DATABASE_URL": dbtest.NewURL(t, d)})
			if err := run(ctx, []string{"user", "create", "--email", "ci@example.org", "--name", "CI", "--role", "press_officer"}, env, &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
			db, err := models.Open(ctx, env("DATABASE_URL"), models.OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			create := func(args ...string) (*models.APIToken, error) {
				var out bytes.Buffer
				if err := run(ctx, append([]string{"token", "create", "--email", "ci@example.org"}, args...), env, &out); err != nil {
					return nil, err
				}
				lines := strings.Split(strings.TrimSpace(out.String()), "\n")
				_, tok, err := models.AuthenticateAPIToken(ctx, db.Gorm, lines[len(lines)-1], "", time.Now())
				return tok, err
			}
			tok, err := create("--name", "default")
			if err != nil || tok.Scopes != "write" || tok.ExpiresAt != nil {
				t.Fatalf("default token: %+v %v", tok, err)
			}
			tok, err = create("--scope", "read")
			if err != nil || tok.CanWrite() || tok.Scopes != "read" {
				t.Fatalf("read token: %+v %v", tok, err)
			}
			tok, err = create("--scope", "write,sends,releases", "--expires", "30d")
			if err != nil || tok.Scopes != "write releases sends" || tok.ExpiresAt == nil ||
				tok.ExpiresAt.Sub(time.Now()) < 29*24*time.Hour || tok.ExpiresAt.Sub(time.Now()) > 31*24*time.Hour {
				t.Fatalf("scoped expiring token: %+v %v", tok, err)
			}
			if _, err := create("--scope", "admin"); err == nil || !strings.Contains(err.Error(), `"admin" is not a scope`) {
				t.Fatalf("unknown scope: %v", err)
			}
			if _, err := create("--expires", "soon"); err == nil || !strings.Contains(err.Error(), "is not a duration") {
				t.Fatalf("bad expiry: %v", err)
			}
			if _, err := create("--scope", "read,write"); err == nil || errors.Is(err, models.ErrNotFound) {
				t.Fatalf("read and write: %v", err)
			}
		})
	}
}
