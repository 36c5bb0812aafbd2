package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestSignatureCommitterConcurrent signs from many goroutines at once, so
// requests share batches: new mailboxes, aliases of one gmail mailbox, and a
// flood from one address. Every answered signature is stored exactly once, each
// email the rules allow is handed to the batch's transaction, and the flood is
// refused past the ceiling.
//
// On PostgreSQL it runs twice: with River's insert in each batch's
// transaction, and with the jobs written by the statement that stores the
// signatures (MailJob set), where opt-in signers and repeats still take the
// transaction.
func TestSignatureCommitterConcurrent(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		o := dbtest.NewOrg(t, db)
		for _, oneStatement := range []bool{false, true} {
			if oneStatement && db.Dialect != models.Postgres {
				continue
			}
			t.Run(fmt.Sprintf("one_statement=%t", oneStatement), func(t *testing.T) { testCommitterConcurrent(t, db, o, oneStatement) })
		}
	})
}

func testCommitterConcurrent(t *testing.T, db *models.DB, o *dbtest.Org, oneStatement bool) {
	{
		ctx := context.Background()
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		p := openPetition(t, db.Gorm, o.Campaigner, fmt.Sprintf("Batch %t", oneStatement), now)
		var mu sync.Mutex
		mails := map[string][]models.SignEmail{}
		after := func(ctx context.Context, tx *gorm.DB, done []models.SignedRequest) error {
			// Inside the batch's transaction: the signatures are visible here.
			for _, d := range done {
				var n int64
				if err := tx.Model(&models.Signature{}).Where("id = ?", d.Result.Signature.ID).Count(&n).Error; err != nil || n != 1 {
					return fmt.Errorf("signature %s not in the transaction: %d %v", d.Result.Signature.ID, n, err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for _, d := range done {
				if d.Result.Email != models.SignEmailNone {
					mails[d.Result.Signature.NormalisedEmail] = append(mails[d.Result.Signature.NormalisedEmail], d.Result.Email)
				}
			}
			return nil
		}
		c := models.NewSignatureCommitter(db, func() time.Time { return now }, after)
		kind := "test_mail_" + p.ID
		if oneStatement {
			c.MailJob = &models.JobRow{Kind: kind, MaxAttempts: 8, Priority: 1, Queue: "default"}
		}
		limits := models.SignLimits{Ceiling: models.RateLimit{N: 10, Window: time.Minute}}
		floodIP := "192.0.2.50" // the ceiling counts an IP's signatures on every petition
		if oneStatement {
			floodIP = "192.0.2.51"
		}
		var wg sync.WaitGroup
		var floods, signed sync.Map
		sign := func(key, email, ip string) {
			defer wg.Done()
			// Every fifth new signer opts in: a supporter to attach, so a
			// transaction after the one statement.
			optIn := strings.HasPrefix(key, "new") && strings.HasSuffix(key, "5")
			_, err := c.Sign(ctx, p, models.SignInput{Name: "N " + key, Email: email, Country: "GB", IP: ip, OptIn: optIn}, limits)
			switch {
			case errors.Is(err, models.ErrSignFlood):
				floods.Store(key, true)
			case err != nil:
				t.Errorf("sign %s: %v", email, err)
			default:
				signed.Store(key, true)
			}
		}
		for i := range 40 {
			wg.Add(1)
			go sign(fmt.Sprint("new", i), fmt.Sprintf("person%d@example.org", i), fmt.Sprintf("198.51.100.%d", i))
		}
		for i, alias := range []string{"jane.doe@gmail.com", "JaneDoe@gmail.com", "janedoe+petition@googlemail.com", "j.a.n.e.doe@gmail.com", "janedoe@gmail.com"} {
			wg.Add(1)
			go sign(fmt.Sprint("alias", i), alias, fmt.Sprintf("203.0.113.%d", i))
		}
		for i := range 15 {
			wg.Add(1)
			go sign(fmt.Sprint("flood", i), fmt.Sprintf("bot%d@flood.example", i), floodIP)
		}
		wg.Wait()

		count := func(m *sync.Map) int {
			n := 0
			m.Range(func(any, any) bool { n++; return true })
			return n
		}
		// Batches committing at the same time do not see each other's rows (as
		// concurrent transactions did before), so on PostgreSQL the ceiling can
		// let a few more through; it must still refuse the flood.
		refused := count(&floods)
		if refused < 1 || refused > 5 {
			t.Errorf("%d flood signatures refused, want 1 to 5 (ceiling 10 of 15)", refused)
		}
		var stored int64
		db.Gorm.Model(&models.Signature{}).Where("petition_id = ?", p.ID).Count(&stored)
		if want := int64(40 + 1 + 15 - refused); stored != want {
			t.Errorf("%d signatures stored, want %d (40 new, one for the five aliases, 10 of the flood)", stored, want)
		}
		var tokens int64
		// A first email's link is on its signature, the links sent again are
		// signature tokens: one link per email, none lost.
		var firstLinks int64
		db.Gorm.Model(&models.SignatureToken{}).Where("signature_id IN (SELECT id FROM signatures WHERE petition_id = ?)", p.ID).Count(&tokens)
		db.Gorm.Model(&models.Signature{}).Where("petition_id = ? AND token_hash IS NOT NULL", p.ID).Count(&firstLinks)
		if firstLinks != stored {
			t.Errorf("%d of %d stored signatures carry their first link", firstLinks, stored)
		}
		tokens += firstLinks
		if oneStatement {
			// The statements' jobs are emails too, one job per batch listing
			// each stored signature's.
			var jobMails []struct{ NormalisedEmail, Email string }
			// (jobs.SignatureMailsArgs' packed form: "id\tkind\ttoken" lines.)
			if err := db.Gorm.Raw(`SELECT s.normalised_email, split_part(m.line, E'\t', 2) AS email
				FROM river_job j, regexp_split_to_table(j.args->>'packed', E'\n') AS m(line)
				JOIN signatures s ON s.id = split_part(m.line, E'\t', 1) WHERE j.kind = ?`, kind).Scan(&jobMails).Error; err != nil {
				t.Fatal(err)
			}
			var jobs int64
			db.Gorm.Table("river_job").Where("kind = ?", kind).Count(&jobs)
			if len(jobMails) == 0 || jobs == 0 {
				t.Error("no batch wrote its job in its statement")
			}
			if jobs >= int64(len(jobMails)) {
				t.Errorf("%d jobs for %d emails: no batch held more than one", jobs, len(jobMails))
			}
			for _, m := range jobMails {
				mails[m.NormalisedEmail] = append(mails[m.NormalisedEmail], models.SignEmail(m.Email))
			}
		}
		var optedIn, attached int64
		db.Gorm.Model(&models.Signature{}).Where("petition_id = ? AND opt_in", p.ID).Count(&optedIn)
		db.Gorm.Model(&models.Signature{}).Where("petition_id = ? AND opt_in AND supporter_id IS NOT NULL", p.ID).Count(&attached)
		if optedIn != 4 || attached != optedIn {
			t.Errorf("%d opted-in signatures, %d with their supporter; want 4 and 4", optedIn, attached)
		}
		if got := mails["janedoe@gmail.com"]; len(got) != models.MaxSignatureEmails {
			t.Errorf("aliases of one mailbox caused emails %v, want %d confirmation links", got, models.MaxSignatureEmails)
		}
		total := 0
		for _, m := range mails {
			total += len(m)
		}
		if want := 40 + models.MaxSignatureEmails + 15 - refused; total != want || tokens != int64(total) {
			t.Errorf("%d emails and %d tokens, want %d", total, tokens, want)
		}
	}
}

// TestSignatureCommitterFailedBatch: when the emails of a batch cannot be
// enqueued nothing of it is stored and every request gets the error; the
// next request works.
func TestSignatureCommitterFailedBatch(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := dbtest.NewOrg(t, db)
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		p := openPetition(t, db.Gorm, o.Campaigner, "Fail", now)
		fail := true
		c := models.NewSignatureCommitter(db, func() time.Time { return now }, func(context.Context, *gorm.DB, []models.SignedRequest) error {
			if fail {
				return errors.New("queue down")
			}
			return nil
		})
		if _, err := c.Sign(ctx, p, models.SignInput{Name: "A", Email: "a@example.org", Country: "GB"}, models.SignLimits{}); err == nil {
			t.Fatal("sign succeeded although its email could not be enqueued")
		}
		var n int64
		db.Gorm.Model(&models.Signature{}).Count(&n)
		if n != 0 {
			t.Fatalf("%d signatures stored without their email", n)
		}
		fail = false
		res, err := c.Sign(ctx, p, models.SignInput{Name: "A", Email: "a@example.org", Country: "GB"}, models.SignLimits{})
		if err != nil || res.Email != models.SignEmailConfirm {
			t.Fatalf("second try = %+v, %v", res, err)
		}
		if _, err := c.Sign(ctx, p, models.SignInput{Name: "", Email: "nope", Country: "GB"}, models.SignLimits{}); err == nil {
			t.Fatal("invalid request accepted")
		} else {
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Fields["email"] == "" || ve.Fields["name"] == "" {
				t.Fatalf("invalid request error = %v", err)
			}
		}
	})
}
