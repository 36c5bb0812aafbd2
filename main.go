// Command pressroom is the whole of Pressroom in one binary: the web process, the
// job worker, migrations, and the development server that runs everything on an
// embedded database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // embargo time zones must work on machines without zoneinfo

	"github.com/riverqueue/river"

	"pressroom/app"
	"pressroom/jobs"
	"pressroom/migrations"
	"pressroom/models"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pressroom:", err)
		os.Exit(1)
	}
}

const usage = `Pressroom: press releases, embargoes, audiences, sends and petitions.

Usage: pressroom <command> [flags]

Commands:
  dev            migrate, seed a demo organisation, run web and worker in one process
                 (embedded SQLite and the development mail outbox unless configured)
  web            serve the admin UI, newsroom, petitions, JSON API and webhooks
  worker         run background jobs (sends, embargo lifts, webhooks, escalations)
  migrate        apply pending database migrations (idempotent)
  user create    --email E --name N --role R [--group G]... [--password P]
                 (the user chooses their own password at first sign-in)
  token create   --email E [--name LABEL] [--scope read|write[,AREA...]] [--expires DURATION]
                 (areas: releases, audiences, sends, petitions, actions; DURATION: 90d, 12h)
  audit verify   check the audit log's hash chain; fails naming the first bad event
  help           show this text

Configuration comes from the environment: DATABASE_URL, PORT, BASE_URL,
SESSION_SECRET, SESSION_SECRET_PREVIOUS, SENDGRID_API_KEY, SENDGRID_API_URL,
SENDGRID_WEBHOOK_PUBLIC_KEY, MAIL_FROM, DEFAULT_TIMEZONE, METRICS_TOKEN,
METRICS_ADDR, TRUSTED_PROXIES, SESSION_IDLE_TIMEOUT, SESSION_MAX_AGE. See README.md.
`

// run is the whole program; main only supplies the process's context,
// arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	if len(args) == 0 {
		args = []string{"help"}
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(out, usage)
		return nil
	case "dev":
		return runServe(ctx, getenv, out, app.ModeDev, true, true)
	case "web":
		return runServe(ctx, getenv, out, app.ModeProduction, true, false)
	case "worker":
		return runServe(ctx, getenv, out, app.ModeProduction, false, true)
	case "migrate":
		return runMigrate(ctx, getenv, out)
	case "user":
		if len(args) < 2 || args[1] != "create" {
			return errors.New("usage: pressroom user create --email E --name N --role R [--group G]... [--password P]")
		}
		return runUserCreate(ctx, args[2:], getenv, out)
	case "token":
		if len(args) < 2 || args[1] != "create" {
			return errors.New("usage: pressroom token create --email E [--name LABEL] [--scope read|write] [--expires DURATION]")
		}
		return runTokenCreate(ctx, args[2:], getenv, out)
	case "audit":
		if len(args) != 2 || args[1] != "verify" {
			return errors.New("usage: pressroom audit verify")
		}
		return runAuditVerify(ctx, getenv, out)
	}
	return fmt.Errorf("unknown command %q (try `pressroom help`)", args[0])
}

func newLogger(mode app.Mode, out io.Writer) *slog.Logger {
	if mode == app.ModeDev {
		return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewJSONHandler(out, nil))
}

// openDB opens the configured database. Commands other than dev and migrate use
// it as it is; they never change the schema.
func openDB(ctx context.Context, cfg *app.Config) (*models.DB, error) {
	db, err := models.Open(ctx, cfg.DatabaseURL, models.OpenOptions{})
	if err != nil {
		return nil, err
	}
	return db, nil
}

func runMigrate(ctx context.Context, getenv func(string) string, out io.Writer) error {
	cfg, err := app.LoadConfig(getenv, app.ModeDev) // migrate needs only DATABASE_URL
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := migrations.Up(ctx, db.SQL, string(db.Dialect))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "migrated %s database: %d migration(s) applied\n", db.Dialect, n)
	// Audit events written before the hash chain existed are chained once.
	sealed, err := models.SealAuditLog(ctx, db.Gorm)
	if err != nil {
		return err
	}
	if sealed > 0 {
		fmt.Fprintf(out, "audit log: %d earlier event(s) added to the hash chain\n", sealed)
	}
	return nil
}

// runAuditVerify checks the audit log's hash chain. A broken chain is an
// error, so the process exits non-zero with the first bad event's id.
func runAuditVerify(ctx context.Context, getenv func(string) string, out io.Writer) error {
	cfg, err := app.LoadConfig(getenv, app.ModeDev) // needs only DATABASE_URL
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := models.VerifyAuditLog(ctx, db.Gorm)
	if err != nil {
		return fmt.Errorf("audit log does not verify after %d good event(s): %w", n, err)
	}
	fmt.Fprintf(out, "audit log verified: %d event(s), hash chain intact\n", n)
	return nil
}

