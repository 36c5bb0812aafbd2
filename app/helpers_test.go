package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/crypto/bcrypt"

	"pressroom/app"
	"pressroom/jobs"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// testEnv is a running server on a fresh database with one user per role.
type testEnv struct {
	t      testing.TB
	db     *models.DB
	server *app.Server
	http   *httptest.Server
	cfg    *app.Config
	clock  *models.FixedClock
	jobs   *jobs.Client
	users  map[models.Role]*models.User
	legal  *models.User // an approver in the Legal group (the role's user is in Press desk)
}

const testPassword = "correct horse battery"

type envOptions struct {
	work bool // start a River worker too
	// transport replaces the development outbox (e.g. SendGrid against the fake).
	transport jobs.Transport
	// webhookKey is SENDGRID_WEBHOOK_PUBLIC_KEY.
	webhookKey string
	// env holds further configuration variables (e.g. TRUSTED_PROXIES).
	env map[string]string
	// versionTTL is the web process's NewsroomVersionTTL (zero: read each time).
	versionTTL time.Duration
	// sitemapPageSize is Deps.SitemapPageSize (zero: the production size).
	sitemapPageSize int
	// serial keeps the test from running alongside others, for the few that
	// hold the server to a real-time deadline (an embargo lifting everywhere
	// within two seconds) that sharing the CPU would make them miss.
	serial bool
}

func (o envOptions) mail(db *models.DB) jobs.Transport {
	if o.transport != nil {
		return o.transport
	}
	return &jobs.Outbox{DB: db.Gorm}
}

// envData is the organisation every test environment starts from, built once
// per dialect and copied for each test (see seedEnv).
var envData = dbtest.NewSeeded(seedEnv)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, envData)) }

// envDB returns a fresh database of the dialect holding the environment's
// organisation, for newEnv.
func envDB(t testing.TB, dialect models.Dialect) *models.DB {
	t.Helper()
	return envData.New(t, dialect)
}

// seedEnv creates the organisation of a test environment: the three approval
// groups, one user per role (the approver in Press desk) and an approver in
// Legal, the two series and the default two-step workflow.
func seedEnv(ctx context.Context, db *models.DB) error {
	for _, g := range []string{"Press desk", "Legal", "Director"} {
		if _, err := models.CreateGroup(ctx, db.Gorm, g, ""); err != nil {
			return err
		}
	}
	for _, r := range models.Roles {
		var groups []string
		if r == models.RoleApprover {
			groups = []string{"Press desk"}
		}
		if _, err := models.CreateUser(ctx, db.Gorm, models.NewUserInput{Email: string(r) + "@example.org", Name: "Test " + r.Label(), Role: r, Password: testPassword, Groups: groups}); err != nil {
			return err
		}
	}
	if _, err := models.CreateUser(ctx, db.Gorm, models.NewUserInput{Email: "legal@example.org", Name: "Test Legal", Role: models.RoleApprover, Password: testPassword, Groups: []string{"Legal"}}); err != nil {
		return err
	}
	// The same password, hashed at bcrypt's lowest cost: signing in is most of
	// what many tests do, and at the production cost each sign-in is a quarter
	// of a second of CPU on a busy CI machine. Passwords the tests set or
	// change still go through the production cost.
	cheap, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		return err
	}
	if err := db.Gorm.WithContext(ctx).Model(&models.User{}).Where("password_hash <> ''").Update("password_hash", string(cheap)).Error; err != nil {
		return err
	}
	if _, err := models.CreateSeries(ctx, db.Gorm, models.SeriesInput{Code: "PRE 01", Name: "Press releases", Format: "{code}/{serial:03}/{year}", Kind: "press_release"}); err != nil {
		return err
	}
	if _, err := models.CreateSeries(ctx, db.Gorm, models.SeriesInput{Code: "UA", Name: "Urgent Actions", Format: "{code} {serial}/{yy}", Kind: "action_alert"}); err != nil {
		return err
	}
	_, err = models.SaveWorkflow(ctx, db.Gorm, models.WorkflowInput{Name: "Standard", IsDefault: true, Steps: []models.StepInput{
		{Group: "Press desk", ApprovalsNeeded: 1, SLAMinutes: 20}, {Group: "Legal", ApprovalsNeeded: 1, SLAMinutes: 30}}})
	return err
}

