package jobs

import (
	"context"
	"log/slog"
	"strings"
)

// riverLogHandler passes River's log records on, except that its periodic
// "Producer job counts" line (every few seconds per queue, at info level) is
// demoted to debug: at info it buries the lines a person running
// `pressroom dev` needs to see.
type riverLogHandler struct {
	slog.Handler
}

// chattyRiverMessage ends the message River logs every few seconds per queue.
const chattyRiverMessage = "Producer job counts"

func (h riverLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level > slog.LevelDebug && strings.HasSuffix(r.Message, chattyRiverMessage) {
		r.Level = slog.LevelDebug
		if !h.Handler.Enabled(ctx, r.Level) {
			return nil
		}
	}
	return h.Handler.Handle(ctx, r)
}

// Enabled lets every level through to Handle, which decides once it knows the
// message.
func (h riverLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.Handler.Enabled(ctx, l)
}

func (h riverLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return riverLogHandler{h.Handler.WithAttrs(as)}
}

func (h riverLogHandler) WithGroup(name string) slog.Handler {
	return riverLogHandler{h.Handler.WithGroup(name)}
}

// RiverLogger wraps a logger for River (see riverLogHandler).
func RiverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(riverLogHandler{l.Handler()})
}
