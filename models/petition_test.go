package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"pressroom/models"
	"pressroom/models/dbtest"
)

func strp(s string) *string { return &s }

func petitionInput(title string) models.PetitionInput {
	goal := 1000
	return models.PetitionInput{Title: strp(title), Target: strp("The Foreign Secretary"), Demand: strp("Stop arms sales now."),
		Body: strp("Background **here**."), Goal: &goal}
}

func openPetition(t *testing.T, db *gorm.DB, by *models.User, title string, now time.Time) *models.Petition {
	t.Helper()
	ctx := context.Background()
	p, err := models.CreatePetition(ctx, db, by, petitionInput(title), now)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = models.OpenPetition(ctx, db, by, p.ID, now); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPetitionLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := dbtest.NewOrg(t, db)
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		if _, err := models.CreatePetition(ctx, db.Gorm, o.Press, petitionInput("Press may not"), now); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("press officer create = %v, want forbidden", err)
		}
		_, err := models.CreatePetition(ctx, db.Gorm, o.Campaigner, models.PetitionInput{Demand: strp("Line one\nline two")}, now)
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Fields["title"] == "" || ve.Fields["target"] == "" || ve.Fields["demand"] == "" {
			t.Fatalf("invalid create = %v", err)
		}
		p, err := models.CreatePetition(ctx, db.Gorm, o.Campaigner, petitionInput("Stop the arms sales"), now)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != models.PetitionDraft || p.Slug != "stop-the-arms-sales" {
			t.Fatalf("created %+v", p)
		}
		p2, err := models.CreatePetition(ctx, db.Gorm, o.Campaigner, petitionInput("Stop the arms sales"), now)
		if err != nil || p2.Slug != "stop-the-arms-sales-2" {
			t.Fatalf("second slug %v %v", p2, err)
		}
		if _, err := models.PublicPetitionBySlug(ctx, db.Gorm, p.Slug, now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("a draft is public: %v", err)
		}
		if _, err := models.ClosePetition(ctx, db.Gorm, o.Campaigner, p.ID, now); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("close a draft = %v", err)
		}
		closes := now.Add(48 * time.Hour)
		cp := &closes
		if _, err := models.UpdatePetition(ctx, db.Gorm, o.Campaigner, p.ID, models.PetitionInput{ClosesAt: &cp, Demand: strp("Stop all arms sales now.")}, now); err != nil {
			t.Fatalf("edit a draft's demand: %v", err)
		}
		if p, err = models.OpenPetition(ctx, db.Gorm, o.Campaigner, p.ID, now); err != nil || p.Status != models.PetitionOpen {
			t.Fatalf("open = %v %v", p, err)
		}
		if _, err := models.PublicPetitionBySlug(ctx, db.Gorm, p.Slug, now); err != nil {
			t.Fatalf("open petition not public: %v", err)
		}
		// The background of an open petition may change freely; its demand only
		// with a confirmation, and the change is stamped.
		if p, err = models.UpdatePetition(ctx, db.Gorm, o.Campaigner, p.ID, models.PetitionInput{Body: strp("New background.")}, now); err != nil || p.TextUpdatedAt != nil {
			t.Fatalf("background edit = %v %v", p, err)
		}
		if _, err := models.UpdatePetition(ctx, db.Gorm, o.Campaigner, p.ID, models.PetitionInput{Target: strp("The Prime Minister")}, now); !errors.Is(err, models.ErrTextChangeUnconfirmed) {
			t.Fatalf("unconfirmed target change = %v", err)
		}
		later := now.Add(time.Hour)
		p, err = models.UpdatePetition(ctx, db.Gorm, o.Campaigner, p.ID, models.PetitionInput{Target: strp("The Prime Minister"), ConfirmTextChange: true}, later)
		if err != nil || p.TextUpdatedAt == nil || !p.TextUpdatedAt.Equal(later) || p.Target != "The Prime Minister" {
			t.Fatalf("confirmed target change = %+v %v", p, err)
		}
		// The closing job closes it at closes_at, not before.
		if ids, err := models.CloseDuePetitions(ctx, db.Gorm, closes.Add(-time.Second)); err != nil || len(ids) != 0 {
			t.Fatalf("closed early: %v %v", ids, err)
		}
		if ids, err := models.CloseDuePetitions(ctx, db.Gorm, closes); err != nil || len(ids) != 1 || ids[0] != p.ID {
			t.Fatalf("close due = %v %v", ids, err)
		}
		p, _ = models.PetitionByID(ctx, db.Gorm, p.ID)
		if p.Status != models.PetitionClosed {
			t.Fatalf("status after closing job = %s", p.Status)
		}
		if _, err := models.PublicPetitionBySlug(ctx, db.Gorm, p.Slug, closes); err != nil {
			t.Fatalf("a closed petition stays public with its final count: %v", err)
		}
	})
}

