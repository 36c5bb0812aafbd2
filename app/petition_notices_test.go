package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// signConfirmed stores and confirms n signatures on a petition, from ip, the
// way the public form and the emailed button do.
func signConfirmed(t *testing.T, env *testEnv, petitionID string, from, n int, ip string, email func(i int) string) {
	t.Helper()
	ctx := context.Background()
	p, err := models.PetitionByID(ctx, env.db.Gorm, petitionID)
	if err != nil {
		t.Fatal(err)
	}
	limits := models.SignLimits{} // the limits are not what these tests are about
	for i := from; i < from+n; i++ {
		var res *models.SignResult
		err := models.Transaction(ctx, env.db.Gorm, func(tx *gorm.DB) error {
			res, err = models.RequestSignature(ctx, tx, p, models.SignInput{Name: "Signer", Email: email(i), Country: "GB", IP: ip}, limits, models.DefaultEmailRules(), env.clock.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := models.ConfirmSignature(ctx, env.db.Gorm, res.Token, ip, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

// waitTrendingMail waits up to 10 s for n trending-source emails to reach to's
// outbox (the sweep's job enqueues them; their delivery is a job of its own)
// and returns those there.
func waitTrendingMail(t *testing.T, env *testEnv, to string, n int) []models.OutboxMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ms := trendingMail(outboxTo(t, env, to))
		if len(ms) >= n || time.Now().After(deadline) {
			return ms
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// completedJobs counts the finished jobs of a kind.
func completedJobs(t *testing.T, env *testEnv, kind string) int64 {
	t.Helper()
	var n int64
	if err := env.db.Gorm.Table("river_job").Where("kind = ? AND state = ?", kind, "completed").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// waitJobs waits until at least n more jobs of a kind than `since` completed.
func waitJobs(t *testing.T, env *testEnv, kind string, since, n int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for completedJobs(t, env, kind) < since+n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d %s jobs completed in 20s", n, kind)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func outboxTo(t *testing.T, env *testEnv, to string) []models.OutboxMessage {
	t.Helper()
	ms, err := models.OutboxMessages(context.Background(), env.db.Gorm, to, 50)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// trendingMail keeps the trending-source emails (milestones may come too).
func trendingMail(ms []models.OutboxMessage) []models.OutboxMessage {
	var out []models.OutboxMessage
	for _, m := range ms {
		if strings.HasPrefix(m.Subject, "Unusual signing") {
			out = append(out, m)
		}
	}
	return out
}

func subjects(ms []models.OutboxMessage) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}

// TestPetitionMilestones: the count job, after moving the counter past 10
// and then past the goal, emails the campaign's campaigners once for each;
// further runs of the job send nothing more. Staff outside the campaign hear
// nothing.
func TestPetitionMilestones(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		cmp, err := models.CreateCampaign(ctx, env.db.Gorm, env.users[models.RoleCampaigner], "Free the journalists", "")
		if err != nil {
			t.Fatal(err)
		}
		other, err := models.CreateUser(ctx, env.db.Gorm, models.NewUserInput{Email: "other.campaigner@example.org", Name: "Other", Role: models.RoleCampaigner, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Free them","target":"T","demand":"Release them.","goal":15,"campaign_id":"`+cmp.ID+`"}`)
		email := func(i int) string { return fmt.Sprintf("signer%d@example.org", i) }
		me := "campaigner@example.org"

		signConfirmed(t, env, p.ID, 0, 9, "", email)
		waitCount(t, env, p.Slug, 9)
		if ms := outboxTo(t, env, me); len(ms) != 0 {
			t.Fatalf("mail before any milestone: %v", subjects(ms))
		}
		signConfirmed(t, env, p.ID, 9, 2, "", email)
		ms := waitOutbox(t, env, me, 1)
		if !strings.HasPrefix(ms[0].Subject, "10 signatures: Free them") || !strings.Contains(ms[0].TextBody, "passed 10 signatures: 11 are confirmed") ||
			!strings.Contains(ms[0].TextBody, "/admin/petitions/"+p.ID) {
			t.Fatalf("milestone mail %q %q", ms[0].Subject, ms[0].TextBody)
		}
		runs := completedJobs(t, env, "count_signatures")
		waitJobs(t, env, "count_signatures", runs, 2)
		if ms := outboxTo(t, env, me); len(ms) != 1 {
			t.Fatalf("after two more counts: %v", subjects(ms))
		}

		signConfirmed(t, env, p.ID, 11, 5, "", email)
		waitCount(t, env, p.Slug, 16)
		ms = waitOutbox(t, env, me, 2)
		runs = completedJobs(t, env, "count_signatures")
		waitJobs(t, env, "count_signatures", runs, 2)
		ms = outboxTo(t, env, me)
		goal := 0
		for _, m := range ms {
			if strings.HasPrefix(m.Subject, "Goal reached: Free them") && strings.Contains(m.TextBody, "goal of 15 signatures") {
				goal++
			}
		}
		if len(ms) != 2 || goal != 1 {
			t.Fatalf("after the goal: %v", subjects(ms))
		}
		if ms := outboxTo(t, env, other.Email); len(ms) != 0 {
			t.Errorf("a campaigner outside the campaign was told: %v", subjects(ms))
		}
	})
}

// TestPetitionTrendingSources: the first time an IP address (or an email
// domain) passes SIGNATURE_TRENDING_THRESHOLD signatures within the hour, the
// campaigners get one email naming it; later runs, even with more signatures
// from it, send none, and a new source gets its own.
func TestPetitionTrendingSources(t *testing.T) {
	run(t, envOptions{work: true, env: map[string]string{"SIGNATURE_TRENDING_THRESHOLD": "3"}}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Watched","target":"T","demand":"D."}`)
		me := "campaigner@example.org"
		sweep := func() {
			t.Helper()
			before := completedJobs(t, env, "notify_trending_sources")
			if _, err := env.jobs.Insert(ctx, jobs.NotifyTrendingSourcesArgs{}, nil); err != nil {
				t.Fatal(err)
			}
			waitJobs(t, env, "notify_trending_sources", before, 1)
		}
		signConfirmed(t, env, p.ID, 0, 2, "203.0.113.7", func(i int) string { return fmt.Sprintf("a%d@d%d.example", i, i) })
		signConfirmed(t, env, p.ID, 2, 2, "198.51.100.1", func(i int) string { return fmt.Sprintf("b%d@d%d.example", i, i) })
		sweep()
		if ms := trendingMail(outboxTo(t, env, me)); len(ms) != 0 {
			t.Fatalf("mail under the threshold: %v", subjects(ms))
		}
		signConfirmed(t, env, p.ID, 4, 1, "203.0.113.7", func(i int) string { return fmt.Sprintf("a%d@d%d.example", i, i) })
		sweep()
		ms := waitTrendingMail(t, env, me, 1)
		if len(ms) != 1 || !strings.Contains(ms[0].Subject, `Unusual signing on "Watched"`) || !strings.Contains(ms[0].TextBody, "IP address 203.0.113.7: 3 signatures") ||
			strings.Contains(ms[0].TextBody, "198.51.100.1") {
			t.Fatalf("trending mail: %v", ms)
		}
		signConfirmed(t, env, p.ID, 5, 2, "203.0.113.7", func(i int) string { return fmt.Sprintf("a%d@d%d.example", i, i) })
		sweep()
		if ms := trendingMail(outboxTo(t, env, me)); len(ms) != 1 {
			t.Fatalf("the same source told again: %v", subjects(ms))
		}
		signConfirmed(t, env, p.ID, 7, 3, "", func(i int) string { return fmt.Sprintf("c%d@bulk.example", i) })
		sweep()
		ms = waitTrendingMail(t, env, me, 2)
		if len(ms) != 2 || !strings.Contains(ms[0].TextBody+ms[1].TextBody, "email domain bulk.example: 3 signatures") {
			t.Fatalf("new domain: %v", subjects(ms))
		}
		var n int64
		env.db.Gorm.Model(&models.PetitionNotice{}).Where("petition_id = ? AND kind = ?", p.ID, models.NoticeTrending).Count(&n)
		if n != 2 {
			t.Errorf("%d trending notices recorded, want 2", n)
		}
	})
}
