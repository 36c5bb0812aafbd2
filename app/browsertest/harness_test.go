package browsertest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/riverqueue/river"

	"pressroom/app"
	"pressroom/jobs"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// stepTimeout bounds one browser step (a click and the page it loads, a
// query). A step that hangs fails the test with a message instead of the
// whole package timing out.
const stepTimeout = 15 * time.Second

// server is the real web process and worker on a fresh demo database, served
// on a loopback port.
type server struct {
	URL   string
	DB    *models.DB
	Clock *testClock // the web server's and the worker's clock
	// UnsubscribeKey signs supporters' unsubscribe links, as in the emails.
	UnsubscribeKey []byte
}

// testClock is the wall clock plus an offset a journey can move forward, so
// an embargo set for later in the day lifts within the test. The web server
// and the River worker share it, and real time still passes, because the
// browser, sessions and the periodic jobs all expect it to.
type testClock struct {
	offset atomic.Int64 // nanoseconds added to the wall clock
}

// Now implements models.Clock.
func (c *testClock) Now() time.Time {
	return time.Now().UTC().Add(time.Duration(c.offset.Load()))
}

// Advance moves the clock forward by d for everyone at once.
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// startServer wires the app exactly as `pressroom dev` does (River worker,
// development outbox transport, demo organisation) on a fresh database.
func startServer(t *testing.T, dialect models.Dialect) *server {
	t.Helper()
	ctx := context.Background()
	db := dbtest.New(t, dialect)
	if _, err := models.SeedDemo(ctx, db.Gorm); err != nil {
		t.Fatalf("seed demo organisation: %v", err)
	}
	// Listen first so BASE_URL (used in emails and links) is the real address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg, err := app.LoadConfig(func(k string) string {
		if k == "BASE_URL" {
			return base
		}
		return ""
	}, app.ModeDev)
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	workers := river.NewWorkers()
	jobs.Register(workers, jobs.Deps{DB: db, Mail: jobs.NewTransport("", "", db.Gorm), Clock: clock, BaseURL: base,
		MailFrom: jobs.Address{Email: cfg.MailFrom.Address, Name: cfg.MailFrom.Name}, UnsubscribeKey: cfg.UnsubscribeKey(), MediaKey: cfg.MediaKey()})
	client, err := jobs.NewClient(db, workers, jobs.ClientOptions{Work: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(stopCtx)
	})
	s, err := app.New(app.Deps{Config: cfg, DB: db, Jobs: client, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return &server{URL: ts.URL, DB: db, Clock: clock, UnsubscribeKey: cfg.UnsubscribeKey()}
}

// chromiumPath finds the browser, skipping the test when it is missing on a
// developer machine and failing when it is missing in CI, which installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("browser tests: chromium is not installed, but CI is set and CI must run the real-browser suite (apt-get install chromium)")
	}
	t.Skip("browser tests skipped: chromium is not on PATH (install it, e.g. apt-get install chromium, to run them)")
	return ""
}

// tab is one browser tab on a running server, with counters of what the user
// did in it.
type tab struct {
	t   *testing.T
	ctx context.Context
	srv *server
	tag string // printed after journey names: the database when it is not the default

	loads   atomic.Int64 // top-level documents loaded (navigations, form posts, redirects' targets)
	actions int          // clicks, submits and named keys; typing text is not an action
}

// newTab starts a server on SQLite and a headless Chromium with a fresh
// profile, and opens a tab on it at desktop size. Everything stops when the
// test ends.
func newTab(t *testing.T) *tab {
	t.Helper()
	return newTabOn(t, models.SQLite)
}

// eachDialect runs a journey test once per database the suite has (SQLite,
// and PostgreSQL when TEST_DATABASE_URL is set), each with its own server
// and browser, in parallel.
func eachDialect(t *testing.T, fn func(tb *tab)) {
	t.Helper()
	chromiumPath(t) // skip (or fail in CI) once, not per dialect
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			// Each dialect has its own server, database and browser, and a
			// journey mostly waits on the browser: running them side by side
			// keeps the suite quick.
			t.Parallel()
			fn(newTabOn(t, d))
		})
	}
}

