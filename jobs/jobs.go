// Package jobs runs Pressroom's background work on River: mail delivery, sends,
// embargo lifts, webhook processing and escalations. One file per job; each has an
// XxxArgs with a stable Kind and an XxxWorker holding its dependencies. The mail
// transports (SendGrid and the development outbox) live here too.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"gorm.io/gorm"

	"pressroom/models"
)

// Client is the River client type on both databases: both drivers work on
// database/sql, so a GORM transaction's *sql.Tx can carry an insert.
type Client = river.Client[*sql.Tx]

// Deps are what the workers need. main builds one and passes it to Register.
type Deps struct {
	DB       *models.DB
	Mail     Transport
	Clock    models.Clock
	Logger   *slog.Logger
	BaseURL  string
	MailFrom Address
	// UnsubscribeKey signs supporters' one-click unsubscribe links (the session
	// secret, as the web process uses to check them).
	UnsubscribeKey []byte
	// MediaKey signs the media links of emails about a release not yet public
	// (models.MediaLinkKey of the session secret, as the web process checks
	// them); nil leaves them public (they answer from the lift).
	MediaKey []byte
	// SendsInFlight bounds this process's send requests that the provider may
	// have accepted before their checkpoint is committed, which is what one crash
	// can duplicate; 0 means DefaultSendsInFlight (one). Raising it trades that
	// guarantee for throughput per process; more worker processes scale without
	// giving it up.
	SendsInFlight int
	// SettleWait, when positive, is how long a batch found "submitting" after a
	// crash waits for the provider's "processed" events of its recipients
	// (SendGrid's Event Webhook) before the recipients without one are sent
	// again; those with one are not (SEND_SETTLE_WAIT). Zero resends the whole
	// batch at once: without the webhook no events come.
	SettleWait time.Duration
	// Liveness is this process's proof of life (StartRescuer keeps it): no send
	// request starts while it cannot be proven. Nil means always alive.
	Liveness *Liveness
	// SignaturePendingTTL is how long unconfirmed signatures are kept
	// (SIGNATURE_PENDING_DAYS); 0 means DefaultSignaturePendingTTL.
	SignaturePendingTTL time.Duration
	// SignatureIPKeep is how long signers' full IPs are kept (SIGNATURE_IP_DAYS);
	// 0 means DefaultSignatureIPKeep.
	SignatureIPKeep time.Duration
	// SignatureTrendingThreshold is how many signatures an hour from one IP or
	// email domain email the campaigners (SIGNATURE_TRENDING_THRESHOLD); 0
	// means models.TrendingThreshold.
	SignatureTrendingThreshold int
}

// Register adds every worker to a River worker bundle.
func Register(workers *river.Workers, deps Deps) {
	if deps.Clock == nil {
		deps.Clock = models.SystemClock{}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	river.AddWorker(workers, &DeliverMailWorker{Mail: deps.Mail})
	river.AddWorker(workers, &SignatureMailWorker{Deps: deps})
	river.AddWorker(workers, &SignatureMailsWorker{Deps: deps})
	river.AddWorker(workers, &NotifyApproversWorker{Deps: deps})
	river.AddWorker(workers, &EscalateOverdueWorker{Deps: deps})
	river.AddWorker(workers, &PublishDueWorker{Deps: deps})
	river.AddWorker(workers, &ImportAudienceWorker{DB: deps.DB})
	river.AddWorker(workers, &DispatchSendWorker{Deps: deps})
	// One gate and one content cache per process: the gate's bound is per
	// process, and every batch of a send shares its rendering.
	river.AddWorker(workers, &SendBatchWorker{Deps: deps, gate: newSendGate(deps.SendsInFlight), content: newContentCache()})
	river.AddWorker(workers, &ProcessWebhookEventsWorker{DB: deps.DB})
	river.AddWorker(workers, &CountSignaturesWorker{Deps: deps})
	river.AddWorker(workers, &RecountSignaturesWorker{Deps: deps})
	river.AddWorker(workers, &ClosePetitionsWorker{Deps: deps})
	river.AddWorker(workers, &ExpireSignaturesWorker{Deps: deps})
	river.AddWorker(workers, &EraseSignatureIPsWorker{Deps: deps})
	river.AddWorker(workers, &InvalidateSignaturesWorker{Deps: deps})
	river.AddWorker(workers, &NotifyTrendingSourcesWorker{Deps: deps})
	river.AddWorker(workers, &DeliverLetterWorker{Deps: deps})
}

// periodicJobs are the sweeps every worker process schedules; River's leader
// election makes sure only one process enqueues each tick.
func periodicJobs(opts ClientOptions) []*river.PeriodicJob {
	count := opts.SignatureCountInterval
	if count <= 0 {
		count = DefaultSignatureCountInterval
	}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(count), func() (river.JobArgs, *river.InsertOpts) {
			return CountSignaturesArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: uniqueWhileQueued}
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "count_signatures"}),
		river.NewPeriodicJob(river.PeriodicInterval(RecountInterval), func() (river.JobArgs, *river.InsertOpts) {
			return RecountSignaturesArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: uniqueWhileQueued}
		}, &river.PeriodicJobOpts{ID: "recount_signatures"}),
		river.NewPeriodicJob(river.PeriodicInterval(ClosePetitionsInterval), func() (river.JobArgs, *river.InsertOpts) {
			return ClosePetitionsArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: uniqueWhileQueued}
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "close_petitions"}),
		river.NewPeriodicJob(river.PeriodicInterval(RetentionInterval), func() (river.JobArgs, *river.InsertOpts) {
			return ExpireSignaturesArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: uniqueWhileQueued}
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "expire_signatures"}),
		river.NewPeriodicJob(river.PeriodicInterval(RetentionInterval), func() (river.JobArgs, *river.InsertOpts) {
			return EraseSignatureIPsArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: uniqueWhileQueued}
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "erase_signature_ips"}),
		river.NewPeriodicJob(river.PeriodicInterval(TrendingInterval), func() (river.JobArgs, *river.InsertOpts) {
			return NotifyTrendingSourcesArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: uniqueWhileQueued}
		}, &river.PeriodicJobOpts{ID: "notify_trending_sources"}),
		river.NewPeriodicJob(river.PeriodicInterval(PublishInterval), func() (river.JobArgs, *river.InsertOpts) {
			return PublishDueArgs{}, &river.InsertOpts{MaxAttempts: 1}
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "publish_due"}),
		river.NewPeriodicJob(river.PeriodicInterval(EscalateInterval), func() (river.JobArgs, *river.InsertOpts) {
			return EscalateOverdueArgs{}, &river.InsertOpts{MaxAttempts: 1}
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "escalate_overdue"}),
	}
}

