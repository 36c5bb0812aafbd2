package browsertest

import "testing"

func TestSmoke(t *testing.T) {
	tb := newTab(t)
	tb.journey("smoke", func() {
		tb.login("admin@example.org")
		tb.expectText("Dashboard")
		tb.checkA11y(axeSource(t))
	})
}
