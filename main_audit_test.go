package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestAuditVerifyCommand runs the built binary: `pressroom audit verify`
// exits 0 on an intact log and non-zero, naming the event, once a row was
// altered behind the triggers' back.
func TestAuditVerifyCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "pressroom")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dbURL := dbtest.NewURL(t, d)
			environ := append(os.Environ(), "DATABASE_URL="+dbURL)
			for i := range 3 {
				if out, err := command(bin, environ, "user", "create", "--email", fmt.Sprintf("u%d@example.org", i), "--name", "U", "--role", "viewer").CombinedOutput(); err != nil {
					t.Fatalf("user create: %v %s", err, out)
				}
			}
			out, err := command(bin, environ, "audit", "verify").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "3 event(s)") {
				t.Fatalf("verify on an intact log: %v %s", err, out)
			}

			db, err := models.Open(context.Background(), dbURL, models.OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			drop := "DROP TRIGGER audit_events_no_update"
			if d == models.Postgres {
				drop += " ON audit_events"
			}
			var second int64
			db.Gorm.Raw("SELECT id FROM audit_events ORDER BY id LIMIT 1 OFFSET 1").Scan(&second)
			if err := db.Gorm.Exec(drop).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Gorm.Exec("UPDATE audit_events SET details = 'command line; role admin' WHERE id = ?", second).Error; err != nil {
				t.Fatal(err)
			}
			out, err = command(bin, environ, "audit", "verify").CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("verify on an altered log: err %v, output %s; want a non-zero exit", err, out)
			}
			if want := fmt.Sprintf("audit event %d: was altered", second); !strings.Contains(string(out), want) {
				t.Fatalf("verify output %q does not name the altered event (%q)", out, want)
			}
		})
	}
}