// runServe runs the web server, the job worker, or both (dev). Production
// processes refuse to start on a schema that is behind; dev migrates and seeds.
func runServe(ctx context.Context, getenv func(string) string, out io.Writer, mode app.Mode, web, work bool) error {
	cfg, err := app.LoadConfig(getenv, mode)
	if err != nil {
		return err
	}
	logger := newLogger(mode, out)
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()

	var logins []models.DemoLogin
	if mode == app.ModeDev {
		if _, err := migrations.Up(ctx, db.SQL, string(db.Dialect)); err != nil {
			return err
		}
		if logins, err = models.SeedDemo(ctx, db.Gorm); err != nil {
			return err
		}
		if err := models.SeedDemoContent(ctx, db.Gorm, time.Now()); err != nil {
			return err
		}
	} else if err := migrations.Check(ctx, db.SQL, string(db.Dialect)); err != nil {
		return err
	}

	// The metrics address is taken before anything starts, so a port in use
	// stops the process with nothing to undo.
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return fmt.Errorf("listen on METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
		}
		defer metricsLn.Close()
	}

	clock := models.SystemClock{}
	transport := jobs.NewTransport(cfg.SendGridAPIKey, cfg.SendGridAPIURL, db.Gorm)
	workers := river.NewWorkers()
	liveness := jobs.NewLiveness()
	jobs.Register(workers, jobs.Deps{DB: db, Mail: transport, Clock: clock, Logger: logger, BaseURL: cfg.BaseURL.String(),
		MailFrom: jobs.Address{Email: cfg.MailFrom.Address, Name: cfg.MailFrom.Name}, UnsubscribeKey: cfg.UnsubscribeKey(), MediaKey: cfg.MediaKey(), Liveness: liveness,
		SignaturePendingTTL: cfg.Petitions.PendingTTL, SignatureIPKeep: cfg.Petitions.IPKeep, SignatureTrendingThreshold: cfg.Petitions.TrendingThreshold, SendsInFlight: cfg.SendsInFlight, SettleWait: cfg.SendSettleWait})
	client, err := jobs.NewClient(db, workers, jobs.ClientOptions{Work: work, Logger: logger, SignatureCountInterval: cfg.Petitions.CountInterval,
		SendsInFlight: cfg.SendsInFlight})
	if err != nil {
		return err
	}
	if work {
		// Jobs of a worker that died mid-job are retried within seconds, not
		// after River's stuck-job timeout (see jobs/rescue.go).
		stopRescuer, err := jobs.StartRescuer(ctx, db, client.ID(), liveness, logger)
		if err != nil {
			return err
		}
		defer stopRescuer()
		if err := client.Start(ctx); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		logger.Info("worker started", "database", db.Dialect, "mail", transport.Name())
	}

	var srv, metricsSrv *http.Server
	serveErr := make(chan error, 2)
	var s *app.Server
	if web {
		if s, err = app.New(app.Deps{Config: cfg, DB: db, Jobs: client, Clock: clock, Logger: logger, NewsroomVersionTTL: app.DefaultNewsroomVersionTTL}); err != nil {
			return err
		}
		host := ""
		if mode == app.ModeDev {
			host = "localhost" // the demo accounts have published passwords
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("%s:%d", host, cfg.Port))
		if err != nil {
			return fmt.Errorf("listen on port %d: %w", cfg.Port, err)
		}
		srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
			WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second}
		go func() { serveErr <- srv.Serve(ln) }()
		logger.Info("web listening", "url", cfg.BaseURL.String(), "database", db.Dialect)
	}
	if metricsLn != nil {
		h := app.WorkerMetricsHandler(cfg, db)
		if s != nil {
			h = s.MetricsHandler() // the web server's own registry: requests and jobs
		}
		metricsSrv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
		go func() { serveErr <- metricsSrv.Serve(metricsLn) }()
		logger.Info("metrics listening", "addr", cfg.MetricsAddr)
	}
	if mode == app.ModeDev {
		printDevBanner(out, cfg, db, logins, transport.Name())
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("web: %w", err)
		}
	}
	// Graceful shutdown: stop accepting, let in-flight requests and running jobs
	// finish within the timeout, then cancel what remains.
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if srv != nil {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			logger.Error("web shutdown", "err", err)
		}
	}
	if metricsSrv != nil {
		// Scrapes may go on while jobs drain; the listener closes last.
		defer metricsSrv.Close()
	}
	if work {
		softCtx, softCancel := context.WithTimeout(shutdownCtx, 20*time.Second)
		defer softCancel()
		if err := client.Stop(softCtx); err != nil {
			logger.Warn("jobs still running at shutdown; cancelling them (they will be retried)", "err", err)
			_ = client.StopAndCancel(shutdownCtx)
		}
	}
	return nil
}

