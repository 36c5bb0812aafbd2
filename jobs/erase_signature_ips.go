package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"pressroom/models"
)

// EraseSignatureIPsArgs is the periodic job that cuts signers' IP addresses to
// their network prefix once SIGNATURE_IP_DAYS have passed: abuse handling
// needs them for a while, nobody needs them for ever.
type EraseSignatureIPsArgs struct{}

// Kind implements river.JobArgs.
func (EraseSignatureIPsArgs) Kind() string { return "erase_signature_ips" }

// DefaultSignatureIPKeep is how long a signer's full IP address is kept.
const DefaultSignatureIPKeep = 30 * 24 * time.Hour

// EraseSignatureIPsWorker erases them.
type EraseSignatureIPsWorker struct {
	river.WorkerDefaults[EraseSignatureIPsArgs]
	Deps
}

// Work erases every address past the window.
func (w *EraseSignatureIPsWorker) Work(ctx context.Context, job *river.Job[EraseSignatureIPsArgs]) error {
	keep := w.SignatureIPKeep
	if keep <= 0 {
		keep = DefaultSignatureIPKeep
	}
	n, err := models.EraseSignatureIPs(ctx, w.DB.Gorm, keep, w.Clock.Now())
	if n > 0 {
		w.Logger.InfoContext(ctx, "signature IPs erased", "signatures", n)
	}
	if err != nil {
		return err
	}
	// Letter writers' addresses follow the same window.
	n, err = models.EraseLetterIPs(ctx, w.DB.Gorm, keep, w.Clock.Now())
	if n > 0 {
		w.Logger.InfoContext(ctx, "letter IPs erased", "letters", n)
	}
	return err
}
