package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

func envFrom(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestCommandLine(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dbURL := dbtest.NewURL(t, d)
			env := envFrom(map[string]string{"DATABASE_URL": dbURL})
			var out bytes.Buffer

			// migrate on a migrated database applies nothing.
			if err := run(ctx, []string{"migrate"}, env, &out); err != nil || !strings.Contains(out.String(), "0 migration(s) applied") {
				t.Fatalf("migrate: %v %q", err, out.String())
			}

			out.Reset()
			err := run(ctx, []string{"user", "create", "--email", "Ed@Example.org", "--name", "Ed Editor", "--role", "press_officer"}, env, &out)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[1], "password: ") {
				t.Fatalf("user create printed %q", out.String())
			}
			db, err := models.Open(ctx, dbURL, models.OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			u, err := models.Authenticate(ctx, db.Gorm, "ed@example.org", strings.TrimPrefix(lines[1], "password: "))
			if err != nil || u.ID != lines[0] || u.Role != models.RolePressOfficer {
				t.Fatalf("created user: %+v %v", u, err)
			}
			if !u.MustChangePassword {
				t.Fatal("a user created on the command line need not choose their own password")
			}

			// Invalid input is refused with the reason.
			err = run(ctx, []string{"user", "create", "--email", "x", "--name", "", "--role", "king", "--password", "longenoughpassword"}, env, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "email is not a valid address") || !strings.Contains(err.Error(), "role must be one of") {
				t.Fatalf("invalid user: %v", err)
			}
			err = run(ctx, []string{"user", "create", "--email", "x@example.org", "--name", "X", "--role", "viewer", "--password", strings.Repeat("long words ", 8)}, env, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "password is too long: at most 72 bytes (88 here") {
				t.Fatalf("password over 72 bytes: %v", err)
			}
			err = run(ctx, []string{"user", "create", "--email", "x@example.org", "--name", "X", "--role", "viewer", "--password", "xxxxxxxxxxxx"}, env, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "password is too easy to guess") {
				t.Fatalf("guessable password: %v", err)
			}
			err = run(ctx, []string{"user", "create", "--email", "ed@example.org", "--name", "Ed", "--role", "viewer"}, env, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "already has an account") {
				t.Fatalf("duplicate user: %v", err)
			}
			err = run(ctx, []string{"user", "create", "--email", "g@example.org", "--name", "G", "--role", "approver", "--group", "Nonexistent"}, env, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "Nonexistent") {
				t.Fatalf("unknown group: %v", err)
			}

			// token create prints the token alone on its last line, and it works.
			out.Reset()
			if err := run(ctx, []string{"token", "create", "--email", "ed@example.org", "--name", "ci"}, env, &out); err != nil {
				t.Fatal(err)
			}
			lines = strings.Split(strings.TrimSpace(out.String()), "\n")
			tok := lines[len(lines)-1]
			if got, err := models.UserByAPIToken(ctx, db.Gorm, tok, time.Now()); err != nil || got.ID != u.ID {
				t.Fatalf("token %q: %v", tok, err)
			}

			if err := run(ctx, []string{"frobnicate"}, env, io.Discard); err == nil || !strings.Contains(err.Error(), "unknown command") {
				t.Fatalf("unknown command: %v", err)
			}
			out.Reset()
			if err := run(ctx, []string{"help"}, env, &out); err != nil || !strings.Contains(out.String(), "token create") {
				t.Fatalf("help: %v", err)
			}
		})
	}
}

func TestProductionRefusesUnsafeConfig(t *testing.T) {
	err := run(context.Background(), []string{"web"}, envFrom(map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "x.db")}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SESSION_SECRET is required") || !strings.Contains(err.Error(), "BASE_URL is required") {
		t.Fatalf("web without secret: %v", err)
	}
}

func TestProductionRefusesSchemaBehind(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	env := envFrom(map[string]string{"DATABASE_URL": "sqlite:" + path, "SESSION_SECRET": strings.Repeat("k", 32), "BASE_URL": "http://localhost:1"})
	for _, cmd := range []string{"web", "worker"} {
		err := run(context.Background(), []string{cmd}, env, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "schema is behind") {
			t.Fatalf("%s on an empty database: %v", cmd, err)
		}
	}
}

// TestWebAndWorkerProcesses runs the built binary as two processes on one
// PostgreSQL database (SQLite when no server is configured): a job enqueued by
// the web process runs in the worker.
func TestWebAndWorkerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dialect := models.SQLite
	if os.Getenv(dbtest.EnvURL) != "" {
		dialect = models.Postgres
	}
	bin := filepath.Join(t.TempDir(), "pressroom")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dbURL := dbtest.NewURL(t, dialect)
	port := freePort(t)
	environ := append(os.Environ(), "DATABASE_URL="+dbURL, fmt.Sprintf("PORT=%d", port), fmt.Sprintf("BASE_URL=http://127.0.0.1:%d", port),
		"SESSION_SECRET="+strings.Repeat("z", 40), "SENDGRID_API_KEY=")
	if out, err := command(bin, environ, "migrate").CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v %s", err, out)
	}
	if out, err := command(bin, environ, "user", "create", "--email", "w@example.org", "--name", "Wendy", "--role", "viewer", "--password", "two processes ok").CombinedOutput(); err != nil {
		t.Fatalf("user create: %v %s", err, out)
	}
	start := func(name string) *bytes.Buffer {
		var logs bytes.Buffer
		cmd := command(bin, environ, name)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(os.Interrupt)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Errorf("%s did not shut down on SIGINT", name)
			}
			if t.Failed() {
				t.Logf("%s logs:\n%s", name, logs.String())
			}
		})
		return &logs
	}
	start("web")
	workerLogs := start("worker")

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitFor(t, base+"/readyz")
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	token := func(path string) string {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("no csrf token on %s", path)
		}
		return string(m[1])
	}
	resp, err := client.PostForm(base+"/login", url.Values{"csrf_token": {token("/login")}, "email": {"w@example.org"}, "password": {"two processes ok"}})
	if err != nil || resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/admin/account/password" {
		t.Fatalf("login: %v %v", err, resp)
	}
	// Created on the command line, Wendy chooses her own password first.
	resp, err = client.PostForm(base+"/admin/account/password", url.Values{"csrf_token": {token("/admin/account/password")},
		"current_password": {"two processes ok"}, "new_password": {"wendy picks her own words"}, "confirm_password": {"wendy picks her own words"}})
	if err != nil || resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/admin" {
		t.Fatalf("choose a password: %v %v", err, resp)
	}
	resp, err = client.PostForm(base+"/admin/account/test-email", url.Values{"csrf_token": {token("/admin/account")}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("test email: %v %v", err, resp)
	}

	db, err := models.Open(context.Background(), dbURL, models.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msgs, err := models.OutboxMessages(context.Background(), db.Gorm, "w@example.org", 5)
		if err == nil && len(msgs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker never delivered the job the web process enqueued; worker logs:\n%s", workerLogs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func command(bin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	return cmd
}

// freePort returns a loopback port nothing listens on, for a process the test
// starts. It is drawn below Linux's ephemeral range (32768–60999): a port the
// kernel handed out for ":0" was free only until the listener closed, and
// meanwhile any outgoing connection or test server of the packages running
// beside this one could take it ("bind: address already in use").
func freePort(t *testing.T) int {
	for range 100 {
		port := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		return port
	}
	t.Fatal("no free port below the ephemeral range")
	return 0
}

func waitFor(t *testing.T, u string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never became ready", u)
}