// newTabOn is newTab on the given database.
func newTabOn(t *testing.T, dialect models.Dialect) *tab {
	t.Helper()
	exe := chromiumPath(t)
	srv := startServer(t, dialect)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		// Small /dev/shm in containers crashes Chromium; keep shared memory in /tmp.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	tb := &tab{t: t, ctx: ctx, srv: srv}
	if dialect != models.SQLite {
		tb.tag = " (" + string(dialect) + ")"
	}
	// The first Run starts the browser; it must not have a deadline, or the
	// deadline would end the browser too.
	tb.prepare()
	return tb
}

// stranger opens a second tab in a fresh browser context (its own cookies and
// storage, like a private window) on the same server: someone who has never
// signed in, such as a journalist following a link from an email. It closes
// when the test ends.
func (tb *tab) stranger() *tab {
	tb.t.Helper()
	ctx, cancel := chromedp.NewContext(tb.ctx, chromedp.WithNewBrowserContext())
	tb.t.Cleanup(cancel)
	other := &tab{t: tb.t, ctx: ctx, srv: tb.srv, tag: tb.tag}
	other.prepare()
	return other
}

// prepare sets up a new tab: desktop size, focus emulation and the page-load
// counter.
func (tb *tab) prepare() {
	tb.t.Helper()
	// Focus emulation: a headless tab is never the focused window, and without
	// it autofocus and :focus-visible would not behave as for a real user.
	focusOn := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	})
	if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(desktopWidth, 900), focusOn); err != nil {
		tb.t.Fatalf("start chromium: %v", err)
	}
	// Count every document the main frame commits to: the user saw a page load.
	err := chromedp.Listen(tb.ctx, func(ev any) {
		if e, ok := ev.(*page.EventFrameNavigated); ok && e.Frame.ParentID == "" {
			tb.loads.Add(1)
		}
	})
	if err != nil {
		tb.t.Fatal(err)
	}
}

// run runs one browser step with a deadline.
func run[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.failf("%s: %v", what, err)
	}
	return v
}

// failf stops the test with the page the user was looking at.
func (tb *tab) failf(format string, args ...any) {
	tb.t.Helper()
	msg := fmt.Sprintf(format, args...)
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		msg += "\n  at: " + loc
	}
	if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil {
		if len(text) > 1500 {
			text = text[:1500] + "…"
		}
		msg += "\n  page text:\n" + indent(text)
	}
	tb.t.Fatal(msg)
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
}

// waitLoad runs an action that makes the browser load a page (a click on a
// link or submit button, Enter in a form) and waits for that page. It returns
// the HTTP status of the page.
func (tb *tab) waitLoad(what string, a chromedp.Action[chromedp.Void]) int64 {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, a)
	if err != nil {
		tb.failf("%s: %v", what, err)
	}
	if resp == nil {
		return 0
	}
	return resp.Status
}

// open goes to a path as if typed into the address bar. It is a page load,
// not an action: journeys reach pages by links wherever a user would.
func (tb *tab) open(path string) int64 {
	tb.t.Helper()
	resp := run(tb, "open "+path, chromedp.NavigateResponse(tb.srv.URL+path))
	if resp == nil {
		return 0
	}
	return resp.Status
}

// path is the current page's path and query.
func (tb *tab) path() string {
	tb.t.Helper()
	return run(tb, "location", chromedp.Evaluate[string](`location.pathname + location.search`))
}

// expectPath checks that the browser is on the page.
func (tb *tab) expectPath(want string) {
	tb.t.Helper()
	if got := tb.path(); got != want {
		tb.failf("on %s, want %s", got, want)
	}
}

// text is what the user can read on the page (visible text only).
func (tb *tab) text() string {
	tb.t.Helper()
	return run(tb, "page text", chromedp.Evaluate[string](`document.body.innerText`))
}

// expectText checks that every string is visible on the page.
func (tb *tab) expectText(want ...string) {
	tb.t.Helper()
	text := tb.text()
	for _, w := range want {
		if !strings.Contains(text, w) {
			tb.failf("expected to see %q", w)
		}
	}
}

