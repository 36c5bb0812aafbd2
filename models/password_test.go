package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

func TestPasswordProblem(t *testing.T) {
	t.Parallel()
	name, email := "Nadia Newcomer", "nadia.newcomer@example.org"
	tests := []struct {
		password string
		want     string // substring of the problem; "" means accepted
	}{
		{"correct horse battery", ""},
		{"tangerine orbit lantern", ""},
		{"ka7shx3m4qpvzvd2wxyq", ""},
		{strings.Repeat("é", 36), ""}, // 36 characters, exactly 72 bytes
		{"short", "must be at least 12 characters"},
		{strings.Repeat("é", 11), "must be at least 12 characters"}, // 22 bytes but 11 characters
		{strings.Repeat("a long passphrase ", 5)[:73], "is too long: at most 72 bytes (73 here"},
		{strings.Repeat("é", 37), "is too long: at most 72 bytes (74 here"},
		{"xxxxxxxxxxxx", `is too easy to guess: repeated characters or groups ("xxxxxxxxxxxx")`},
		{"abcdefghijklmnop", `is too easy to guess: sequences like "abcdefghijklmnop"`},
		{"Password2026!", "is too easy to guess: it is one of the most common passwords"},
		{"qwertyuiop123", "is too easy to guess: it is one of the most common passwords"},
		{"Human-Rights-1948", "is too easy to guess: it is one of the most common passwords"},
		{models.DemoPassword, "is too easy to guess: it is one of the most common passwords"},
		{"Nadia Newcomer 26", "is too easy to guess: it is built on the account's name or email"},
		{"nadia.newcomer@example", "is too easy to guess"},
		{"\xff\xfe invalid bytes here", "not valid text"},
	}
	for _, tt := range tests {
		got := models.PasswordProblem(tt.password, name, email)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("PasswordProblem(%q) = %q, want %q", tt.password, got, tt.want)
		}
		if tt.want != "" && strings.HasPrefix(tt.want, "is too easy") && !strings.Contains(got, "Try three or four unrelated words") {
			t.Errorf("PasswordProblem(%q) = %q gives no advice", tt.password, got)
		}
	}
}

// TestPasswordsSetByOthersMustBeChanged: CreateUser refuses a bad password
// before hashing it (no 500 for 73 bytes), an admin-assigned password sets
// MustChangePassword, the user's own choice clears it.
func TestPasswordsSetByOthersMustBeChanged(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		_, err := models.CreateUser(ctx, db.Gorm, models.NewUserInput{Email: "a@example.org", Name: "A", Role: models.RoleViewer, Password: strings.Repeat("x", 100)})
		var ve *models.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Fields["password"], "at most 72 bytes") {
			t.Fatalf("100-byte password: %v, want a validation error", err)
		}
		u, err := models.CreateUser(ctx, db.Gorm, models.NewUserInput{Email: "a@example.org", Name: "A", Role: models.RoleViewer, Password: "given by the admin 1", MustChangePassword: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := models.UserByID(ctx, db.Gorm, u.ID); !got.MustChangePassword {
			t.Fatal("MustChangePassword not stored")
		}
		if err := models.SetPassword(ctx, db.Gorm, u.ID, "xxxxxxxxxxxx", now); !errors.As(err, &ve) {
			t.Fatalf("weak password accepted: %v", err)
		}
		if err := models.SetPassword(ctx, db.Gorm, u.ID, "my very own words", now); err != nil {
			t.Fatal(err)
		}
		if got, _ := models.Authenticate(ctx, db.Gorm, "a@example.org", "my very own words"); got == nil || got.MustChangePassword {
			t.Fatalf("after the user's own choice: %+v", got)
		}
		if err := models.AssignPassword(ctx, db.Gorm, u.ID, "another given one 2", now); err != nil {
			t.Fatal(err)
		}
		if got, _ := models.Authenticate(ctx, db.Gorm, "a@example.org", "another given one 2"); got == nil || !got.MustChangePassword {
			t.Fatalf("after an admin assigned one: %+v", got)
		}
		if err := models.AssignPassword(ctx, db.Gorm, "no-such-user", "another given one 3", now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
	})
}

// TestDemoAccountsKeepTheirPublishedPassword: `pressroom dev` prints one
// password for the demo accounts; they sign in with it and are not asked to
// change it, while no real account may use it.
func TestDemoAccountsKeepTheirPublishedPassword(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		logins, err := models.SeedDemo(ctx, db.Gorm)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range logins {
			u, err := models.Authenticate(ctx, db.Gorm, l.Email, models.DemoPassword)
			if err != nil || u.MustChangePassword {
				t.Fatalf("demo login %s: %+v %v", l.Email, u, err)
			}
		}
		_, err = models.CreateUser(ctx, db.Gorm, models.NewUserInput{Email: "real@example.org", Name: "Real", Role: models.RoleViewer, Password: models.DemoPassword})
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Fields["password"] == "" {
			t.Fatalf("a real account with the demo password: %v", err)
		}
	})
}