func TestPetitionFollowsReleaseEmbargo(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := dbtest.NewOrg(t, db)
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		embargo := now.Add(time.Hour)
		rel := o.Release(t, models.KindPressRelease, "Arms exports condemned", &embargo, now)
		in := petitionInput("Embargoed petition")
		in.ReleaseID = &rel.ID
		p, err := models.CreatePetition(ctx, db.Gorm, o.Campaigner, in, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.OpenPetition(ctx, db.Gorm, o.Campaigner, p.ID, now); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("opening before the embargo without open_on_embargo_lift = %v, want conflict", err)
		}
		yes := true
		if _, err := models.UpdatePetition(ctx, db.Gorm, o.Campaigner, p.ID, models.PetitionInput{OpenOnEmbargoLift: &yes}, now); err != nil {
			t.Fatal(err)
		}
		if p, err = models.OpenPetition(ctx, db.Gorm, o.Campaigner, p.ID, now); err != nil {
			t.Fatal(err)
		}
		if _, err := models.PublicPetitionBySlug(ctx, db.Gorm, p.Slug, embargo.Add(time.Minute)); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("public before the release is published: %v", err)
		}
		if _, err := models.PublishDue(ctx, db.Gorm, embargo); err != nil {
			t.Fatal(err)
		}
		if _, err := models.PublicPetitionBySlug(ctx, db.Gorm, p.Slug, embargo); err != nil {
			t.Fatalf("not public once the embargo lifted: %v", err)
		}
		if ps, err := models.PublicCampaignPetitions(ctx, db.Gorm, "none", embargo); err != nil || len(ps) != 0 {
			t.Fatalf("campaign filter: %v %v", ps, err)
		}
	})
}

func sign(t *testing.T, db *gorm.DB, p *models.Petition, in models.SignInput, now time.Time) *models.SignResult {
	t.Helper()
	var res *models.SignResult
	err := models.Transaction(context.Background(), db, func(tx *gorm.DB) error {
		var err error
		res, err = models.RequestSignature(context.Background(), tx, p, in, models.DefaultSignLimits(), models.DefaultEmailRules(), now)
		return err
	})
	if err != nil {
		t.Fatalf("sign %s: %v", in.Email, err)
	}
	return res
}

func countSignatures(t *testing.T, db *gorm.DB, petitionID string) int64 {
	t.Helper()
	var n int64
	db.Model(&models.Signature{}).Where("petition_id = ?", petitionID).Count(&n)
	return n
}

