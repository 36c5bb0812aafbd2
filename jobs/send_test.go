package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
	"pressroom/models/dbtest"
)

const fakeKey = "SG.test-key"

// sendEnv is a database with an organisation, a fake SendGrid and the send
// workers' dependencies.
type sendEnv struct {
	db   *models.DB
	org  *dbtest.Org
	fake *sendgridfake.Server
	deps jobs.Deps
}

func newSendEnv(t *testing.T, db *models.DB) *sendEnv {
	t.Helper()
	fake := sendgridfake.New(fakeKey).Start()
	t.Cleanup(fake.Close)
	deps := jobs.Deps{DB: db, Mail: jobs.NewSendGrid(fakeKey, fake.URL(), jobs.WithSendGridTimeout(5*time.Second)), Clock: models.SystemClock{},
		BaseURL: "https://press.example.org", MailFrom: jobs.Address{Email: "press@example.org", Name: "Press Office"}, UnsubscribeKey: []byte("unsubscribe key"), Logger: slog.New(slog.DiscardHandler)}
	return &sendEnv{db: db, org: dbtest.NewOrg(t, db), fake: fake, deps: deps}
}

// prepare creates and materialises a send without River (batch jobs are run by
// hand with work).
func (e *sendEnv) prepare(t *testing.T, by *models.User, in models.SendInput) *models.Send {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	s, err := models.CreateSend(ctx, e.db.Gorm, by, in, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.DispatchSend(ctx, e.db.Gorm, by, s.ID, now, func(*gorm.DB, *models.Send) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if s, err = models.MaterialiseSend(ctx, e.db.Gorm, s.ID, now, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// work runs one batch job in-process, as River would on its first attempt.
func (e *sendEnv) work(t *testing.T, sendID string, batchNo int) error {
	t.Helper()
	w := &jobs.SendBatchWorker{Deps: e.deps}
	return w.Work(context.Background(), &river.Job[jobs.SendBatchArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: jobs.SendBatchMaxAttempts},
		Args: jobs.SendBatchArgs{SendID: sendID, BatchNo: batchNo}})
}

func contact(t *testing.T, db *models.DB, email string, dnc bool) *models.MediaContact {
	t.Helper()
	c, err := models.CreateContact(context.Background(), db.Gorm, models.ContactInput{Email: email, Name: "Journalist " + email, DoNotContact: &dnc})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func supporter(t *testing.T, db *models.DB, listID, email string, status models.SupporterStatus) string {
	t.Helper()
	now := time.Now().UTC()
	e := strings.ToLower(email)
	s := models.Supporter{ID: models.NewID(), Email: &e, EmailHash: models.EmailHash(e), Name: "Supporter", Status: status, Frequency: "all", CreatedAt: now, UpdatedAt: now}
	if err := db.Gorm.Create(&s).Error; err != nil {
		t.Fatal(err)
	}
	if err := models.AddSupportersToList(context.Background(), db.Gorm, listID, []string{s.ID}); err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// TestMaterialiseDeduplicatesAndSuppresses checks the recipient rows a send
// materialises from overlapping lists: one row per address, and every person
// who may not be mailed kept as suppressed with the reason.
func TestMaterialiseDeduplicatesAndSuppresses(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := newSendEnv(t, db)
		doc := e.org.Release(t, models.KindPressRelease, "Arms exports must stop", nil, time.Now().UTC())
		la, _ := models.CreateMediaList(ctx, db.Gorm, "Defence desk", "")
		lb, _ := models.CreateMediaList(ctx, db.Gorm, "Diplomatic", "")
		c1 := contact(t, db, "ana@news.example", false)
		c2 := contact(t, db, "ben@news.example", false)
		c3 := contact(t, db, "dnc@news.example", true)
		c4 := contact(t, db, "gone@news.example", false)
		if err := models.Suppress(ctx, db.Gorm, "GONE@news.example", models.SuppressBounce, "", nil); err != nil {
			t.Fatal(err)
		}
		_ = models.AddContactsToList(ctx, db.Gorm, la.ID, []string{c1.ID, c2.ID, c3.ID})
		_ = models.AddContactsToList(ctx, db.Gorm, lb.ID, []string{c2.ID, c4.ID})
		sl, _ := models.CreateSupporterList(ctx, db.Gorm, "Activists", "")
		supporter(t, db, sl.ID, "ana@news.example", models.StatusSubscribed) // also a journalist
		supporter(t, db, sl.ID, "pending@example.org", models.StatusPending)
		supporter(t, db, sl.ID, "cara@example.org", models.StatusSubscribed)
		left := supporter(t, db, sl.ID, "left@example.org", models.StatusSubscribed)
		if err := models.Unsubscribe(ctx, db.Gorm, left, "test", ""); err != nil {
			t.Fatal(err)
		}
		s := e.prepare(t, e.org.Press, models.SendInput{DocumentID: doc.ID, MediaListIDs: []string{la.ID, lb.ID}, SupporterListIDs: []string{sl.ID}})
		if s.Recipients != 7 || s.Suppressed != 4 || s.Batches != 1 || s.Status != models.SendSending {
			t.Fatalf("send = %d recipients, %d suppressed, %d batches, %s; want 7, 4, 1, sending", s.Recipients, s.Suppressed, s.Batches, s.Status)
		}
		var rows []models.SendRecipient
		db.Gorm.Where("send_id = ?", s.ID).Order("email").Find(&rows)
		got := map[string]string{}
		for _, r := range rows {
			got[r.Email] = r.Kind + "/" + r.Status + "/" + r.Reason
		}
		want := map[string]string{
			"ana@news.example":    "journalist/pending/",
			"ben@news.example":    "journalist/pending/",
			"cara@example.org":    "supporter/pending/",
			"dnc@news.example":    "journalist/suppressed/do_not_contact",
			"gone@news.example":   "journalist/suppressed/bounce",
			"left@example.org":    "supporter/suppressed/unsubscribe",
			"pending@example.org": "supporter/suppressed/pending",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("recipients:\n got %v\nwant %v", got, want)
		}
		// Materialising again changes nothing.
		if _, err := models.MaterialiseSend(ctx, db.Gorm, s.ID, time.Now(), nil); err != nil {
			t.Fatal(err)
		}
		var n int64
		db.Gorm.Model(&models.SendRecipient{}).Where("send_id = ?", s.ID).Count(&n)
		if n != 7 {
			t.Fatalf("rematerialised: %d rows", n)
		}
	})
}

// TestBatchesOfAThousand splits 2,500 recipients into 1000 + 1000 + 500.
func TestBatchesOfAThousand(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		e := newSendEnv(t, db)
		doc := e.org.Release(t, models.KindActionAlert, "Free the defenders", nil, time.Now().UTC())
		list := dbtest.BulkSupporters(t, db, "split", 2500)
		s := e.prepare(t, e.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}})
		var sizes []int
		db.Gorm.Table("send_batches").Where("send_id = ?", s.ID).Order("batch_no").Pluck("recipients", &sizes)
		if fmt.Sprint(sizes) != "[1000 1000 500]" || s.Batches != 3 {
			t.Fatalf("batches = %v (%d)", sizes, s.Batches)
		}
	})
}

