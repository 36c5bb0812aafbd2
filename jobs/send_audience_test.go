package jobs_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestRealisticAudienceMailsEachMailboxOnce sends to an audience shaped like
// the million-recipient benchmark's, at a hundredth of its size: two supporter
// lists sharing 5 % of their addresses in mixed case, 2 % of the addresses
// suppressed, 1 % of the supporters unsubscribed, journalists in the same send,
// and a couple of hundred supporters unsubscribing from another goroutine
// (through models.Unsubscribe, which the unsubscribe link calls) while the
// batches go out. Every deliverable mailbox must get exactly one message; no
// suppressed or unsubscribed one any; and a supporter whose unsubscribe had
// committed while their batch was still waiting must get none.
func TestRealisticAudienceMailsEachMailboxOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := newSendEnv(t, db)
		a, err := dbtest.BulkAudience(ctx, db, "real", 10_000)
		if err != nil {
			t.Fatal(err)
		}
		doc := e.org.Release(t, models.KindActionAlert, "Act before the vote", nil, time.Now().UTC())
		s := e.prepare(t, e.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: a.SupporterLists[:], MediaListIDs: []string{a.MediaList}})
		want := a.Deliverable()
		if s.Recipients != a.Supporters+a.Journalists {
			t.Fatalf("materialised %d recipients from %d rows; want one per mailbox, %d", s.Recipients, a.Rows(), a.Supporters+a.Journalists)
		}
		if s.Batches != (len(want)+models.SendBatchSize-1)/models.SendBatchSize {
			t.Fatalf("%d batches for %d deliverable mailboxes", s.Batches, len(want))
		}

		// The unsubscriber: supporters still deliverable, in random order, each
		// classified right after its unsubscribe committed by where its batch
		// stood then.
		const unsubscribes = 200
		var candidates []int
		for i := 1; i <= a.Supporters; i++ {
			if dbtest.SupporterDeliverable(i) {
				candidates = append(candidates, i)
			}
		}
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 14))
		rng.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
		var done atomic.Int32 // unsubscribes committed
		stateAt := map[string]string{}
		var wg sync.WaitGroup
		var unsubErr error
		var failed atomic.Bool // unsubErr is set (read after wg.Wait)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range candidates[:unsubscribes] {
				if err := models.Unsubscribe(ctx, db.Gorm, a.SupporterID(i), "one_click", ""); err != nil {
					unsubErr = err
					failed.Store(true)
					return
				}
				var st string
				if err := db.Gorm.Raw(`SELECT b.status FROM send_recipients r JOIN send_batches b ON b.send_id = r.send_id AND b.batch_no = r.batch_no
WHERE r.send_id = ? AND r.email = ?`, s.ID, a.SupporterEmail(i)).Scan(&st).Error; err != nil {
					unsubErr = err
					failed.Store(true)
					return
				}
				stateAt[a.SupporterEmail(i)] = st
				done.Add(1)
			}
		}()
		// The batches go out one after another, as from one worker, paced so the
		// unsubscribes are spread over the whole send.
		for n := 0; n < s.Batches; n++ {
			for int(done.Load()) < n*unsubscribes/s.Batches && !failed.Load() {
				time.Sleep(time.Millisecond)
			}
			if err := e.work(t, s.ID, n); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		if unsubErr != nil {
			t.Fatal(unsubErr)
		}

		got := map[string]int{}
		for _, r := range e.fake.Recipients() {
			got[r.Email]++
		}
		waiting, raced := 0, 0
		for email := range want {
			st, unsubscribed := stateAt[email]
			switch {
			case !unsubscribed:
				if got[email] != 1 {
					t.Errorf("%s got %d messages; want 1", email, got[email])
				}
			case st == models.BatchPending:
				waiting++
				if got[email] != 0 {
					t.Errorf("%s unsubscribed while their batch waited, and got %d messages", email, got[email])
				}
			case st == models.BatchSubmitted:
				if got[email] != 1 {
					t.Errorf("%s unsubscribed after their batch went, and got %d messages; want the 1 sent before", email, got[email])
				}
			default: // their batch was being sent as they unsubscribed: either is right
				raced++
				if got[email] > 1 {
					t.Errorf("%s got %d messages", email, got[email])
				}
			}
		}
		for email, n := range got {
			if !want[email] {
				t.Errorf("%s is suppressed, unsubscribed or not in the audience, and got %d messages", email, n)
			}
			if email != strings.ToLower(email) {
				t.Errorf("mailed as %q: addresses go out lower-cased", email)
			}
		}
		if waiting == 0 {
			t.Fatalf("no unsubscribe landed before its batch (states %v): the test proves nothing", stateAt)
		}
		s, _ = models.SendByID(ctx, db.Gorm, s.ID)
		p, err := models.ProgressOf(ctx, db.Gorm, s)
		if err != nil {
			t.Fatal(err)
		}
		if s.Status != models.SendSent || p.Submitted != e.fake.Count() || p.Queued != 0 {
			t.Fatalf("send %s, progress %+v; the provider accepted %d", s.Status, p, e.fake.Count())
		}
		// Read as people read them: one submitted recipient per message.
		counts, err := models.RecipientStatusCounts(ctx, db.Gorm, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if counts[models.RecipientSubmitted] != e.fake.Count() || counts[models.RecipientPending] != 0 ||
			counts[models.RecipientSuppressed] != s.Recipients-e.fake.Count() {
			t.Fatalf("recipient statuses %v for %d recipients, %d accepted", counts, s.Recipients, e.fake.Count())
		}
		t.Logf("%d mailboxes, %d deliverable, %d accepted; %d unsubscribes during the send (%d before their batch, %d while it was out)",
			s.Recipients, len(want), e.fake.Count(), unsubscribes, waiting, raced)
	})
}
