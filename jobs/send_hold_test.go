package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// holdRig runs sends of one release through the real dispatch and batch
// workers on a fixed clock, job by job: River inserts the jobs (dispatch jobs
// for their scheduled time, batch jobs on materialisation) and the test plays
// the part of River's scheduler, running each job when the clock says so.
type holdRig struct {
	*sendEnv
	clock  *models.FixedClock
	client *jobs.Client
	ctx    context.Context
}

func newHoldRig(t *testing.T, db *models.DB) *holdRig {
	t.Helper()
	e := newSendEnv(t, db)
	clock := models.NewFixedClock(time.Now().UTC().Truncate(time.Second))
	e.deps.Clock = clock
	workers := river.NewWorkers()
	jobs.Register(workers, e.deps)
	client, err := jobs.NewClient(db, workers, jobs.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &holdRig{sendEnv: e, clock: clock, client: client, ctx: context.Background()}
}

// mediaList makes a media list of journalists with the given addresses.
func (r *holdRig) mediaList(t *testing.T, name string, emails ...string) string {
	t.Helper()
	l, err := models.CreateMediaList(r.ctx, r.db.Gorm, name, "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range emails {
		ids = append(ids, contact(t, r.db, e, false).ID)
	}
	if err := models.AddContactsToList(r.ctx, r.db.Gorm, l.ID, ids); err != nil {
		t.Fatal(err)
	}
	return l.ID
}

// supporterList makes a list of subscribed supporters with the given addresses.
func (r *holdRig) supporterList(t *testing.T, name string, emails ...string) string {
	t.Helper()
	l, err := models.CreateSupporterList(r.ctx, r.db.Gorm, name, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range emails {
		supporter(t, r.db, l.ID, e, models.StatusSubscribed)
	}
	return l.ID
}

// send creates and dispatches a send now, its dispatch job inserted for its time.
func (r *holdRig) send(t *testing.T, by *models.User, in models.SendInput) *models.Send {
	t.Helper()
	s, err := models.CreateSend(r.ctx, r.db.Gorm, by, in, r.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err = models.DispatchSend(r.ctx, r.db.Gorm, by, s.ID, r.clock.Now(), func(tx *gorm.DB, s *models.Send) error {
		return jobs.EnqueueDispatch(r.ctx, r.client, tx, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dispatch runs a send's dispatch job now, as River would at its time.
func (r *holdRig) dispatch(t *testing.T, id string) error {
	t.Helper()
	return jobs.DispatchSendWith(r.ctx, &jobs.DispatchSendWorker{Deps: r.deps}, r.client, id)
}

// runBatches runs every batch job of a send whose batch is still to go, in
// order, and returns what each job answered.
func (r *holdRig) runBatches(t *testing.T, id string) []error {
	t.Helper()
	var nos []int
	if err := r.db.Gorm.Table("send_batches").Where("send_id = ? AND status IN ?", id, []string{models.BatchPending, models.BatchSubmitting}).
		Order("batch_no").Pluck("batch_no", &nos).Error; err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, n := range nos {
		errs = append(errs, r.work(t, id, n))
	}
	return errs
}

// deliveries counts the fake SendGrid's accepted messages per address.
func (r *holdRig) deliveries() map[string]int {
	got := map[string]int{}
	for _, rc := range r.fake.Recipients() {
		got[rc.Email]++
	}
	return got
}

// expectDeliveries checks the per-address count of every address named.
func (r *holdRig) expectDeliveries(t *testing.T, when string, want map[string]int) {
	t.Helper()
	got := r.deliveries()
	for email, n := range want {
		if got[email] != n {
			t.Errorf("%s: %s received %d messages, want %d (all: %v)", when, email, got[email], n, got)
		}
	}
}

// expectHeld checks a send is held with a reason that says why.
func (r *holdRig) expectHeld(t *testing.T, id, reason string) *models.Send {
	t.Helper()
	s, err := models.SendByID(r.ctx, r.db.Gorm, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != models.SendPaused || !strings.Contains(s.HeldReason, reason) {
		t.Fatalf("send %s is %s, held %q; want paused, held because %q", id, s.Status, s.HeldReason, reason)
	}
	return s
}

// snoozedFor reports whether a job answered with a snooze, and for how long.
func snoozedFor(err error) (time.Duration, bool) {
	var sn *rivertype.JobSnoozeError
	if errors.As(err, &sn) {
		return sn.Duration, true
	}
	return 0, false
}

// moveEmbargo edits a release's embargo, which sends it back to review.
func (r *holdRig) moveEmbargo(t *testing.T, by *models.User, id string, to time.Time) {
	t.Helper()
	at := &to
	d, err := models.UpdateDocument(r.ctx, r.db.Gorm, by, id, models.DocumentInput{EmbargoAt: &at}, r.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != models.StatusInReview {
		t.Fatalf("re-embargoed release is %s, want in_review", d.Status)
	}
}

// repoint re-points a held send, its new dispatch job (if any) inserted.
func (r *holdRig) repoint(t *testing.T, by *models.User, id string) *models.Send {
	t.Helper()
	s, err := models.RepointSend(r.ctx, r.db.Gorm, by, id, r.clock.Now(), func(tx *gorm.DB, s *models.Send) error {
		return jobs.EnqueueDispatch(r.ctx, r.client, tx, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dispatchJobTimes lists when a send's dispatch jobs are scheduled.
func (r *holdRig) dispatchJobTimes(t *testing.T, id string) []time.Time {
	t.Helper()
	var ts []time.Time
	bySend := "json_extract(args, '$.send_id') = ?"
	if r.db.Dialect == models.Postgres {
		bySend = "args->>'send_id' = ?"
	}
	if err := r.db.Gorm.Table("river_job").Where("kind = ?", "dispatch_send").Where(bySend, id).Order("id").Pluck("scheduled_at", &ts).Error; err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestSendHeldWhenEmbargoMovesLater is the outside review's reproduction: a
// release under embargo 100 s ahead, a journalist send and a supporter send
// "at embargo" dispatched, then the embargo moved two hours later (the
// release goes back to review). At the old time nothing goes out to anyone;
// both sends are held with the reason and Resume refuses them; once the
// release is approved again and the sends re-pointed, nothing goes before the
// new lift and each address gets exactly one message after it. A third send,
// to other journalists at a fixed time before the embargo, goes out once
// after re-pointing, under the new embargo's banner.
func TestSendHeldWhenEmbargoMovesLater(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		r := newHoldRig(t, db)
		t0 := r.clock.Now()
		oldLift, newLift := t0.Add(100*time.Second), t0.Add(2*time.Hour)
		doc := r.org.Release(t, models.KindPressRelease, "Arms sales fuel the war", &oldLift, t0)
		if doc.Status != models.StatusScheduled {
			t.Fatalf("release is %s, want scheduled", doc.Status)
		}
		desk := r.mediaList(t, "Desks", "ana@news.example", "ben@news.example")
		wires := r.mediaList(t, "Wires", "wire@news.example")
		members := r.supporterList(t, "Members", "cara@example.org", "dev@example.org")
		atTime := t0.Add(50 * time.Second)
		journalists := r.send(t, r.org.Press, models.SendInput{DocumentID: doc.ID, MediaListIDs: []string{desk}, Schedule: models.ScheduleEmbargo})
		supporters := r.send(t, r.org.Press, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{members}, Schedule: models.ScheduleEmbargo})
		early := r.send(t, r.org.Press, models.SendInput{DocumentID: doc.ID, MediaListIDs: []string{wires}, ScheduledAt: &atTime})
		none := map[string]int{"ana@news.example": 0, "ben@news.example": 0, "wire@news.example": 0, "cara@example.org": 0, "dev@example.org": 0}

		r.clock.Set(t0.Add(10 * time.Second))
		r.moveEmbargo(t, r.org.Press, doc.ID, newLift)
		for _, s := range []*models.Send{journalists, supporters, early} {
			r.expectHeld(t, s.ID, "release changed after this send was scheduled")
		}

		// The old times come: the dispatch jobs find their sends held.
		r.clock.Set(atTime)
		if err := r.dispatch(t, early.ID); err != nil {
			t.Fatalf("dispatch of a held send: %v", err)
		}
		r.clock.Set(oldLift.Add(time.Second))
		if ids, err := models.PublishDue(r.ctx, db.Gorm, r.clock.Now()); err != nil || len(ids) != 0 {
			t.Fatalf("publish at the old embargo = %v, %v; want nothing published", ids, err)
		}
		for _, s := range []*models.Send{journalists, supporters} {
			if err := r.dispatch(t, s.ID); err != nil {
				t.Fatalf("dispatch of a held send: %v", err)
			}
		}
		r.expectDeliveries(t, "at the old embargo", none)
		for _, s := range []*models.Send{journalists, supporters, early} {
			held := r.expectHeld(t, s.ID, "it is in review now")
			if held.MaterialisedAt != nil {
				t.Fatalf("held send %s was materialised", s.ID)
			}
			_, err := models.ResumeSend(r.ctx, db.Gorm, r.org.Press, s.ID, r.clock.Now())
			var he *models.HeldError
			if !errors.As(err, &he) || !errors.Is(err, models.ErrConflict) || !strings.Contains(err.Error(), "Re-point it") {
				t.Fatalf("resume of a held send = %v, want a HeldError saying to re-point it", err)
			}
			if _, err := models.RepointSend(r.ctx, db.Gorm, r.org.Press, s.ID, r.clock.Now(), nil); !errors.Is(err, models.ErrConflict) {
				t.Fatalf("re-point while the release is in review = %v, want a conflict", err)
			}
		}

		// Approved again: re-pointed, the embargo sends wait for the new lift.
		r.clock.Set(oldLift.Add(20 * time.Second))
		doc = r.org.Approve(t, doc.ID, r.clock.Now())
		if doc.Status != models.StatusScheduled || doc.ApprovedRevision != 2 {
			t.Fatalf("re-approved release is %s at revision %d", doc.Status, doc.ApprovedRevision)
		}
		r.expectHeld(t, journalists.ID, "revision 2 is approved now, this send carries revision 1")
		for _, s := range []*models.Send{journalists, supporters, early} {
			s = r.repoint(t, r.org.Press, s.ID)
			if s.Status != models.SendQueued || s.Revision != 2 || s.HeldReason != "" {
				t.Fatalf("re-pointed send is %s at revision %d held %q", s.Status, s.Revision, s.HeldReason)
			}
		}
		for _, s := range []*models.Send{journalists, supporters} {
			times := r.dispatchJobTimes(t, s.ID)
			if len(times) != 2 || !times[1].Equal(newLift) {
				t.Fatalf("dispatch jobs of a re-pointed send at %v, want the new one at %v", times, newLift)
			}
			// A dispatch job that runs early (the old one, say) waits for the new lift.
			d, ok := snoozedFor(r.dispatch(t, s.ID))
			if !ok || d != newLift.Sub(r.clock.Now()) {
				t.Fatalf("early dispatch snoozed %v (%t), want until the new lift", d, ok)
			}
		}
		r.expectDeliveries(t, "after re-pointing, before the new lift", none)

		// The fixed-time send to the wires is due: it goes, under the new embargo.
		if err := r.dispatch(t, early.ID); err != nil {
			t.Fatal(err)
		}
		for _, err := range r.runBatches(t, early.ID) {
			if err != nil {
				t.Fatal(err)
			}
		}
		r.expectDeliveries(t, "the early send", map[string]int{"wire@news.example": 1, "ana@news.example": 0, "cara@example.org": 0})
		label := jobs.EmbargoLabel(newLift, doc.EmbargoLocation(time.UTC))
		for _, rc := range r.fake.Recipients() {
			if subject, text, _ := rc.Render(); !strings.HasPrefix(subject, label) || !strings.Contains(text, label) {
				t.Fatalf("journalist mail says %q, want the new embargo %q", subject, label)
			}
		}

		// The new lift: published, then each address gets its one message.
		r.clock.Set(newLift)
		if _, err := models.PublishDue(r.ctx, db.Gorm, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*models.Send{journalists, supporters} {
			if err := r.dispatch(t, s.ID); err != nil {
				t.Fatal(err)
			}
			for _, err := range r.runBatches(t, s.ID) {
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := r.dispatch(t, s.ID); err != nil { // a second dispatch job: nothing more
				t.Fatal(err)
			}
			if s, _ = models.SendByID(r.ctx, db.Gorm, s.ID); s.Status != models.SendSent {
				t.Fatalf("send %s after the lift", s.Status)
			}
		}
		r.expectDeliveries(t, "after the new lift", map[string]int{"ana@news.example": 1, "ben@news.example": 1, "wire@news.example": 1, "cara@example.org": 1, "dev@example.org": 1})
		var held, repointed int64
		db.Gorm.Model(&models.AuditEvent{}).Where("action = ?", "send_held").Count(&held)
		db.Gorm.Model(&models.AuditEvent{}).Where("action = ?", "send_repointed").Count(&repointed)
		if held != 3 || repointed != 3 {
			t.Errorf("audit: %d send_held, %d send_repointed events; want 3 and 3", held, repointed)
		}
	})
}

// TestSendHeldWhenEmbargoMovesEarlier: the embargo moved from two hours ahead
// to 100 s ahead after the sends were dispatched. Re-pointed, the sends go at
// the new lift: not before it, and not at the old time.
func TestSendHeldWhenEmbargoMovesEarlier(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		r := newHoldRig(t, db)
		t0 := r.clock.Now()
		oldLift, newLift := t0.Add(2*time.Hour), t0.Add(100*time.Second)
		doc := r.org.Release(t, models.KindPressRelease, "Executions rise sharply", &oldLift, t0)
		desk := r.mediaList(t, "Desks", "ana@news.example")
		members := r.supporterList(t, "Members", "cara@example.org")
		journalists := r.send(t, r.org.Press, models.SendInput{DocumentID: doc.ID, MediaListIDs: []string{desk}, Schedule: models.ScheduleEmbargo})
		supporters := r.send(t, r.org.Press, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{members}, Schedule: models.ScheduleEmbargo})

		r.clock.Set(t0.Add(10 * time.Second))
		r.moveEmbargo(t, r.org.Press, doc.ID, newLift)
		r.expectHeld(t, journalists.ID, "release changed after this send was scheduled")
		r.expectHeld(t, supporters.ID, "release changed after this send was scheduled")
		r.clock.Set(t0.Add(20 * time.Second))
		r.org.Approve(t, doc.ID, r.clock.Now())
		for _, s := range []*models.Send{journalists, supporters} {
			s = r.repoint(t, r.org.Press, s.ID)
			if s.ScheduledAt == nil || !s.ScheduledAt.Equal(newLift) {
				t.Fatalf("re-pointed send scheduled at %v, want the new lift %v", s.ScheduledAt, newLift)
			}
			if times := r.dispatchJobTimes(t, s.ID); len(times) != 2 || !times[1].Equal(newLift) {
				t.Fatalf("dispatch jobs at %v, want a new one at %v", times, newLift)
			}
		}

		// Not before the new lift.
		r.clock.Set(newLift.Add(-time.Second))
		for _, s := range []*models.Send{journalists, supporters} {
			if d, ok := snoozedFor(r.dispatch(t, s.ID)); !ok || d != time.Second {
				t.Fatalf("dispatch a second before the lift snoozed %v (%t), want 1s", d, ok)
			}
		}
		r.expectDeliveries(t, "before the new lift", map[string]int{"ana@news.example": 0, "cara@example.org": 0})

		// At the new lift the journalists' send goes; the supporters' waits the
		// moment it takes the publish job to make the release public.
		r.clock.Set(newLift)
		if err := r.dispatch(t, journalists.ID); err != nil {
			t.Fatal(err)
		}
		if _, ok := snoozedFor(r.dispatch(t, supporters.ID)); !ok {
			t.Fatal("supporter mail went before the release was public")
		}
		if _, err := models.PublishDue(r.ctx, db.Gorm, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := r.dispatch(t, supporters.ID); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*models.Send{journalists, supporters} {
			for _, err := range r.runBatches(t, s.ID) {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		r.expectDeliveries(t, "at the new lift", map[string]int{"ana@news.example": 1, "cara@example.org": 1})

		// The old time comes: the old dispatch jobs find nothing left to do.
		r.clock.Set(oldLift)
		for _, s := range []*models.Send{journalists, supporters} {
			if err := r.dispatch(t, s.ID); err != nil {
				t.Fatal(err)
			}
			if errs := r.runBatches(t, s.ID); len(errs) != 0 {
				t.Fatalf("batches still to go at the old time: %v", errs)
			}
		}
		r.expectDeliveries(t, "at the old time", map[string]int{"ana@news.example": 1, "cara@example.org": 1})
	})
}

// TestSendHeldWhenReleaseWithdrawnMidSend: a published release withdrawn
// while its supporter send is going out. The batch already submitted stays
// submitted; the next batch is held (nobody in it is mailed), as is a send
// scheduled for later; neither can be resumed or re-pointed, and cancelling
// cancels the rest.
func TestSendHeldWhenReleaseWithdrawnMidSend(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		r := newHoldRig(t, db)
		t0 := r.clock.Now()
		doc := r.org.Release(t, models.KindActionAlert, "Stop the deportation", nil, t0)
		list := dbtest.BulkSupporters(t, db, "wd", 1500)
		s := r.send(t, r.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}})
		later := t0.Add(time.Hour)
		scheduled := r.send(t, r.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}, ScheduledAt: &later})
		if err := r.dispatch(t, s.ID); err != nil {
			t.Fatal(err)
		}
		if err := r.work(t, s.ID, 0); err != nil {
			t.Fatal(err)
		}
		if r.fake.Count() != 1000 {
			t.Fatalf("first batch: %d accepted", r.fake.Count())
		}

		r.clock.Set(t0.Add(time.Minute))
		if _, err := models.WithdrawDocument(r.ctx, db.Gorm, r.org.Campaigner, doc.ID, "Withdrawn: the deportation was halted.", r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		r.expectHeld(t, s.ID, "release was withdrawn after this send was scheduled")
		r.expectHeld(t, scheduled.ID, "release was withdrawn")
		if d, ok := snoozedFor(r.work(t, s.ID, 1)); !ok || d <= 0 {
			t.Fatal("the batch after the withdrawal was not held back")
		}
		r.clock.Set(later)
		if err := r.dispatch(t, scheduled.ID); err != nil {
			t.Fatal(err)
		}
		if r.fake.Count() != 1000 {
			t.Fatalf("after the withdrawal %d accepted, want the first batch's 1000 only", r.fake.Count())
		}
		for addr, n := range r.deliveries() {
			if n != 1 {
				t.Fatalf("%s received %d", addr, n)
			}
		}
		counts, err := models.RecipientStatusCounts(r.ctx, db.Gorm, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if pending, submitted := counts[models.RecipientPending], counts[models.RecipientSubmitted]; pending != 500 || submitted != 1000 {
			t.Fatalf("recipients: %d pending, %d submitted; want 500 waiting and 1000 kept", pending, submitted)
		}
		if _, err := models.ResumeSend(r.ctx, db.Gorm, r.org.Campaigner, s.ID, r.clock.Now()); !errors.Is(err, models.ErrConflict) || !strings.Contains(err.Error(), "withdrawn") {
			t.Fatalf("resume after withdrawal = %v", err)
		}
		if _, err := models.RepointSend(r.ctx, db.Gorm, r.org.Campaigner, s.ID, r.clock.Now(), nil); !errors.Is(err, models.ErrConflict) || !strings.Contains(err.Error(), "withdrawn") {
			t.Fatalf("re-point after withdrawal = %v", err)
		}
		if _, err := models.CancelSend(r.ctx, db.Gorm, r.org.Campaigner, s.ID, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := r.work(t, s.ID, 1); err != nil {
			t.Fatal(err)
		}
		if r.fake.Count() != 1000 {
			t.Fatalf("after cancelling %d accepted", r.fake.Count())
		}
	})
}

// TestSendRepointedAfterCorrection: a published release corrected while its
// journalist send is going out. While the correction waits for approval the
// approved text is still the old one and the send goes on; once the
// correction is approved the next batch is held, and re-pointed it carries
// the corrected text to the journalists not yet mailed, nobody twice.
func TestSendRepointedAfterCorrection(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		r := newHoldRig(t, db)
		t0 := r.clock.Now()
		doc := r.org.Release(t, models.KindPressRelease, "Forty detained at protest", nil, t0)
		emails := make([]string, 1500)
		for i := range emails {
			emails[i] = fmt.Sprintf("j%04d@news.example", i)
		}
		s := r.send(t, r.org.Press, models.SendInput{DocumentID: doc.ID, MediaListIDs: []string{r.mediaList(t, "All desks", emails...)}})
		if err := r.dispatch(t, s.ID); err != nil {
			t.Fatal(err)
		}
		if err := r.work(t, s.ID, 0); err != nil {
			t.Fatal(err)
		}

		r.clock.Set(t0.Add(time.Minute))
		headline, note := "Sixty detained at protest", "The number detained was sixty, not forty."
		if _, err := models.UpdateDocument(r.ctx, db.Gorm, r.org.Press, doc.ID, models.DocumentInput{Headline: &headline, CorrectionNote: &note}, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if s, _ = models.SendByID(r.ctx, db.Gorm, s.ID); s.Status != models.SendSending || s.HeldReason != "" {
			t.Fatalf("with a correction pending the send is %s, held %q; want it still sending the approved text", s.Status, s.HeldReason)
		}
		r.org.Approve(t, doc.ID, r.clock.Now())
		r.expectHeld(t, s.ID, "revision 2 is approved now, this send carries revision 1")
		if _, ok := snoozedFor(r.work(t, s.ID, 1)); !ok {
			t.Fatal("the batch after the approved correction was not held back")
		}
		if r.fake.Count() != 1000 {
			t.Fatalf("%d accepted, want the first batch only", r.fake.Count())
		}
		r.fake.Reset()
		if s = r.repoint(t, r.org.Press, s.ID); s.Status != models.SendSending || s.Revision != 2 {
			t.Fatalf("re-pointed send is %s at revision %d", s.Status, s.Revision)
		}
		if times := r.dispatchJobTimes(t, s.ID); len(times) != 1 {
			t.Fatalf("re-pointing a send already going out made dispatch jobs %v", times)
		}
		for _, err := range r.runBatches(t, s.ID) {
			if err != nil {
				t.Fatal(err)
			}
		}
		rs := r.fake.Recipients()
		if len(rs) != 500 {
			t.Fatalf("after re-pointing %d accepted, want the 500 not yet mailed", len(rs))
		}
		for _, rc := range rs {
			if subject, _, _ := rc.Render(); subject != headline {
				t.Fatalf("re-pointed mail says %q, want the corrected %q", subject, headline)
			}
		}
		counts, err := models.RecipientStatusCounts(r.ctx, db.Gorm, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		submitted := counts[models.RecipientSubmitted]
		if s, _ = models.SendByID(r.ctx, db.Gorm, s.ID); s.Status != models.SendSent || submitted != 1500 {
			t.Fatalf("send %s with %d submitted", s.Status, submitted)
		}
	})
}

// TestEveryBatchRechecksTheRelease: the rule holds at materialisation and
// before every batch on its own, whatever path changed the release: here its
// row is changed behind the models' back, so nothing held the sends when it
// changed. A draft whose release changed cannot be dispatched.
func TestEveryBatchRechecksTheRelease(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		r := newHoldRig(t, db)
		t0 := r.clock.Now()
		doc := r.org.Release(t, models.KindActionAlert, "Free the journalists", nil, t0)
		list := dbtest.BulkSupporters(t, db, "rc", 1200)
		going := r.send(t, r.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}})
		waiting := r.send(t, r.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}})
		draft, err := models.CreateSend(r.ctx, db.Gorm, r.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.dispatch(t, going.ID); err != nil {
			t.Fatal(err)
		}
		if err := r.work(t, going.ID, 0); err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Exec("UPDATE documents SET status = ? WHERE id = ?", models.StatusInReview, doc.ID).Error; err != nil {
			t.Fatal(err)
		}
		if _, ok := snoozedFor(r.work(t, going.ID, 1)); !ok {
			t.Fatal("batch 1 of a release in review was not held back")
		}
		r.expectHeld(t, going.ID, "it is in review now")
		if err := r.dispatch(t, waiting.ID); err != nil {
			t.Fatal(err)
		}
		if s := r.expectHeld(t, waiting.ID, "it is in review now"); s.MaterialisedAt != nil || s.Recipients != 0 {
			t.Fatal("a held send was materialised")
		}
		if _, err := models.DispatchSend(r.ctx, db.Gorm, r.org.Campaigner, draft.ID, r.clock.Now(), func(*gorm.DB, *models.Send) error { return nil }); !errors.Is(err, models.ErrConflict) ||
			!strings.Contains(err.Error(), "release changed after this send was scheduled") {
			t.Fatalf("dispatch of a draft whose release is in review = %v", err)
		}
		if r.fake.Count() != 1000 {
			t.Fatalf("%d accepted, want batch 0's 1000 only", r.fake.Count())
		}
		var b models.SendBatch
		db.Gorm.Take(&b, "send_id = ? AND batch_no = 1", going.ID)
		if b.Status != models.BatchPending || b.Attempts != 0 {
			t.Fatalf("held batch is %s after %d attempts; want pending, no attempt spent", b.Status, b.Attempts)
		}
		if e := r.fake.Requests(); e != 1 {
			t.Fatalf("%d requests reached the provider", e)
		}
	})
}

// TestSendHeldWithItsLastBatchInFlightCompletes: a release withdrawn while
// the last batch of its send is already in flight. The provider accepts that
// batch; with nothing left to hold, the send ends "sent", not held forever.
func TestSendHeldWithItsLastBatchInFlightCompletes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		r := newHoldRig(t, db)
		doc := r.org.Release(t, models.KindActionAlert, "Release the prisoners", nil, r.clock.Now())
		s := r.send(t, r.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{r.supporterList(t, "Members", "cara@example.org")}})
		if err := r.dispatch(t, s.ID); err != nil {
			t.Fatal(err)
		}
		// The batch job's steps, with the withdrawal between its check and its checkpoint.
		claim, _, _, err := models.ClaimBatch(r.ctx, db.Gorm, s.ID, 0, "test-worker", r.clock.Now())
		if err != nil || claim != models.ClaimSend {
			t.Fatalf("claim = %v, %v", claim, err)
		}
		if _, err := models.WithdrawDocument(r.ctx, db.Gorm, r.org.Campaigner, doc.ID, "Withdrawn.", r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		r.expectHeld(t, s.ID, "withdrawn")
		if err := models.CheckpointBatch(r.ctx, db.Gorm, s.ID, 0, "msg-1", 1, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := models.CompleteSendIfDone(r.ctx, db.Gorm, s.ID, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if s, _ = models.SendByID(r.ctx, db.Gorm, s.ID); s.Status != models.SendSent || s.HeldReason != "" {
			t.Fatalf("send %s, held %q; want sent", s.Status, s.HeldReason)
		}
	})
}

// TestTranslationSendHeldWhenOriginalWithdrawn: withdrawing an original takes
// its translations with it, and a send of a translation scheduled for later is
// held like a send of the original: nobody receives the withdrawn text.
func TestTranslationSendHeldWhenOriginalWithdrawn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		r := newHoldRig(t, db)
		t0 := r.clock.Now()
		orig := r.org.Release(t, models.KindPressRelease, "Arms deal must stop", nil, t0)
		headline, body, lang := "L'accord doit cesser", "Le **gouvernement** doit agir.", "fr"
		fr, err := models.CreateDocument(r.ctx, db.Gorm, r.org.Press, models.DocumentInput{Kind: models.KindPressRelease, OriginalID: &orig.ID,
			Language: &lang, Headline: &headline, Body: &body, Dateline: &headline}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.SubmitDocument(r.ctx, db.Gorm, r.org.Press, fr.ID, false, t0); err != nil {
			t.Fatal(err)
		}
		r.org.Approve(t, fr.ID, t0)
		later := t0.Add(time.Hour)
		s := r.send(t, r.org.Press, models.SendInput{DocumentID: fr.ID, MediaListIDs: []string{r.mediaList(t, "Paris desks", "anne@example.fr")}, ScheduledAt: &later})

		if _, err := models.WithdrawDocument(r.ctx, db.Gorm, r.org.Press, orig.ID, "Withdrawn: a figure was wrong.", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		r.expectHeld(t, s.ID, "release was withdrawn")
		r.clock.Set(later)
		if err := r.dispatch(t, s.ID); err != nil {
			t.Fatal(err)
		}
		r.expectDeliveries(t, "after the original's withdrawal", map[string]int{"anne@example.fr": 0})
		if n := r.fake.Count(); n != 0 {
			t.Fatalf("%d messages accepted after the original was withdrawn", n)
		}
	})
}