// QueueSends is the queue of send batch jobs, apart from the default queue so
// that a million-recipient send never delays an embargo lift or a notification.
const QueueSends = "sends"

// sendQueueWorkers is the sends queue's job slots per process. Only
// SendsInFlight of them hold a provider request at a time; the others claim,
// load, re-check, render and encode the next batches and record the last one,
// so the request in flight is never waiting for the database. Six keep it fed
// on two cores while a prepared batch waits for the gate; more only hold more
// encoded requests in memory.
const sendQueueWorkers = 6

// sendQueueFetchCooldown is how often the sends queue may fetch jobs. A fetch
// fills only the free slots, so at the client's 50 ms cadence six slots would
// cap a send at 120 batches a second whatever the machine.
const sendQueueFetchCooldown = 10 * time.Millisecond

// ClientOptions tune the River client.
type ClientOptions struct {
	// Work makes the client fetch and run jobs; without it the client only inserts
	// (the web process).
	Work bool
	// MaxWorkers bounds concurrent jobs in the default queue; 0 means 20.
	MaxWorkers int
	Logger     *slog.Logger
	// NoPeriodic leaves out the periodic sweeps (tests that drive them by hand).
	NoPeriodic bool
	// SendsInFlight is the worker's Deps.SendsInFlight: the sends queue gets
	// that many job slots more than sendQueueWorkers' spare ones, so batches
	// waiting at the provider never starve the ones being prepared.
	SendsInFlight int
	// SignatureCountInterval is how often the count job runs
	// (SIGNATURE_COUNT_INTERVAL); 0 means DefaultSignatureCountInterval.
	SignatureCountInterval time.Duration
}

// NewClient builds the River client for the database's dialect. On PostgreSQL it
// listens for new jobs through a pgx connection from the shared pool; on SQLite it
// polls.
func NewClient(db *models.DB, workers *river.Workers, opts ClientOptions) (*Client, error) {
	var driver riverdriver.Driver[*sql.Tx]
	if db.Dialect == models.Postgres {
		driver = riverdatabasesql.NewWithPgxListener(db.SQL, db.Pool)
	} else {
		driver = riversqlite.New(db.SQL)
	}
	cfg := &river.Config{
		Workers:           workers,
		Logger:            opts.Logger,
		FetchCooldown:     50 * time.Millisecond,
		FetchPollInterval: 250 * time.Millisecond,
		JobTimeout:        5 * time.Minute,
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = RiverLogger(cfg.Logger)
	if opts.Work {
		n := opts.MaxWorkers
		if n == 0 {
			n = 20
		}
		if db.Dialect == models.SQLite && n > 4 {
			// One connection serves everything on SQLite; more workers only queue on it.
			n = 4
		}
		sends := sendQueueWorkers
		if opts.SendsInFlight > DefaultSendsInFlight {
			sends += min(opts.SendsInFlight, MaxSendsInFlight) - DefaultSendsInFlight
		}
		if db.Dialect == models.SQLite {
			sends = 2
		}
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n},
			QueueSends: {MaxWorkers: sends, FetchCooldown: sendQueueFetchCooldown}}
		if !opts.NoPeriodic {
			cfg.PeriodicJobs = periodicJobs(opts)
		}
	}
	c, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	return c, nil
}

// EnqueueTx inserts a job inside the GORM transaction tx, so the job exists if and
// only if the data it works on was committed.
func EnqueueTx(ctx context.Context, client *Client, tx *gorm.DB, args river.JobArgs, opts *river.InsertOpts) error {
	sqlTx, err := SQLTx(tx)
	if err != nil {
		return err
	}
	if _, err := client.InsertTx(ctx, sqlTx, args, opts); err != nil {
		return fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// SQLTx digs the *sql.Tx out of a GORM transaction.
func SQLTx(tx *gorm.DB) (*sql.Tx, error) {
	if sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx); ok {
		return sqlTx, nil
	}
	return nil, errors.New("jobs: enqueue needs a *gorm.DB inside a transaction")
}