// newEnv starts a server on db, a database from envDB.
func newEnv(t testing.TB, db *models.DB, opts envOptions) *testEnv {
	t.Helper()
	ctx := context.Background()
	cfg, err := app.LoadConfig(func(k string) string {
		if k == "SENDGRID_WEBHOOK_PUBLIC_KEY" {
			return opts.webhookKey
		}
		if k == "MEDIA_URL" && opts.env[k] == "" {
			return "mem://"
		}
		return opts.env[k]
	}, app.ModeDev)
	if err != nil {
		t.Fatal(err)
	}
	clock := &models.FixedClock{T: time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)}
	workers := river.NewWorkers()
	jobs.Register(workers, jobs.Deps{DB: db, Mail: opts.mail(db), Clock: clock, BaseURL: cfg.BaseURL.String(), MailFrom: jobs.Address{Email: "press@example.org", Name: "Press Office"}, UnsubscribeKey: cfg.UnsubscribeKey(), MediaKey: cfg.MediaKey(),
		SignaturePendingTTL: cfg.Petitions.PendingTTL, SignatureIPKeep: cfg.Petitions.IPKeep, SignatureTrendingThreshold: cfg.Petitions.TrendingThreshold})
	client, err := jobs.NewClient(db, workers, jobs.ClientOptions{Work: opts.work, SignatureCountInterval: cfg.Petitions.CountInterval})
	if err != nil {
		t.Fatal(err)
	}
	if opts.work {
		if err := client.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Stop(context.Background()) })
		// Wait until this worker leads (it then runs the periodic sweeps), so
		// time-sensitive tests measure the steady state, not the election.
		deadline := time.Now().Add(15 * time.Second)
		for {
			var n int64
			db.Gorm.Table("river_job").Where("kind = ? AND state = ?", "publish_due", "completed").Count(&n)
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the worker never ran its first periodic sweep")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	s, err := app.New(app.Deps{Config: cfg, DB: db, Jobs: client, Clock: clock, NewsroomVersionTTL: opts.versionTTL, SitemapPageSize: opts.sitemapPageSize})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	env := &testEnv{t: t, db: db, server: s, http: ts, cfg: cfg, clock: clock, jobs: client, users: map[models.Role]*models.User{}}
	for _, r := range models.Roles {
		u, err := models.UserByEmail(ctx, db.Gorm, string(r)+"@example.org")
		if err != nil {
			t.Fatal(err)
		}
		env.users[r] = u
	}
	legal, err := models.UserByEmail(ctx, db.Gorm, "legal@example.org")
	if err != nil {
		t.Fatal(err)
	}
	env.legal = legal
	return env
}

// loginAs signs a browser in by email.
func (e *testEnv) loginAs(email string) *browser {
	e.t.Helper()
	b := e.browser()
	r := b.post("/login", "/login", url.Values{"email": {email}, "password": {testPassword}})
	if r.Status != http.StatusSeeOther {
		e.t.Fatalf("login as %s: status %d", email, r.Status)
	}
	return b
}

// browser is a cookie-keeping client that does not follow redirects, so tests
// see the 303s.
type browser struct {
	env    *testEnv
	client *http.Client
}

func (e *testEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{env: e, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type response struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) response {
	b.env.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.env.http.URL+path, body)
	if err != nil {
		b.env.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.env.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: string(data), Header: resp.Header, Location: resp.Header.Get("Location")}
}

func (b *browser) get(path string) response { return b.do(http.MethodGet, path, nil, nil) }

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf fetches a page and returns the CSRF token of its forms.
func (b *browser) csrf(path string) string {
	b.env.t.Helper()
	r := b.get(path)
	m := csrfField.FindStringSubmatch(r.Body)
	if m == nil {
		b.env.t.Fatalf("no CSRF token on %s (status %d)", path, r.Status)
	}
	return m[1]
}

// post submits a form the way a browser would: with the token of the page it came
// from.
func (b *browser) post(from, path string, form url.Values) response {
	b.env.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", b.csrf(from))
	return b.do(http.MethodPost, path, form, nil)
}

// sameOrigin posts a form the way a browser does from one of this site's
// pages when the form carries no token (the petition page's): with the
// Sec-Fetch-Site and Origin headers it sends.
func (b *browser) sameOrigin(path string, form url.Values) response {
	b.env.t.Helper()
	return b.do(http.MethodPost, path, form, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": b.env.http.URL})
}

// login signs a browser in as the user of a role.
func (e *testEnv) login(role models.Role) *browser {
	e.t.Helper()
	b := e.browser()
	r := b.post("/login", "/login", url.Values{"email": {string(role) + "@example.org"}, "password": {testPassword}})
	if r.Status != http.StatusSeeOther {
		e.t.Fatalf("login as %s: status %d: %s", role, r.Status, r.Body)
	}
	return b
}

// token issues an API token for the user of a role.
func (e *testEnv) token(role models.Role) string {
	e.t.Helper()
	_, secret, err := models.CreateAPIToken(context.Background(), e.db.Gorm, e.users[role].ID, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// api calls the JSON API with a bearer token.
func (e *testEnv) api(method, path, token, body string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: string(data), Header: resp.Header}
}

// run runs a test body on every dialect with a fresh environment. The test
// runs in parallel with the package's other tests (each has its own database
// and server) unless opts.serial says otherwise.
func run(t *testing.T, opts envOptions, fn func(t *testing.T, env *testEnv)) {
	if !opts.serial {
		t.Parallel()
	}
	envData.Run(t, func(t *testing.T, db *models.DB) {
		fn(t, newEnv(t, db, opts))
	})
}