// expectNoText checks that none of the strings is visible on the page.
func (tb *tab) expectNoText(unwanted ...string) {
	tb.t.Helper()
	text := tb.text()
	for _, w := range unwanted {
		if strings.Contains(text, w) {
			tb.failf("did not expect to see %q", w)
		}
	}
}

// textOf is the visible text of the first element matching a CSS selector.
func (tb *tab) textOf(sel string) string {
	tb.t.Helper()
	return strings.TrimSpace(run(tb, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// count is how many elements match a CSS selector.
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	return run(tb, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(sel))))
}

// locate marks an element found by a script with a fresh data attribute and
// returns a CSS selector for it, so chromedp's own (real mouse and keyboard)
// actions can target elements described the way a user would describe them.
func (tb *tab) locate(what, findJS string) string {
	tb.t.Helper()
	js := `(() => {
  const norm = s => (s || "").replace(/\s+/g, " ").trim();
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const el = (() => {` + findJS + `})();
  if (!el) return "";
  const id = "bt" + Math.random().toString(36).slice(2);
  el.setAttribute("data-bt", id);
  return '[data-bt="' + id + '"]';
})()`
	sel := run(tb, "find "+what, chromedp.Evaluate[string](js))
	if sel == "" {
		tb.failf("cannot find %s", what)
	}
	return sel
}

// field finds a form control by its label's text (ignoring hints in <small>),
// or by CSS selector when no label matches.
func (tb *tab) field(label string) string {
	tb.t.Helper()
	return tb.locate("field "+label, `
  const want = norm(`+jsString(label)+`);
  for (const l of document.querySelectorAll("label")) {
    let text = "";
    for (const n of l.childNodes) {
      if (n.nodeType === 3) text += n.textContent;
      else if (!n.matches("input,select,textarea,small")) text += n.textContent;
    }
    if (norm(text) === want && l.control && visible(l.control)) return l.control;
  }
  try { return document.querySelector(want); } catch (e) { return null; }`)
}

// clickable finds a link or button by its visible text, optionally inside the
// innermost table row, list item or card that contains near.
func (tb *tab) clickable(text, near string) string {
	tb.t.Helper()
	what := fmt.Sprintf("link or button %q", text)
	if near != "" {
		what += fmt.Sprintf(" near %q", near)
	}
	return tb.locate(what, `
  const want = norm(`+jsString(text)+`), near = norm(`+jsString(near)+`);
  let scopes = [document];
  if (near) {
    scopes = [...document.querySelectorAll("tr, li, article, fieldset, form")]
      .filter(s => norm(s.innerText).includes(near))
      .sort((a, b) => a.innerText.length - b.innerText.length);
  }
  for (const scope of scopes) {
    for (const el of scope.querySelectorAll("a, button, input[type=submit], summary, [role=button]")) {
      const label = norm(el.innerText || el.value || el.getAttribute("aria-label"));
      if (label === want && visible(el)) return el;
    }
  }
  return null;`)
}

