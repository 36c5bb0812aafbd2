package browsertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"pressroom/models"
)

// focus describes the element that has keyboard focus.
type focus struct {
	Name    string `json:"name"`    // its label, text or value
	Tag     string `json:"tag"`     // lower-case tag name
	Visible bool   `json:"visible"` // on screen with a drawn focus indicator
}

func (f focus) String() string { return fmt.Sprintf("%s %q", f.Tag, f.Name) }

// focused reports which element has focus and whether a sighted keyboard user
// can see where it is: on screen, with an outline or focus ring drawn.
func (tb *tab) focused() focus {
	tb.t.Helper()
	return run(tb, "focused element", chromedp.Evaluate[focus](`(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {name: "", tag: "body", visible: false};
  const norm = s => (s || "").replace(/\s+/g, " ").trim();
  let name = "";
  if (el.labels && el.labels.length) {
    name = [...el.labels[0].childNodes].filter(n => n.nodeType === 3 || !n.matches("input,select,textarea,small")).map(n => n.textContent).join("");
  }
  name = norm(name || el.innerText || el.value || el.getAttribute("aria-label"));
  const cs = getComputedStyle(el), r = el.getBoundingClientRect();
  const ring = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0) || (cs.boxShadow && cs.boxShadow !== "none");
  const onScreen = r.width > 0 && r.height > 0 && r.right > 0 && r.left < innerWidth && r.bottom > 0 && r.top < innerHeight;
  return {name, tag: el.tagName.toLowerCase(), visible: !!ring && onScreen};
})()`))
}

// press presses a named key (kb.Tab, kb.Enter…) on whatever has focus: one
// action. It does not wait for a page; see pressLoad.
func (tb *tab) press(key string) {
	tb.t.Helper()
	run(tb, "press key", chromedp.KeyEvent(key))
	tb.actions++
}

// pressLoad presses a key that makes the browser load a page (Enter on a link
// or in a form) and waits for it: one action.
func (tb *tab) pressLoad(key string) int64 {
	tb.t.Helper()
	tb.actions++
	return tb.waitLoad("press key", chromedp.KeyEvent(key))
}

// typeText types into the focused field, as a user does after tabbing to it.
// Typing is not an action.
func (tb *tab) typeText(text string) {
	tb.t.Helper()
	run(tb, "type", chromedp.KeyEvent(text))
}

// tabTo presses Tab until the named element has focus, checking at every stop
// that the focus is visible, and returns the stops in order. It fails after
// max presses: the element is not reachable by keyboard where a user would
// look for it.
func (tb *tab) tabTo(name string, max int) []focus {
	tb.t.Helper()
	var stops []focus
	for range max {
		tb.press(kb.Tab)
		f := tb.focused()
		stops = append(stops, f)
		if !f.Visible {
			tb.failf("after %d Tab presses focus is on %s, which shows no visible focus indicator (stops: %v)", len(stops), f, stops)
		}
		if f.Name == name {
			return stops
		}
	}
	tb.failf("%q not reached in %d Tab presses; focus went %v", name, max, stops)
	return nil
}

// expectFocus checks where the focus is. The browser applies autofocus at
// its next rendering step after the load event, not at it, so a loaded page
// gets a moment (far less than a person takes to start typing) before the
// focus counts as wrong.
func (tb *tab) expectFocus(name string) {
	tb.t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		f := tb.focused()
		if f.Name == name && f.Visible {
			return
		}
		if time.Now().After(deadline) {
			tb.failf("focus is on %s (visible: %v), want %q with a visible focus indicator", f, f.Visible, name)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKeyboardOnly signs in and creates a group with the keyboard alone: the
// focus order follows the page, every stop shows where focus is, Enter
// follows links and submits forms, and the skip link jumps past the menu.
func TestKeyboardOnly(t *testing.T) {
	tb := newTab(t)
	tb.journey("keyboard-create-group", func() {
		tb.open("/login")
		tb.expectFocus("Email") // autofocus: the user can type at once
		tb.typeText("admin@example.org")
		tb.tabTo("Password", 1)
		tb.typeText(models.DemoPassword)
		tb.tabTo("Sign in", 1)
		tb.pressLoad(kb.Enter)
		tb.expectPath("/admin")

		// The skip link is first, and it appears when focused.
		tb.tabTo("Skip to content", 1)
		stops := tb.tabTo("Settings", 12)
		t.Logf("dashboard focus order after the skip link: %v", stops)
		if got := stops[0].Name; got != "Pressroom" {
			tb.failf("after the skip link focus went to %q, want the Pressroom home link", got)
		}
		tb.pressLoad(kb.Enter)
		tb.expectPath("/admin/settings")
		tb.tabTo("Skip to content", 1)
		tb.press(kb.Enter)
		tb.tabTo("Groups", 3)
		tb.pressLoad(kb.Enter)
		tb.expectPath("/admin/groups")

		// Skip the menu, then through the backup buttons to the new-group form.
		tb.tabTo("Skip to content", 1)
		tb.press(kb.Enter)
		stops = tb.tabTo("Name", 12)
		if first := stops[0]; first.Name == "Pressroom" {
			tb.failf("the skip link did not move focus past the menu")
		}
		tb.typeText("Rapid response")
		tb.tabTo("Description", 1)
		tb.typeText("Out-of-hours sign-off")
		if status := tb.pressLoad(kb.Enter); status != 200 {
			tb.failf("create group by Enter: status %d", status)
		}
		tb.expectPath("/admin/groups")
		tb.expectText("Group Rapid response created.", "Out-of-hours sign-off")
		if !strings.Contains(tb.textOf("main article:has(h2)"), "Director") {
			tb.failf("the groups list is missing after creating a group")
		}
	})
}
