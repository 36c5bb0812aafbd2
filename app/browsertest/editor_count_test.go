package browsertest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestHeadlineCountsAsYouType: the editor's headline count follows typing and
// pasting live, says by how much a pasted headline is too long instead of
// cutting it, and the refused save keeps the whole headline with the count
// and the reason. Checked with axe-core and photographed at 1280 and 390 px.
func TestHeadlineCountsAsYouType(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	axe := axeSource(t)
	shots := newShots(t)
	count := func() (string, bool) {
		got := run(tb, "headline count", chromedp.Evaluate[[]string](`(() => {
  const c = document.getElementById("headline-count");
  return [c.textContent, String(c.classList.contains("char-count-over"))];
})()`))
		return got[0], got[1] == "true"
	}
	tb.login("press@example.org")
	tb.open("/admin/releases/new?kind=press_release")
	if got, over := count(); got != "0 of 300 characters" || over {
		tb.failf("empty headline's count = %q (over %v)", got, over)
	}
	tb.fill("Headline", "Ceasefire now")
	if got, over := count(); got != "13 of 300 characters" || over {
		tb.failf("after typing 13 characters the count reads %q (over %v)", got, over)
	}
	// A paste is one input event carrying the whole text, as insertText sends.
	long := strings.Repeat("é", 290) + " ceasefire" + strings.Repeat("!", 5)
	run(tb, "paste a long headline", chromedp.Evaluate[chromedp.Void](`(() => {
  const h = document.getElementById("headline");
  h.focus(); h.select();
  document.execCommand("insertText", false, `+jsString(long)+`);
})()`))
	if got, over := count(); got != "305 of 300 characters: 5 too many" || !over {
		tb.failf("after pasting 305 characters the count reads %q (over %v)", got, over)
	}
	if n := run(tb, "headline length", chromedp.Evaluate[int64](`Array.from(document.getElementById("headline").value).length`)); n != 305 {
		tb.failf("the browser cut the pasted headline to %d characters", n)
	}
	tb.checkA11y(axe)
	shots.capture(tb, "editor-headline-too-long")
	tb.fill("Body", "The fighting must stop.")
	if status := tb.submit("Save"); status != http.StatusUnprocessableEntity {
		tb.failf("saving a 305-character headline: status %d, want 422", status)
	}
	tb.expectText("Shorten the headline to 300 characters or fewer: it has 305.")
	if got, over := count(); got != "305 of 300 characters: 5 too many" || !over {
		tb.failf("the refused form's count reads %q (over %v)", got, over)
	}
	tb.checkA11y(axe)
}
