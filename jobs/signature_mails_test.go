package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// signedBatch opens petitions and signs each once per address, returning
// the emails the signing asked for in order (what one batch's job carries).
func signedBatch(t *testing.T, db *models.DB, o *dbtest.Org, petitions int, addresses ...string) []jobs.SignatureMailArgs {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var mails []jobs.SignatureMailArgs
	for i := range petitions {
		title, target, demand := fmt.Sprintf("Petition %d", i), "The Minister", "Stop arms sales now."
		p, err := models.CreatePetition(ctx, db.Gorm, o.Campaigner, models.PetitionInput{Title: &title, Target: &target, Demand: &demand}, now)
		if err != nil {
			t.Fatal(err)
		}
		if p, err = models.OpenPetition(ctx, db.Gorm, o.Campaigner, p.ID, now); err != nil {
			t.Fatal(err)
		}
		c := models.NewSignatureCommitter(db, func() time.Time { return now }, func(context.Context, *gorm.DB, []models.SignedRequest) error { return nil })
		for _, a := range addresses {
			res, err := c.Sign(ctx, p, models.SignInput{Name: "Signer <" + a + ">", Email: a, Country: "GB"}, models.SignLimits{})
			if err != nil {
				t.Fatal(err)
			}
			mails = append(mails, jobs.SignatureMailArgs{SignatureID: res.Signature.ID, Email: res.Email, Token: res.Token})
		}
	}
	return mails
}

// runSignatureMails works jobs with a real River worker against the fake
// SendGrid until wait says the fake has seen enough, then a moment more, so
// a duplicate would show.
func runSignatureMails(t *testing.T, db *models.DB, fake *sendgridfake.Server, args jobs.SignatureMailsArgs, wait func() bool) {
	t.Helper()
	ctx := context.Background()
	client := startWorker(t, db, jobs.Deps{DB: db, Mail: jobs.NewSendGrid(fakeKey, fake.URL(), jobs.WithSendGridTimeout(5*time.Second)), Clock: models.SystemClock{},
		BaseURL: "https://press.example.org", MailFrom: jobs.Address{Email: "press@example.org", Name: "Press Office"}})
	if _, err := client.Insert(ctx, args, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !wait() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: the fake accepted %d recipients in %d requests", fake.Count(), fake.Requests())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
}

// linksByAddress is what each address received: its confirmation links and
// greetings, from the accepted requests with their substitutions applied.
func linksByAddress(t *testing.T, fake *sendgridfake.Server) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, m := range fake.Accepted() {
		var text string
		for _, c := range m.Body.Content {
			if c.Type == "text/plain" {
				text = c.Value
			}
		}
		for _, p := range m.Body.Personalizations {
			for _, to := range p.To {
				out[to.Email] = append(out[to.Email], jobs.Personalize(text, p.Substitutions))
			}
		}
	}
	return out
}

// TestSignatureMailsOneRequestPerPetition: a batch's confirmation emails go
// in one request per petition, each signer with their own greeting and link,
// and each exactly once.
func TestSignatureMailsOneRequestPerPetition(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		o := dbtest.NewOrg(t, db)
		mails := signedBatch(t, db, o, 2, "ana@example.org", "ben@example.org", "cy@example.org")
		fake := sendgridfake.New(fakeKey).Start()
		defer fake.Close()
		runSignatureMails(t, db, fake, jobs.SignatureMailsArgs{Mails: mails}, func() bool { return fake.Count() >= 6 })
		if n := fake.Requests(); n != 2 {
			t.Errorf("%d provider requests for two petitions' emails, want 2", n)
		}
		got := linksByAddress(t, fake)
		for _, a := range []string{"ana@example.org", "ben@example.org", "cy@example.org"} {
			if len(got[a]) != 2 {
				t.Errorf("%s got %d emails, want one per petition: %q", a, len(got[a]), got[a])
				continue
			}
			for _, text := range got[a] {
				if !strings.Contains(text, "Hello Signer <"+a+">,") || strings.Count(text, "/confirm/") != 1 || strings.Contains(text, "-confirm_link-") {
					t.Errorf("%s's email does not carry their own greeting and one link: %q", a, text)
				}
			}
			if got[a][0] == got[a][1] {
				t.Errorf("%s got the same link for two petitions", a)
			}
		}
		tokens := map[string]bool{}
		for _, m := range mails {
			tokens[m.Token] = true
		}
		for _, texts := range got {
			for _, text := range texts {
				_, token, _ := strings.Cut(text, "/confirm/")
				token, _, _ = strings.Cut(token, "\n")
				if !tokens[token] {
					t.Errorf("a link's token %q is none of the batch's", token)
				}
			}
		}
	})
}

// TestSignatureMailsFailureSendsNobodyTwice: when a request fails after
// another went, the emails not yet sent continue in a new job and nobody gets
// one twice; a request the provider refuses outright is tried signature by
// signature, so the addresses it would take still get theirs.
func TestSignatureMailsFailureSendsNobodyTwice(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		o := dbtest.NewOrg(t, db)
		addrs := []string{"dee@example.org", "eve@example.org"}
		t.Run("second request fails", func(t *testing.T) {
			mails := signedBatch(t, db, o, 2, addrs...)
			fake := sendgridfake.New(fakeKey).Start()
			defer fake.Close()
			fake.Script(sendgridfake.Fault{}, sendgridfake.ServerError(http.StatusServiceUnavailable))
			runSignatureMails(t, db, fake, jobs.SignatureMailsArgs{Mails: mails}, func() bool { return fake.Count() >= 4 })
			for _, a := range addrs {
				if n := len(linksByAddress(t, fake)[a]); n != 2 {
					t.Errorf("%s got %d emails, want 2 (one per petition, none twice)", a, n)
				}
			}
			if n := fake.Requests(); n != 3 {
				t.Errorf("%d requests, want 3: the first, the failed second, and the second again alone", n)
			}
		})
		t.Run("request refused", func(t *testing.T) {
			mails := signedBatch(t, db, o, 1, addrs...)
			fake := sendgridfake.New(fakeKey).Start()
			defer fake.Close()
			fake.Script(sendgridfake.Fault{Status: http.StatusBadRequest, Message: "Does not contain a valid address."})
			runSignatureMails(t, db, fake, jobs.SignatureMailsArgs{Mails: mails}, func() bool { return fake.Count() >= 2 })
			got := linksByAddress(t, fake)
			for _, a := range addrs {
				if len(got[a]) != 1 {
					t.Errorf("%s got %d emails after the refused request, want 1 on its own", a, len(got[a]))
				}
			}
			for _, m := range fake.Accepted() {
				if len(m.Body.Personalizations) != 1 {
					t.Errorf("a request after the refusal carried %d signers, want one each", len(m.Body.Personalizations))
				}
			}
		})
	})
}