func TestSigningDedupesMailboxesAndCountsOnce(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := dbtest.NewOrg(t, db)
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		p := openPetition(t, db.Gorm, o.Campaigner, "Free them", now)
		first := sign(t, db.Gorm, p, models.SignInput{Name: "Ada", Email: "a.da+news@gmail.com", Country: "gb", IP: "203.0.113.7"}, now)
		if first.Email != models.SignEmailConfirm || first.Token == "" || first.Signature.NormalisedEmail != "ada@gmail.com" {
			t.Fatalf("first signature = %+v", first)
		}
		// Aliases of the same mailbox store nothing new and get the link again,
		// up to three emails in all.
		for i, alias := range []string{"ADA@gmail.com", "ada@googlemail.com", "a.d.a+x@gmail.com"} {
			res := sign(t, db.Gorm, p, models.SignInput{Name: "Ada", Email: alias, Country: "GB", IP: "198.51.100.1"}, now)
			want := models.SignEmailConfirm
			if i >= 2 {
				want = models.SignEmailNone
			}
			if res.Email != want || res.Signature.ID != first.Signature.ID {
				t.Errorf("alias %s: email %q (want %q), signature %s", alias, res.Email, want, res.Signature.ID)
			}
		}
		if n := countSignatures(t, db.Gorm, p.ID); n != 1 {
			t.Fatalf("%d signatures stored, want 1", n)
		}
		// A GET-only lookup confirms nothing.
		if _, _, err := models.SignatureByToken(ctx, db.Gorm, first.Token); err != nil {
			t.Fatal(err)
		}
		if n, _ := models.CountNewSignatures(ctx, db.Gorm, now); n != 0 {
			t.Fatalf("counted %d unconfirmed signatures", n)
		}
		sig, _, err := models.ConfirmSignature(ctx, db.Gorm, first.Token, "203.0.113.7", now)
		if err != nil || sig.State != models.SignatureConfirmed {
			t.Fatalf("confirm = %+v %v", sig, err)
		}
		if _, _, err := models.ConfirmSignature(ctx, db.Gorm, first.Token, "", now); err != nil {
			t.Fatalf("second confirm = %v", err)
		}
		// Others sign and confirm; two count jobs race; each signature counts once.
		for i, e := range []string{"b@example.org", "c@example.org", "d@example.fr"} {
			c := "GB"
			if i == 2 {
				c = "FR"
			}
			r := sign(t, db.Gorm, p, models.SignInput{Name: "S", Email: e, Country: c, IP: "192.0.2." + string(rune('1'+i))}, now)
			if _, _, err := models.ConfirmSignature(ctx, db.Gorm, r.Token, "", now); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		added := 0
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := models.CountNewSignatures(ctx, db.Gorm, now)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				added += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if n, _ := models.CountNewSignatures(ctx, db.Gorm, now); added+n != 4 {
			t.Fatalf("count jobs added %d+%d, want 4", added, n)
		}
		c, err := models.PetitionCountOf(ctx, db.Gorm, p.ID)
		if err != nil || c.Confirmed != 4 || c.ByCountry["GB"] != 3 || c.ByCountry["FR"] != 1 {
			t.Fatalf("count = %+v %v", c, err)
		}
		// Already confirmed: the "you have already signed" email, within the limit.
		r := sign(t, db.Gorm, p, models.SignInput{Name: "B", Email: "B@example.org", Country: "GB"}, now)
		if r.Email != models.SignEmailAlready {
			t.Errorf("repeat of a confirmed signature: email %q", r.Email)
		}
		// The recount finds no drift, then repairs a tampered counter.
		if d, err := models.RecountSignatures(ctx, db.Gorm, now); err != nil || len(d) != 0 {
			t.Fatalf("recount = %v %v", d, err)
		}
		db.Gorm.Model(&models.PetitionCounter{}).Where("petition_id = ?", p.ID).Update("confirmed", 99)
		d, err := models.RecountSignatures(ctx, db.Gorm, now)
		if err != nil || len(d) != 1 || d[0].Counter != 99 || d[0].Actual != 4 {
			t.Fatalf("recount drift = %v %v", d, err)
		}
		if c, _ := models.PetitionCountOf(ctx, db.Gorm, p.ID); c.Confirmed != 4 || c.ByCountry["GB"] != 3 {
			t.Fatalf("count after recount = %+v", c)
		}
	})
}

