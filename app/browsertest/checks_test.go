package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The widths every main page is checked and photographed at.
const (
	desktopWidth = 1280
	phoneWidth   = 390
)

// axeViolation is the part of an axe-core result a failure message needs.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  []any  `json:"target"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// axeSource reads the vendored axe-core (testdata/axe at the repository root).
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(repoFile("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatalf("read vendored axe-core: %v", err)
	}
	return string(b)
}

// checkA11y runs axe-core on the current page and fails on any serious or
// critical violation, naming the rule, its impact, the fix and the elements.
// The script goes in through the DevTools protocol (Runtime.evaluate), which
// the page's script-src 'self' policy does not apply to, so the CSP stays
// strict. Minor and moderate findings are logged, not failed.
func (tb *tab) checkA11y(axe string) {
	tb.t.Helper()
	if !run(tb, "axe loaded", chromedp.Evaluate[bool](`typeof window.axe === "object"`)) {
		run(tb, "inject axe-core", chromedp.Evaluate[chromedp.Void](axe))
	}
	vs := run(tb, "run axe-core", chromedp.Evaluate[[]axeViolation](`axe.run(document, {
  iframes: false,
  resultTypes: ["violations"],
}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
  nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))})))`, chromedp.EvalAwaitPromise))
	var bad []string
	for _, v := range vs {
		var targets []string
		for _, n := range v.Nodes {
			targets = append(targets, fmt.Sprint(n.Target...))
		}
		line := fmt.Sprintf("%s [%s] %s (%s)\n      at %s", v.ID, v.Impact, v.Help, v.HelpURL, strings.Join(targets, ", "))
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, line)
		} else {
			tb.t.Logf("axe (not failing, %s): %s", v.Impact, line)
		}
	}
	if len(bad) > 0 {
		tb.t.Errorf("axe-core: %d serious or critical violation(s) on %s:\n  %s", len(bad), tb.path(), strings.Join(bad, "\n  "))
	}
}

// onPhone makes the tab a 390 px phone (capture leaves it at desktop size,
// so a journey on a phone calls this after each capture) and checks the page
// is laid out at that width.
func (tb *tab) onPhone() {
	tb.t.Helper()
	run(tb, "phone viewport", chromedp.EmulateViewport(phoneWidth, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait))
	// about:blank has no viewport meta tag, so lays out at 980 px.
	if run(tb, "location", chromedp.Evaluate[string](`location.href`)) == "about:blank" {
		return
	}
	if w := run(tb, "viewport width", chromedp.Evaluate[int](`window.innerWidth`)); w != phoneWidth {
		tb.failf("viewport is %d px wide, not a phone", w)
	}
}

// shots is the folder screenshots go to: $PRESSROOM_SCREENSHOTS, or a new
// temporary folder. It is outside the repository and kept after the test, so
// a person can look at the pages.
type shots struct {
	dir string
}

func newShots(t *testing.T) *shots {
	t.Helper()
	dir := os.Getenv("PRESSROOM_SCREENSHOTS")
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		var err error
		if dir, err = os.MkdirTemp("", "pressroom-screenshots-"); err != nil {
			t.Fatal(err)
		}
	}
	msg := "browser screenshots: " + dir
	t.Log(msg)
	fmt.Println(msg)
	return &shots{dir: dir}
}

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// capture photographs the whole current page at desktop and phone widths and
// checks that at phone width nothing makes the page scroll sideways (wide
// content must scroll inside its own box).
func (s *shots) capture(tb *tab, name string) {
	tb.t.Helper()
	base := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(name), "-"), "-")
	for _, w := range []struct {
		label  string
		width  int64
		height int64
		opts   []chromedp.EmulateViewportOption
	}{
		{"desktop", desktopWidth, 900, nil},
		{"phone", phoneWidth, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulatePortrait}},
	} {
		run(tb, "resize to "+w.label, chromedp.EmulateViewport(w.width, w.height, w.opts...))
		if w.label == "phone" {
			overflow := run(tb, "page width", chromedp.Evaluate[string](`(() => {
  const vw = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= vw) return "";
  const out = [...document.querySelectorAll("body *")].filter(el => el.getBoundingClientRect().right > vw + 1);
  // Prefer what is not inside a scrolling box; an absolutely positioned
  // element can escape its box, so fall back to everything that sticks out.
  const loose = out.filter(el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return false;
    }
    return true;
  });
  const wide = (loose.length ? loose : out).slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : ""));
  return document.documentElement.scrollWidth + "px wide; sticking out: " + wide.join(", ");
})()`))
			if overflow != "" {
				tb.t.Errorf("%s scrolls sideways on a %dpx phone: %s", name, phoneWidth, overflow)
			}
		}
		png := run(tb, "screenshot "+name, pageScreenshot(w.width, w.opts...))
		if err := os.WriteFile(filepath.Join(s.dir, base+"-"+w.label+".png"), png, 0o644); err != nil {
			tb.t.Fatal(err)
		}
	}
	run(tb, "resize back", chromedp.EmulateViewport(desktopWidth, 900))
}

// pageScreenshot photographs the whole page, as tall as it is, by making the
// window that tall and capturing the window. chromedp.FullScreenshot
// captures "beyond the viewport" instead, and Chromium then draws a
// right-to-left page shifted to the right (about 140 px at 1280 px: the
// masthead cut off at one side, the article off centre) although the page is
// laid out correctly, as the elements' positions and a window capture show.
func pageScreenshot(width int64, opts ...chromedp.EmulateViewportOption) chromedp.Action[[]byte] {
	return func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		h, err := chromedp.Evaluate[int64](`document.documentElement.scrollHeight`)(ctx, t)
		if err != nil {
			return nil, err
		}
		if _, err := chromedp.EmulateViewport(width, max(h, 1), opts...)(ctx, t); err != nil {
			return nil, err
		}
		return chromedp.CaptureScreenshot()(ctx, t)
	}
}
