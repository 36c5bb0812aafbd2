package jobs

import (
	"context"
)

// DefaultSendsInFlight is how many provider requests of sends one worker process
// has outstanding at once: one. A request the provider accepted but whose
// checkpoint was not yet committed is what a crash duplicates, so this number is
// the most batches one crash can duplicate (README "Sending guarantees").
const DefaultSendsInFlight = 1

// MaxSendsInFlight caps SendsInFlight: each request in flight holds an encoded
// body of up to 1,000 personalizations in memory, and a job slot.
const MaxSendsInFlight = 64

// sendGate bounds a process's send requests in flight. A batch holds it from
// just before its request until its checkpoint is committed; everything else
// (claiming, loading and re-checking recipients, rendering, encoding the body,
// recording the recipient rows) happens outside it, in the other job slots of
// the sends queue, so the single request in flight is never waiting for the
// database.
type sendGate chan struct{}

func newSendGate(n int) sendGate {
	if n <= 0 {
		n = DefaultSendsInFlight
	}
	n = min(n, MaxSendsInFlight)
	return make(sendGate, n)
}

// enter waits for a free slot, or for ctx. A nil gate (a worker built by hand in
// a test, one job at a time) never waits.
func (g sendGate) enter(ctx context.Context) error {
	if g == nil {
		return nil
	}
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g sendGate) leave() {
	if g != nil {
		<-g
	}
}