func TestSigningAbuseRules(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := dbtest.NewOrg(t, db)
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		p := openPetition(t, db.Gorm, o.Campaigner, "Abuse", now)
		limits := models.SignLimits{Burst: models.RateLimit{N: 2, Window: time.Minute}, Sustained: models.RateLimit{N: 4, Window: time.Hour}, Ceiling: models.RateLimit{N: 5, Window: time.Minute}}
		signAt := func(email, ip, honeypot string, at time.Time) (*models.SignResult, error) {
			var res *models.SignResult
			err := models.Transaction(ctx, db.Gorm, func(tx *gorm.DB) error {
				var err error
				res, err = models.RequestSignature(ctx, tx, p, models.SignInput{Name: "N", Email: email, Country: "GB", IP: ip, Honeypot: honeypot}, limits, models.DefaultEmailRules(), at)
				return err
			})
			return res, err
		}
		var states []models.SignatureState
		for i, at := range []time.Time{now, now.Add(time.Second), now.Add(2 * time.Second), now.Add(5 * time.Minute), now.Add(10 * time.Minute)} {
			r, err := signAt(string(rune('a'+i))+"@example.org", "203.0.113.9", "", at)
			if err != nil {
				t.Fatal(err)
			}
			states = append(states, r.Signature.State)
		}
		want := []models.SignatureState{"pending", "pending", "flagged", "pending", "flagged"}
		for i := range want {
			if states[i] != want[i] {
				t.Errorf("signature %d from one address: %s, want %s (all %v)", i, states[i], want[i], states)
			}
		}
		r, err := signAt("bot@example.org", "198.51.100.2", "http://spam", now)
		if err != nil || r.Signature.State != models.SignatureFlagged || r.Signature.FlagReason != "honeypot" || r.Email != models.SignEmailConfirm {
			t.Fatalf("honeypot = %+v %v", r, err)
		}
		// Past the ceiling the address is refused outright.
		for i := range 5 {
			if _, err := signAt(string(rune('k'+i))+"@flood.example", "192.0.2.50", "", now); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := signAt("z@flood.example", "192.0.2.50", "", now); !errors.Is(err, models.ErrSignFlood) {
			t.Fatalf("past the ceiling = %v", err)
		}
		// Closed petitions take nothing.
		if _, err := models.ClosePetition(ctx, db.Gorm, o.Campaigner, p.ID, now); err != nil {
			t.Fatal(err)
		}
		p.Status = models.PetitionClosed
		if _, err := signAt("late@example.org", "192.0.2.99", "", now); !errors.Is(err, models.ErrPetitionClosed) {
			t.Fatalf("closed = %v", err)
		}
	})
}

func TestSignatureRetention(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := dbtest.NewOrg(t, db)
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		p := openPetition(t, db.Gorm, o.Campaigner, "Retention", now)
		pending := sign(t, db.Gorm, p, models.SignInput{Name: "P", Email: "p@example.org", Country: "GB", IP: "203.0.113.77"}, now)
		kept := sign(t, db.Gorm, p, models.SignInput{Name: "K", Email: "k@example.org", Country: "GB", IP: "2001:db8:abcd:12::1"}, now)
		if _, _, err := models.ConfirmSignature(ctx, db.Gorm, kept.Token, "", now); err != nil {
			t.Fatal(err)
		}
		if n, err := models.ExpirePendingSignatures(ctx, db.Gorm, 7*24*time.Hour, now.Add(6*24*time.Hour)); err != nil || n != 0 {
			t.Fatalf("expired early: %d %v", n, err)
		}
		if n, err := models.ExpirePendingSignatures(ctx, db.Gorm, 7*24*time.Hour, now.Add(8*24*time.Hour)); err != nil || n != 1 {
			t.Fatalf("expire = %d %v", n, err)
		}
		if _, _, err := models.SignatureByToken(ctx, db.Gorm, pending.Token); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("expired signature's link still works: %v", err)
		}
		if n, err := models.EraseSignatureIPs(ctx, db.Gorm, 30*24*time.Hour, now.Add(31*24*time.Hour)); err != nil || n != 1 {
			t.Fatalf("erase ips = %d %v", n, err)
		}
		var s models.Signature
		db.Gorm.First(&s, "id = ?", kept.Signature.ID)
		if s.IP != "2001:db8:abcd::/48" || !s.IPErased {
			t.Fatalf("ip after the window = %q erased=%v", s.IP, s.IPErased)
		}
	})
}