// TestRecipientsBelongToASend checks the recipient rows' key to their send on
// each database: a row for no send is refused and deleting a send deletes its
// recipients. PostgreSQL checks the key once per statement rather than per row
// (for million-row materialisations), so it also refuses moving a row to
// another send.
func TestRecipientsBelongToASend(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		e := newSendEnv(t, db)
		doc := e.org.Release(t, models.KindActionAlert, "Stop the transfer", nil, time.Now().UTC())
		list := dbtest.BulkSupporters(t, db, "key", 3)
		s := e.prepare(t, e.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}})
		other := e.prepare(t, e.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}})

		orphan := models.SendRecipient{SendID: "no-such-send", Kind: models.RecipientSupporter, Email: "orphan@example.org", Status: models.RecipientPending}
		if err := db.Gorm.Create(&orphan).Error; err == nil {
			t.Fatal("a recipient of no send was stored")
		}
		if err := db.Gorm.Model(&models.SendRecipient{}).Where("send_id = ?", s.ID).Update("send_id", other.ID).Error; err == nil && db.Dialect == models.Postgres {
			t.Fatal("recipients moved to another send")
		}
		if err := db.Gorm.Exec("DELETE FROM sends WHERE id = ?", other.ID).Error; err != nil {
			t.Fatal(err)
		}
		var left, kept int64
		db.Gorm.Model(&models.SendRecipient{}).Where("send_id = ?", other.ID).Count(&left)
		db.Gorm.Model(&models.SendRecipient{}).Where("send_id = ?", s.ID).Count(&kept)
		if left != 0 || kept != 3 {
			t.Fatalf("after deleting a send: %d of its recipients left, %d of the other send's kept; want 0 and 3", left, kept)
		}
	})
}

