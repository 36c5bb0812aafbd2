package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	readmeLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// readmePath is a code span holding a path: words, dots and slashes.
	readmePath = regexp.MustCompile("`(\\.{0,2}/?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.*-]*)+)`")
	// readmeRoots are the repository's own top-level folders: a code span
	// under one of them names a file the README expects the reader to find.
	// (Others are import paths, time zones, networks, rates or server paths.)
	readmeRoots = []string{"app/", "models/", "jobs/", "templates/", "migrations/", "cmd/", "internal/", "pdffont/", ".ci/"}
)

// TestReadmeNamesOnlyFilesACloneHas: every file or folder the README links
// to or names in a code span is in the repository, and none lies outside it
// (a clone has no "../shared/API.md"), so a newcomer following the README
// never meets a missing file.
func TestReadmeNamesOnlyFilesACloneHas(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	var paths []string
	for _, m := range readmeLink.FindAllStringSubmatch(text, -1) {
		if target := m[1]; !strings.Contains(target, ":") && !strings.HasPrefix(target, "#") {
			paths = append(paths, strings.SplitN(target, "#", 2)[0])
		}
	}
	for _, m := range readmePath.FindAllStringSubmatch(text, -1) {
		p := m[1]
		if strings.HasPrefix(p, "../") || slices.ContainsFunc(readmeRoots, func(r string) bool { return strings.HasPrefix(p, r) }) {
			paths = append(paths, p)
		}
	}
	for _, p := range paths {
		if strings.HasPrefix(p, "../") || filepath.IsAbs(p) {
			t.Errorf("README names %q, outside the repository: a clone does not have it", p)
			continue
		}
		if strings.ContainsAny(p, "*") {
			if ms, _ := filepath.Glob(p); len(ms) == 0 {
				t.Errorf("README names %q, which matches no file in the repository", p)
			}
			continue
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("README names %q, which is not in the repository", p)
		}
	}
}
