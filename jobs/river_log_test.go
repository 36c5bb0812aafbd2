package jobs_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"pressroom/jobs"
)

// TestRiverJobCountsOnlyAtDebug: River's "Producer job counts" line, logged
// every few seconds at info, shows only at debug level; its other lines keep
// their level.
func TestRiverJobCountsOnlyAtDebug(t *testing.T) {
	var info, debug bytes.Buffer
	atInfo := jobs.RiverLogger(slog.New(slog.NewTextHandler(&info, &slog.HandlerOptions{Level: slog.LevelInfo})))
	atDebug := jobs.RiverLogger(slog.New(slog.NewTextHandler(&debug, &slog.HandlerOptions{Level: slog.LevelDebug})))
	for _, l := range []*slog.Logger{atInfo, atDebug} {
		l.With("queue", "default").Info("producer: Producer job counts", "num_completed_jobs", 0)
		l.Info("producer: Run loop started")
	}
	if strings.Contains(info.String(), "job counts") || !strings.Contains(info.String(), "level=INFO msg=\"producer: Run loop started\"") {
		t.Errorf("at info:\n%s", info.String())
	}
	if !strings.Contains(debug.String(), "level=DEBUG msg=\"producer: Producer job counts\" queue=default") {
		t.Errorf("at debug:\n%s", debug.String())
	}
}