func TestIPPrefix(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"203.0.113.77": "203.0.113.0/24", "2001:db8:abcd:12::1": "2001:db8:abcd::/48", "::ffff:198.51.100.9": "198.51.100.0/24", "junk": ""} {
		if got := models.IPPrefix(in); got != want {
			t.Errorf("IPPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEveryEmailedLinkOpensItsSignature: the first email's link (kept on
// the signature) and a link sent again to a pending signer (a signature
// token) both open the same signature and either confirms it; once the signer
// is erased neither opens anything.
func TestEveryEmailedLinkOpensItsSignature(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := dbtest.NewOrg(t, db)
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		p := openPetition(t, db.Gorm, o.Campaigner, "Links", now)
		in := models.SignInput{Name: "Ana", Email: "ana@example.org", Country: "GB", OptIn: true}
		first := sign(t, db.Gorm, p, in, now)
		again := sign(t, db.Gorm, p, in, now.Add(time.Minute))
		if first.Token == "" || again.Token == "" || first.Token == again.Token || again.Email != models.SignEmailConfirm {
			t.Fatalf("first %+v, again %+v: want two different confirmation links", first, again)
		}
		var onRow, inTable int64
		db.Gorm.Model(&models.Signature{}).Where("id = ? AND token_hash = ?", first.Signature.ID, models.HashSecret(first.Token)).Count(&onRow)
		db.Gorm.Model(&models.SignatureToken{}).Where("signature_id = ?", first.Signature.ID).Count(&inTable)
		if onRow != 1 || inTable != 1 {
			t.Fatalf("first link on the signature: %d, links sent again: %d; want 1 and 1", onRow, inTable)
		}
		for _, tok := range []string{first.Token, again.Token} {
			sig, got, err := models.SignatureByToken(ctx, db.Gorm, tok)
			if err != nil || sig.ID != first.Signature.ID || got.ID != p.ID {
				t.Fatalf("link %s… opens %+v %v", tok[:6], sig, err)
			}
		}
		if sig, _, err := models.ConfirmSignature(ctx, db.Gorm, again.Token, "", now); err != nil || sig.ConfirmedAt == nil {
			t.Fatalf("confirm by the link sent again: %+v %v", sig, err)
		}
		sup, err := models.SupporterByEmail(ctx, db.Gorm, "ana@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if err := models.EraseSupporter(ctx, db.Gorm, sup.ID, nil); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{first.Token, again.Token} {
			if _, _, err := models.SignatureByToken(ctx, db.Gorm, tok); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("after erasure a link still opens the signature: %v", err)
			}
		}
	})
}

func TestSupporterErasureAnonymisesSignaturesKeepingCounts(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := dbtest.NewOrg(t, db)
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		p1 := openPetition(t, db.Gorm, o.Campaigner, "One", now)
		p2 := openPetition(t, db.Gorm, o.Campaigner, "Two", now)
		a := sign(t, db.Gorm, p1, models.SignInput{Name: "Rosa", Email: "rosa@example.org", Country: "GB", Postcode: "E1", OptIn: true, IP: "203.0.113.5"}, now)
		b := sign(t, db.Gorm, p2, models.SignInput{Name: "Rosa", Email: "Rosa@example.org", Country: "GB", IP: "203.0.113.5"}, now)
		for _, tok := range []string{a.Token, b.Token} {
			if _, _, err := models.ConfirmSignature(ctx, db.Gorm, tok, "", now); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := models.CountNewSignatures(ctx, db.Gorm, now); err != nil {
			t.Fatal(err)
		}
		sup, err := models.SupporterByEmail(ctx, db.Gorm, "rosa@example.org")
		if err != nil || sup.Status != models.StatusSubscribed {
			t.Fatalf("supporter %+v %v", sup, err)
		}
		exp, err := models.ExportSupporter(ctx, db.Gorm, sup.ID)
		if err != nil || len(exp.Signatures) != 2 || exp.Signatures[0].Postcode != "E1" || exp.Signatures[0].ConsentWording != models.PetitionConsentWording {
			t.Fatalf("export signatures %+v %v", exp, err)
		}
		if err := models.EraseSupporter(ctx, db.Gorm, sup.ID, nil); err != nil {
			t.Fatal(err)
		}
		var ss []models.Signature
		db.Gorm.Where("petition_id IN ?", []string{p1.ID, p2.ID}).Find(&ss)
		for _, s := range ss {
			if s.Name != "" || s.Email != nil || s.Postcode != "" || s.IP != "" || s.State != models.SignatureConfirmed || s.Country != "GB" {
				t.Errorf("after erasure: %+v", s)
			}
		}
		for _, p := range []*models.Petition{p1, p2} {
			if c, _ := models.PetitionCountOf(ctx, db.Gorm, p.ID); c.Confirmed != 1 {
				t.Errorf("count of %s after erasure = %d", p.Title, c.Confirmed)
			}
		}
		if d, err := models.RecountSignatures(ctx, db.Gorm, now); err != nil || len(d) != 0 {
			t.Fatalf("recount after erasure: %v %v", d, err)
		}
	})
}

