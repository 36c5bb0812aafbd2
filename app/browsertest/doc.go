// Package browsertest drives the real Pressroom server in headless Chromium:
// user journeys, keyboard-only use, axe-core accessibility checks and
// screenshots at desktop and phone widths. Everything lives in its _test.go
// files; this file only names the package.
//
// The suite needs the chromium binary on PATH. Without it the tests skip,
// except when the CI variable is set, where a missing browser is a failure.
package browsertest