// fill types text into a field found by label (see field), replacing what was
// there. Typing is not counted as an action.
func (tb *tab) fill(label, text string) {
	tb.t.Helper()
	sel := tb.field(label)
	run(tb, "clear "+label, chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(sel)+`).value = ""`))
	run(tb, "type into "+label, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// check ticks a checkbox by clicking it: one action.
func (tb *tab) check(label string) {
	tb.t.Helper()
	sel := tb.field(label)
	run(tb, "click "+label, chromedp.Click(chromedp.CSS(sel)))
	tb.actions++
	if !run(tb, "checked "+label, chromedp.JavascriptAttribute[bool](chromedp.CSS(sel), "checked")) {
		tb.failf("checkbox %q is not ticked after clicking it", label)
	}
}

// choose picks an option of a select by its visible text: one action (the
// browser's own picker cannot be driven through the page).
func (tb *tab) choose(label, option string) {
	tb.t.Helper()
	sel := tb.field(label)
	ok := run(tb, "choose "+option, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
  const s = document.querySelector(%s);
  const o = [...s.options].find(o => o.text.replace(/\s+/g, " ").trim() === %s);
  if (!o) return false;
  s.value = o.value;
  s.dispatchEvent(new Event("input", {bubbles: true}));
  s.dispatchEvent(new Event("change", {bubbles: true}));
  return true;
})()`, jsString(sel), jsString(option))))
	if !ok {
		tb.failf("%q has no option %q", label, option)
	}
	tb.actions++
}

// click clicks a link or button by its visible text and waits for the page it
// loads: one action. It returns the HTTP status of that page.
func (tb *tab) click(text string) int64 {
	tb.t.Helper()
	return tb.clickNear(text, "")
}

// clickNear is click for a button repeated on the page (one per row): it
// clicks the one in the row or card that mentions near.
func (tb *tab) clickNear(text, near string) int64 {
	tb.t.Helper()
	sel := tb.clickable(text, near)
	tb.actions++
	return tb.waitLoad("click "+text, chromedp.Click(chromedp.CSS(sel)))
}

// submit presses the form's button (by its text) and waits for the answer:
// one action.
func (tb *tab) submit(button string) int64 {
	tb.t.Helper()
	return tb.click(button)
}

// login signs in through the login form as a demo user.
func (tb *tab) login(email string) {
	tb.t.Helper()
	if !strings.HasSuffix(tb.path(), "/login") && !strings.HasPrefix(tb.path(), "/login?") {
		tb.open("/login")
	}
	tb.fill("Email", email)
	tb.fill("Password", models.DemoPassword)
	if status := tb.submit("Sign in"); status != http.StatusOK {
		tb.failf("signing in as %s: status %d", email, status)
	}
	if strings.HasPrefix(tb.path(), "/login") {
		tb.failf("still on the login page after signing in as %s", email)
	}
}

// journey runs a named part of a user's visit as a subtest and prints how many
// page loads and actions it took, the measure of how quick the UI is to use.
func (tb *tab) journey(name string, fn func()) {
	tb.t.Helper()
	parent := tb.t
	loads0, actions0 := tb.loads.Load(), tb.actions
	ok := parent.Run(name, func(t *testing.T) {
		tb.t = t
		defer func() { tb.t = parent }()
		fn()
	})
	tb.t = parent
	summary := fmt.Sprintf("journey %s%s: %d page loads, %d actions", name, tb.tag, tb.loads.Load()-loads0, tb.actions-actions0)
	parent.Log(summary)
	fmt.Println(summary)
	if !ok {
		parent.FailNow()
	}
}

// eventually polls a condition the user is waiting on (a background job),
// failing after a few seconds.
func eventually(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			if r < 0x20 || r == 0x2028 || r == 0x2029 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// repoFile is a path relative to the repository root (tests run in the
// package folder, two levels down).
func repoFile(elem ...string) string {
	return filepath.Join(append([]string{"..", ".."}, elem...)...)
}

// frameText is the visible text of the child frame whose address contains
// urlPart, once it has loaded. Chromium runs sandboxed frames (such as the
// email preview) in a process of their own, as a separate DevTools target, so
// the frame is found among the browser's targets and read there.
func (tb *tab) frameText(urlPart string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	for {
		targets, err := chromedp.Targets(ctx)
		if err != nil {
			tb.failf("list frames: %v", err)
		}
		for _, ti := range targets {
			if ti.Type != "iframe" || !strings.Contains(ti.URL, urlPart) {
				continue
			}
			// Detach, not close, when done: closing would remove the frame.
			fctx, fcancel := chromedp.NewContext(ctx, chromedp.WithTargetID(ti.TargetID), chromedp.WithDetachOnCancel())
			text, err := chromedp.Run(fctx, chromedp.Evaluate[string](`document.readyState === "complete" ? document.body.innerText : ""`))
			fcancel()
			if err == nil && text != "" {
				return text
			}
		}
		select {
		case <-ctx.Done():
			tb.failf("no loaded frame showing %s", urlPart)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