// TestEveryRecipientOnceThroughAStorm runs a 2,500-recipient send through River
// against a fake that answers ~30% of requests 429 (no rate-limit headers, as
// /v3/mail/send does) after a run of 5xx: every address is accepted exactly once.
func TestEveryRecipientOnceThroughAStorm(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := newSendEnv(t, db)
		e.fake.Script(sendgridfake.ServerError(500), sendgridfake.Fault{}, sendgridfake.ServerError(503), sendgridfake.TooManyRequests(), sendgridfake.ServerError(500))
		e.fake.SetFaultRate(0.3, 42, sendgridfake.TooManyRequests())
		doc := e.org.Release(t, models.KindActionAlert, "Stop the executions", nil, time.Now().UTC())
		list := dbtest.BulkSupporters(t, db, "storm", 2500)
		client := startWorker(t, db, e.deps)
		s, err := models.CreateSend(ctx, db.Gorm, e.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}}, time.Now().UTC())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.DispatchSend(ctx, db.Gorm, e.org.Campaigner, s.ID, time.Now().UTC(), func(tx *gorm.DB, s *models.Send) error {
			return jobs.EnqueueDispatch(ctx, client, tx, s)
		}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(90 * time.Second)
		for {
			s, _ = models.SendByID(ctx, db.Gorm, s.ID)
			if s.Status == models.SendSent {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("send still %s after 90s; fake accepted %d of 2500 in %d requests", s.Status, e.fake.Count(), e.fake.Requests())
			}
			time.Sleep(100 * time.Millisecond)
		}
		seen := map[string]int{}
		for _, r := range e.fake.Recipients() {
			seen[r.Email]++
		}
		for i := 1; i <= 2500; i++ {
			if n := seen[fmt.Sprintf("storm-%d@example.org", i)]; n != 1 {
				t.Fatalf("storm-%d accepted %d times", i, n)
			}
		}
		if len(seen) != 2500 || e.fake.Count() != 2500 {
			t.Fatalf("accepted %d addresses, %d recipients", len(seen), e.fake.Count())
		}
		submitted, err := models.SendRecipients(context.Background(), db.Gorm, s.ID, models.RecipientSubmitted, 5000)
		if err != nil {
			t.Fatal(err)
		}
		withID := 0
		for _, r := range submitted {
			if r.MessageID != "" && r.SubmittedAt != nil {
				withID++
			}
		}
		if len(submitted) != 2500 || withID != 2500 {
			t.Fatalf("%d recipients read as submitted, %d with the provider's message id and a time; want 2500", len(submitted), withID)
		}
		t.Logf("2500 recipients through %d requests (faults included)", e.fake.Requests())
	})
}

// TestEmbargoedReleaseAndSupporterHeaders checks what reaches the provider: an
// embargoed release says so in the subject (with the zone) and a banner, with a
// personal preview link per journalist; supporter mail carries RFC 8058
// one-click unsubscribe headers; custom args hold ids only.
func TestEmbargoedReleaseAndSupporterHeaders(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := newSendEnv(t, db)
		embargo := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute)
		doc := e.org.Release(t, models.KindPressRelease, "Report reveals abuses", &embargo, time.Now().UTC())
		ml, _ := models.CreateMediaList(ctx, db.Gorm, "Wires", "")
		c1, c2 := contact(t, db, "wire1@news.example", false), contact(t, db, "wire2@news.example", false)
		_ = models.AddContactsToList(ctx, db.Gorm, ml.ID, []string{c1.ID, c2.ID})
		s := e.prepare(t, e.org.Press, models.SendInput{DocumentID: doc.ID, MediaListIDs: []string{ml.ID}})
		if err := e.work(t, s.ID, 0); err != nil {
			t.Fatal(err)
		}
		rs := e.fake.Recipients()
		if len(rs) != 2 {
			t.Fatalf("fake got %d recipients", len(rs))
		}
		label := jobs.EmbargoLabel(embargo, doc.EmbargoLocation(time.UTC))
		previews := map[string]bool{}
		for _, r := range rs {
			subject, text, html := r.Render()
			if subject != label+": Report reveals abuses" || !strings.Contains(label, "(Europe/London)") {
				t.Fatalf("subject %q", subject)
			}
			if !strings.Contains(html, label) || !strings.Contains(text, "*** "+label+" ***") {
				t.Fatalf("no embargo banner:\n%s", text)
			}
			i := strings.Index(text, "https://press.example.org/preview/")
			if i < 0 {
				t.Fatalf("no preview link:\n%s", text)
			}
			link := strings.Fields(text[i:])[0]
			previews[link] = true
			if !strings.Contains(html, link) {
				t.Fatal("HTML lacks the preview link")
			}
			if len(r.CustomArgs) != 2 || r.CustomArgs["send_id"] != s.ID || r.CustomArgs["recipient_id"] == "" {
				t.Fatalf("custom args %v", r.CustomArgs)
			}
			// The link works (before the embargo) for this journalist.
			token := strings.TrimPrefix(link, "https://press.example.org/preview/")
			if _, l, err := models.OpenPreview(ctx, db.Gorm, token, "", "", time.Now().UTC()); err != nil || l.Email != r.Email {
				t.Fatalf("preview link: %v", err)
			}
		}
		if len(previews) != 2 {
			t.Fatal("journalists share a preview link")
		}

		e.fake.Reset()
		alert := e.org.Release(t, models.KindActionAlert, "Write to the minister", nil, time.Now().UTC())
		sl, _ := models.CreateSupporterList(ctx, db.Gorm, "Members", "")
		supID := supporter(t, db, sl.ID, "member@example.org", models.StatusSubscribed)
		s2 := e.prepare(t, e.org.Campaigner, models.SendInput{DocumentID: alert.ID, SupporterListIDs: []string{sl.ID}})
		if err := e.work(t, s2.ID, 0); err != nil {
			t.Fatal(err)
		}
		rs = e.fake.Recipients()
		if len(rs) != 1 {
			t.Fatalf("fake got %d", len(rs))
		}
		// The link names the send, so that it leaves the send's lists.
		want := models.UnsubscribeURL("https://press.example.org", []byte("unsubscribe key"), supID) + "?send=" + s2.ID
		if rs[0].Headers["List-Unsubscribe"] != "<"+want+">" || rs[0].Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
			t.Fatalf("headers %v", rs[0].Headers)
		}
		if _, text, _ := rs[0].Render(); !strings.Contains(text, want) || !strings.Contains(text, "Dear Supporter") {
			t.Fatalf("text lacks the unsubscribe link:\n%s", text)
		}
	})
}

