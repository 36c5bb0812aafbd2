package main

import (
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

// TestFlags defines the bench's flags and prints its help: a flag defined
// twice (as two rows' profiles once were) panics before any row runs, and
// nothing else in the suite starts the bench.
func TestFlags(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"-h"}, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run -h = %v, want flag.ErrHelp", err)
	}
}