func printDevBanner(out io.Writer, cfg *app.Config, db *models.DB, logins []models.DemoLogin, mail string) {
	fmt.Fprintf(out, "\nPressroom is running at %s/admin\n", cfg.BaseURL)
	fmt.Fprintf(out, "Database: %s (%s). Mail: %s", db.Dialect, cfg.DatabaseURL, mail)
	if mail == "outbox" {
		fmt.Fprintf(out, " — read it at %s/admin/outbox", cfg.BaseURL)
	}
	fmt.Fprintf(out, "\nMetrics: %s", metricsWhere(cfg))
	fmt.Fprintf(out, "\n\nDemo logins (password %q for all; demo accounts keep it, accounts you add choose their own at first sign-in):\n", models.DemoPassword)
	for _, l := range logins {
		groups := ""
		if len(l.Groups) > 0 {
			groups = " — " + strings.Join(l.Groups, ", ")
		}
		fmt.Fprintf(out, "  %-24s %s%s\n", l.Email, l.Role.Label(), groups)
	}
	fmt.Fprintln(out)
}

// metricsWhere says where the process serves its metrics, for the dev banner.
func metricsWhere(cfg *app.Config) string {
	auth := ""
	if cfg.MetricsToken != "" {
		auth = " (bearer METRICS_TOKEN)"
	}
	switch {
	case cfg.MetricsAddr != "":
		host, port, _ := net.SplitHostPort(cfg.MetricsAddr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		return "http://" + net.JoinHostPort(host, port) + "/metrics" + auth
	case cfg.MetricsToken != "":
		return cfg.BaseURL.String() + "/metrics" + auth
	}
	return "off (set METRICS_ADDR, e.g. 127.0.0.1:9090, or METRICS_TOKEN)"
}

func runUserCreate(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(out)
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "full name (required)")
	role := fs.String("role", "", "admin, press_officer, approver, campaigner or viewer (required)")
	password := fs.String("password", "", "first password (generated and printed when omitted); the user replaces it at first sign-in")
	var groups stringList
	fs.Var(&groups, "group", "group name (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := app.LoadConfig(getenv, app.ModeDev)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	pw := *password
	if pw == "" {
		pw = models.NewSecret(12)
	}
	u, err := models.CreateUser(ctx, db.Gorm, models.NewUserInput{Email: *email, Name: *name, Role: models.Role(*role), Password: pw, Groups: groups,
		MustChangePassword: true})
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return fmt.Errorf("cannot create user: %w", ve)
	}
	if errors.Is(err, models.ErrConflict) {
		return fmt.Errorf("cannot create user: %s already has an account", models.NormalizeEmail(*email))
	}
	if err != nil {
		return err
	}
	_ = models.Audit(ctx, db.Gorm, models.AuditEvent{Action: models.ActionUserCreated, SubjectType: "user", SubjectID: u.ID, Details: "command line; role " + string(u.Role)})
	fmt.Fprintln(out, u.ID)
	if *password == "" {
		fmt.Fprintf(out, "password: %s\n", pw)
	}
	return nil
}

func runTokenCreate(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(out)
	email := fs.String("email", "", "the user the token acts as (required)")
	name := fs.String("name", "", "a label for the token")
	scope := fs.String("scope", "write", "read or write, optionally with areas it is limited to: write,releases,sends")
	expires := fs.String("expires", "", "lifetime, e.g. 90d or 12h (default: no expiry)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var ttl time.Duration
	if *expires != "" {
		d, err := app.ParseLifetime(*expires)
		if err != nil || d <= 0 {
			return fmt.Errorf("--expires %q is not a duration: write it like 90d, 12h or 30m", *expires)
		}
		ttl = d
	}
	cfg, err := app.LoadConfig(getenv, app.ModeDev)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := models.UserByEmail(ctx, db.Gorm, *email)
	if err != nil {
		return fmt.Errorf("no user with email %q", *email)
	}
	t, secret, err := models.IssueAPIToken(ctx, db.Gorm, models.NewTokenInput{UserID: u.ID, Name: *name, Scopes: *scope, TTL: ttl, Now: time.Now().UTC()})
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return fmt.Errorf("--scope: %s", ve.Fields["scope"])
	}
	if err != nil {
		return err
	}
	_ = models.Audit(ctx, db.Gorm, models.AuditEvent{Action: models.ActionTokenCreated, SubjectType: "api_token", SubjectID: t.ID, Details: "command line; for " + u.Email + "; scopes " + t.Scopes})
	expiry := "no expiry"
	if t.ExpiresAt != nil {
		expiry = "expires " + t.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(out, "token for %s (%s), scopes %q, %s; store it now, it is not shown again:\n%s\n", u.Email, u.Role, t.Scopes, expiry, secret)
	return nil
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