func TestInvalidationByNetworkAndPattern(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := dbtest.NewOrg(t, db)
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		p := openPetition(t, db.Gorm, o.Campaigner, "Net", now)
		for i, s := range []struct{ email, ip string }{{"a1@x.org", "203.0.113.1"}, {"a2@x.org", "203.0.113.200"}, {"b1@x.org", "198.51.100.1"}, {"bot_1@y.org", "2001:db8::1"}} {
			sign(t, db.Gorm, p, models.SignInput{Name: "N", Email: s.email, Country: "GB", IP: s.ip}, now.Add(time.Duration(i)*time.Minute))
		}
		for _, c := range []struct {
			crit models.InvalidationCriteria
			want int
		}{
			{models.InvalidationCriteria{CIDR: "203.0.113.0/24"}, 2},
			{models.InvalidationCriteria{CIDR: "2001:db8::/48"}, 1},
			{models.InvalidationCriteria{EmailPattern: "bot_*@*"}, 1},
			{models.InvalidationCriteria{EmailPattern: "a*"}, 2},
			{models.InvalidationCriteria{CIDR: "203.0.113.0/24", From: ptrTime(now.Add(time.Minute))}, 1},
		} {
			if n, err := models.PreviewInvalidation(ctx, db.Gorm, p.ID, c.crit); err != nil || n != c.want {
				t.Errorf("preview %+v = %d %v, want %d", c.crit, n, err, c.want)
			}
		}
		if _, err := models.PreviewInvalidation(ctx, db.Gorm, p.ID, models.InvalidationCriteria{}); err == nil {
			t.Error("empty criteria accepted")
		}
	})
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestSegmentSignedPetition(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := dbtest.NewOrg(t, db)
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		p := openPetition(t, db.Gorm, o.Campaigner, "Segment", now)
		other := openPetition(t, db.Gorm, o.Campaigner, "Other", now)
		yes := sign(t, db.Gorm, p, models.SignInput{Name: "Y", Email: "yes@example.org", Country: "GB", OptIn: true}, now)
		sign(t, db.Gorm, p, models.SignInput{Name: "P", Email: "pending@example.org", Country: "GB", OptIn: true}, now)
		elsewhere := sign(t, db.Gorm, other, models.SignInput{Name: "E", Email: "else@example.org", Country: "GB", OptIn: true}, now)
		for _, tok := range []string{yes.Token, elsewhere.Token} {
			if _, _, err := models.ConfirmSignature(ctx, db.Gorm, tok, "", now); err != nil {
				t.Fatal(err)
			}
		}
		f := models.SupporterFilter{SignedPetitionIDs: []string{p.ID}}
		if err := f.Validate(); err != nil {
			t.Fatalf("the petition filter is refused: %v", err)
		}
		ss, err := models.Supporters(ctx, db.Gorm, f, 10, "")
		if err != nil || len(ss) != 1 || ss[0].Address() != "yes@example.org" {
			t.Fatalf("signed petition segment = %+v %v", ss, err)
		}
	})
}

func TestTrendingSources(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := dbtest.NewOrg(t, db)
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		p := openPetition(t, db.Gorm, o.Campaigner, "Trend", now)
		rows := make([]models.Signature, 0, 120)
		for i := range 120 {
			domain, ip := "bulk.example", "203.0.113.9"
			if i%10 == 0 {
				domain, ip = "other.example", "198.51.100.1"
			}
			e := fmt.Sprintf("s%d@%s", i, domain)
			rows = append(rows, models.Signature{ID: models.NewID(), PetitionID: p.ID, Name: "N", Email: &e, NormalisedEmail: e, EmailDomain: domain,
				Country: "GB", State: models.SignaturePending, IP: ip, CreatedAt: now.Add(-time.Duration(i) * time.Second)})
		}
		if err := db.Gorm.CreateInBatches(rows, 50).Error; err != nil {
			t.Fatal(err)
		}
		ts, err := models.TrendingSources(ctx, db.Gorm, p.ID, now.Add(-time.Hour), models.TrendingThreshold)
		if err != nil || len(ts) != 4 {
			t.Fatalf("trending = %+v %v", ts, err)
		}
		if ts[0] != (models.TrendingSource{Kind: "ip", Source: "203.0.113.9", N: 108, Over: true}) || ts[1].Over ||
			ts[2] != (models.TrendingSource{Kind: "domain", Source: "bulk.example", N: 108, Over: true}) {
			t.Fatalf("trending = %+v", ts)
		}
	})
}