// TestUnsubscribeMidSendTakesEffectBeforeNextBatch: a supporter who unsubscribes
// after the send started is left out of the next batch.
func TestUnsubscribeMidSendTakesEffectBeforeNextBatch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := newSendEnv(t, db)
		doc := e.org.Release(t, models.KindActionAlert, "Act now", nil, time.Now().UTC())
		list := dbtest.BulkSupporters(t, db, "mid", 1500)
		s := e.prepare(t, e.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}})
		if err := e.work(t, s.ID, 0); err != nil {
			t.Fatal(err)
		}
		var victim models.SendRecipient
		db.Gorm.Where("send_id = ? AND batch_no = 1", s.ID).Order("email").First(&victim)
		if err := models.Unsubscribe(ctx, db.Gorm, *victim.SupporterID, "one-click", ""); err != nil {
			t.Fatal(err)
		}
		if err := e.work(t, s.ID, 1); err != nil {
			t.Fatal(err)
		}
		for _, r := range e.fake.Recipients() {
			if r.Email == victim.Email {
				t.Fatal("the unsubscribed supporter was mailed")
			}
		}
		if e.fake.Count() != 1499 {
			t.Fatalf("fake accepted %d", e.fake.Count())
		}
		db.Gorm.First(&victim, victim.ID)
		if victim.Status != models.RecipientSuppressed || victim.Reason != "unsubscribe" {
			t.Fatalf("victim %s/%s", victim.Status, victim.Reason)
		}
		s, _ = models.SendByID(ctx, db.Gorm, s.ID)
		p, _ := models.ProgressOf(ctx, db.Gorm, s)
		if s.Status != models.SendSent || p.Submitted != 1499 || p.Suppressed != 1 {
			t.Fatalf("send %s, progress %+v", s.Status, p)
		}
	})
}

