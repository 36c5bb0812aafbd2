package jobs

import "context"

// DispatchSendWith runs a dispatch job's work with the River client that
// inserts its batch jobs, for tests that play River's scheduler by hand.
func DispatchSendWith(ctx context.Context, w *DispatchSendWorker, client *Client, sendID string) error {
	return w.dispatch(ctx, client, sendID)
}
