//go:build ignore

// Slowest ranks the tests of a `go test -json` run by elapsed time, so the
// suite's time budget can be spent where it matters:
//
//	go test ./app -count=1 -json | go run .ci/slowest.go [-n 40] [-sub]
//
// It prints each package's wall time, the sum of its top-level tests' times
// (more than the wall time once tests run in parallel) and the slowest tests.
// Subtests (e.g. the per-database sqlite/postgres runs) are listed with -sub.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
}

type result struct {
	pkg, test, action string
	elapsed           float64
}

func main() {
	n := flag.Int("n", 40, "how many tests to list")
	sub := flag.Bool("sub", false, "list subtests as well as top-level tests")
	flag.Parse()

	var tests []result
	pkgWall := map[string]float64{}
	pkgSum := map[string]float64{}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue // a build error or other plain line
		}
		if e.Action != "pass" && e.Action != "fail" && e.Action != "skip" {
			continue
		}
		if e.Test == "" {
			pkgWall[e.Package] = e.Elapsed
			continue
		}
		top := !strings.Contains(e.Test, "/")
		if top {
			pkgSum[e.Package] += e.Elapsed
		}
		if top || *sub {
			tests = append(tests, result{e.Package, e.Test, e.Action, e.Elapsed})
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "slowest:", err)
		os.Exit(1)
	}

	pkgs := make([]string, 0, len(pkgWall))
	for p := range pkgWall {
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgWall[pkgs[i]] > pkgWall[pkgs[j]] })
	for _, p := range pkgs {
		fmt.Printf("%-40s wall %7.1fs   tests' sum %7.1fs\n", p, pkgWall[p], pkgSum[p])
	}
	fmt.Println()

	sort.Slice(tests, func(i, j int) bool { return tests[i].elapsed > tests[j].elapsed })
	if len(tests) > *n {
		tests = tests[:*n]
	}
	for _, r := range tests {
		fmt.Printf("%7.2fs  %-4s  %s  %s\n", r.elapsed, r.action, r.pkg, r.test)
	}
}