// TestBlockedMidSendTakesEffectBeforeNextBatch: a manual suppression, a
// bounce from the webhook, an erasure and a do-not-contact flag set by staff
// after the send started each leave the person out of the next batch.
func TestBlockedMidSendTakesEffectBeforeNextBatch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := newSendEnv(t, db)
		doc := e.org.Release(t, models.KindPressRelease, "Arms exports must stop", nil, time.Now().UTC())
		sups := dbtest.BulkSupporters(t, db, "blk", 1500)
		// The journalists' addresses sort after every supporter's: the last batch.
		journalist := contact(t, db, "zz-desk@example.org", false)
		gone := contact(t, db, "zz-gone@example.org", false)
		ml, err := models.CreateMediaList(ctx, db.Gorm, "Desks", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := models.AddContactsToList(ctx, db.Gorm, ml.ID, []string{journalist.ID, gone.ID}); err != nil {
			t.Fatal(err)
		}
		s := e.prepare(t, e.org.Press, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{sups}, MediaListIDs: []string{ml.ID}})
		if s.Batches != 2 {
			t.Fatalf("%d batches", s.Batches)
		}
		if err := e.work(t, s.ID, 0); err != nil {
			t.Fatal(err)
		}
		var rs []models.SendRecipient
		db.Gorm.Where("send_id = ? AND batch_no = 1 AND kind = ?", s.ID, models.RecipientSupporter).Order("email").Limit(3).Find(&rs)
		if len(rs) != 3 {
			t.Fatalf("%d supporters in batch 1", len(rs))
		}
		if err := models.Suppress(ctx, db.Gorm, rs[0].Email, models.SuppressManual, "asked by phone", nil); err != nil {
			t.Fatal(err)
		}
		// The bounce happened (by its own timestamp) long before the send.
		if _, err := models.StoreWebhookEvents(ctx, db.Gorm, []models.WebhookEventInput{{SGEventID: "b1", Event: "bounce", Email: rs[1].Email, Timestamp: 1700000000, Payload: "{}"}}, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if _, err := models.ProcessWebhookEvents(ctx, db.Gorm, 100); err != nil {
			t.Fatal(err)
		}
		if err := models.EraseSupporter(ctx, db.Gorm, *rs[2].SupporterID, nil); err != nil {
			t.Fatal(err)
		}
		dnc := true
		if _, err := models.UpdateContact(ctx, db.Gorm, journalist.ID, models.ContactInput{Email: journalist.Email, Name: journalist.Name, DoNotContact: &dnc}, false); err != nil {
			t.Fatal(err)
		}
		// A contact removed from the database outright (not through the app)
		// is not mailed either.
		if err := db.Gorm.Exec("DELETE FROM media_contacts WHERE id = ?", gone.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := e.work(t, s.ID, 1); err != nil {
			t.Fatal(err)
		}
		blocked := map[string]string{rs[0].Email: "manual", rs[1].Email: "bounce", rs[2].Email: "erased", journalist.Email: "do_not_contact", gone.Email: "deleted"}
		for _, r := range e.fake.Recipients() {
			if _, ok := blocked[r.Email]; ok {
				t.Fatalf("%s was mailed", r.Email)
			}
		}
		if e.fake.Count() != 1497 {
			t.Fatalf("fake accepted %d", e.fake.Count())
		}
		for email, reason := range blocked {
			var r models.SendRecipient
			db.Gorm.Where("send_id = ? AND email = ?", s.ID, email).First(&r)
			if r.Status != models.RecipientSuppressed || r.Reason != reason {
				t.Errorf("%s: %s/%s, want suppressed/%s", email, r.Status, r.Reason, reason)
			}
		}
		s, _ = models.SendByID(ctx, db.Gorm, s.ID)
		p, _ := models.ProgressOf(ctx, db.Gorm, s)
		if s.Status != models.SendSent || p.Submitted != 1497 || p.Suppressed != 5 {
			t.Fatalf("send %s, progress %+v", s.Status, p)
		}
	})
}

// TestPermanentRefusalFailsTheBatch: a 4xx fails the batch and its recipients
// with the provider's message and cancels the job; Retry re-queues it.
func TestPermanentRefusalFailsTheBatch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := newSendEnv(t, db)
		e.fake.Script(sendgridfake.Fault{Status: http.StatusForbidden, Message: "The from address does not match a verified Sender Identity"})
		doc := e.org.Release(t, models.KindActionAlert, "Act now", nil, time.Now().UTC())
		list := dbtest.BulkSupporters(t, db, "refused", 10)
		s := e.prepare(t, e.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}})
		err := e.work(t, s.ID, 0)
		var cancel *rivertype.JobCancelError
		if !errors.As(err, &cancel) {
			t.Fatalf("work = %v, want a JobCancel", err)
		}
		fails, _ := models.SendFailures(ctx, db.Gorm, s.ID)
		if len(fails) != 1 || !strings.Contains(fails[0].Error, "verified Sender Identity") || fails[0].Failed != 10 {
			t.Fatalf("failures %+v", fails)
		}
		s, _ = models.SendByID(ctx, db.Gorm, s.ID)
		if s.Status != models.SendFailed {
			t.Fatalf("status %s", s.Status)
		}
		n, err := models.RetryFailedBatches(ctx, db.Gorm, e.org.Campaigner, s.ID, time.Now(), func(*gorm.DB, *models.Send, []int) error { return nil })
		if err != nil || n != 1 {
			t.Fatalf("retry = %d, %v", n, err)
		}
		if err := e.work(t, s.ID, 0); err != nil {
			t.Fatal(err)
		}
		if e.fake.Count() != 10 {
			t.Fatalf("accepted %d after retry", e.fake.Count())
		}
	})
}
