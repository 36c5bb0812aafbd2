package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// translate writes a translation of orig in lang with the given body.
func (o *org) translate(t *testing.T, orig *models.Document, lang, headline, body string) *models.Document {
	t.Helper()
	d, err := models.CreateDocument(context.Background(), o.db, o.press, models.DocumentInput{Kind: orig.Kind, Language: ptr(lang), OriginalID: &orig.ID,
		Headline: ptr(headline), Standfirst: ptr("Chapeau " + body), Body: ptr(body), NotesToEditors: ptr("Notes " + body)}, o.now)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestWithdrawTakesTranslations: withdrawing an original withdraws every
// translation with it, published or not yet, in the same transaction, each with
// its own audit event; none of them shows any text afterwards, and none can go
// out later.
func TestWithdrawTakesTranslations(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		orig := o.publish(t, o.write(t, "Freedonia arms deal", "Standfirst zqorig.", "Body zqorig.").ID)
		fr := o.publish(t, o.translate(t, orig, "fr", "Accord d'armes", "zqfr").ID)
		later := o.now.Add(48 * time.Hour)
		es := o.translate(t, orig, "es", "Acuerdo de armas", "zqes")
		if _, err := models.UpdateDocument(ctx, o.db, o.press, es.ID, models.DocumentInput{EmbargoAt: ptr(&later)}, o.now); err != nil {
			t.Fatal(err)
		}
		if es = o.publish(t, es.ID); es.Status != models.StatusScheduled {
			t.Fatalf("Spanish translation is %s, want scheduled", es.Status)
		}
		de := o.translate(t, orig, "de", "Waffendeal", "zqde") // a draft

		if _, err := models.WithdrawDocument(ctx, o.db, o.press, orig.ID, "Withdrawn: a figure was wrong.", o.now); err != nil {
			t.Fatal(err)
		}
		for _, d := range []*models.Document{fr, es, de} {
			got, _ := models.DocumentByID(ctx, o.db, d.ID)
			if got.Status != models.StatusWithdrawn || got.WithdrawalNotice != "Withdrawn: a figure was wrong." {
				t.Errorf("%s translation: %s, notice %q; want withdrawn with the original's notice", d.Language, got.Status, got.WithdrawalNotice)
			}
			evs, err := models.AuditEvents(ctx, o.db, models.AuditFilter{SubjectID: d.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 || evs[0].Action != "withdrawn" || evs[0].ToStatus != string(models.StatusWithdrawn) || evs[0].ActorID == nil || *evs[0].ActorID != o.press.ID {
				t.Errorf("%s translation: no audit event of its withdrawal by the press officer", d.Language)
			}
		}
		// The scheduled translation does not go out when its embargo lifts.
		if ids, err := models.PublishDue(ctx, o.db, later.Add(time.Minute)); err != nil || len(ids) != 0 {
			t.Fatalf("PublishDue after the withdrawal published %v (%v)", ids, err)
		}
		// Public: the French page is a notice; the others do not exist.
		now := later.Add(time.Hour)
		p, err := models.PublicReleaseBySlug(ctx, o.db, *fr.Slug, now)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != models.StatusWithdrawn || p.Standfirst != "" || p.Body != "" || p.NotesToEditors != "" || p.Dateline != "" || len(p.Contacts()) != 0 {
			t.Errorf("withdrawn translation as the public sees it: %+v", p)
		}
		if p.Headline != "Accord d'armes" || p.IndexNumber == nil || p.PublishedAt == nil || p.WithdrawalNotice == "" {
			t.Errorf("withdrawn translation lacks its headline, index number, date or notice: %+v", p)
		}
		if _, err := models.PublicReleaseBySlug(ctx, o.db, *es.Slug, now); err == nil {
			t.Error("the scheduled Spanish translation is public after the withdrawal")
		}
		for _, q := range []string{"zqorig", "zqfr", "zqes"} {
			if hits := searchPublic(t, o, q, now); len(hits) != 0 {
				t.Errorf("public search %q finds %d withdrawn releases by their text", q, len(hits))
			}
		}
		hits := searchPublic(t, o, "accord", now)
		if len(hits) != 1 || hits[0].Status != models.StatusWithdrawn || hits[0].Snippet != "" {
			t.Errorf("search by the withdrawn translation's headline = %+v; want one withdrawn hit without a snippet", hits)
		}
	})
}

// TestTranslationNeverMorePublicThanOriginal: a translation whose original is
// not visible (back in review) is on no public surface, whatever its own
// status; and a translation published after its original was withdrawn shows
// the original's notice, not its text.
func TestTranslationNeverMorePublicThanOriginal(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		later := o.now.Add(time.Hour)
		orig := o.publish(t, o.write(t, "Original in review", "", "Body.", embargo(later)).ID)
		var none *time.Time
		if d, err := models.UpdateDocument(ctx, o.db, o.press, orig.ID, models.DocumentInput{Body: ptr("Edited."), EmbargoAt: &none}, o.now); err != nil || d.Status != models.StatusInReview {
			t.Fatalf("edit after approval: %v", err)
		}
		fr := o.publish(t, o.translate(t, orig, "fr", "Traduction orpheline", "zqorphan").ID)
		if fr.Status != models.StatusPublished {
			t.Fatalf("translation is %s; the test needs it published", fr.Status)
		}
		check := func(when string, now time.Time, want bool) {
			t.Helper()
			_, err := models.PublicReleaseBySlug(ctx, o.db, *fr.Slug, now)
			list, _, lerr := models.PublicReleases(ctx, o.db, models.PublicFilter{Now: now})
			_, ierr := models.PublicReleaseByIndex(ctx, o.db, *fr.IndexNumber, "fr", now)
			hits := searchPublic(t, o, "zqorphan", now)
			if lerr != nil {
				t.Fatal(lerr)
			}
			got := map[string]bool{"page": err == nil, "listing": len(list) > 0, "index lookup": ierr == nil, "search": len(hits) > 0}
			for surface, shown := range got {
				if shown != want {
					t.Errorf("%s: translation on the %s = %v, want %v", when, surface, shown, want)
				}
			}
		}
		check("original in review", o.now, false)
		if d := o.approveAll(t, orig.ID); d.Status != models.StatusPublished {
			t.Fatalf("original is %s after approval", d.Status)
		}
		check("original published", o.now, true)
		trans, err := models.PublicTranslations(ctx, o.db, orig, o.now)
		if err != nil || len(trans) != 1 || trans[0].ID != fr.ID {
			t.Fatalf("translation links of the original: %v %v", trans, err)
		}

		// Withdrawn first, translated afterwards: the translation shows the
		// original's notice and none of its own text.
		gone := o.publish(t, o.write(t, "Gone", "", "Body.").ID)
		if _, err := models.WithdrawDocument(ctx, o.db, o.press, gone.ID, "Withdrawn: wrong figures.", o.now); err != nil {
			t.Fatal(err)
		}
		late := o.publish(t, o.translate(t, gone, "fr", "Partie", "zqlate").ID)
		p, err := models.PublicReleaseBySlug(ctx, o.db, *late.Slug, o.now)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != models.StatusWithdrawn || p.WithdrawalNotice != "Withdrawn: wrong figures." || strings.Contains(p.Standfirst+p.Body+p.NotesToEditors, "zqlate") {
			t.Errorf("translation of a withdrawn original: %s %q %q", p.Status, p.WithdrawalNotice, p.Body)
		}
		if hits := searchPublic(t, o, "zqlate", o.now); len(hits) != 0 {
			t.Errorf("its text is publicly searchable: %d hits", len(hits))
		}
	})
}

// TestAccentContrast: the WCAG 2 contrast ratio, and the warning for accent
// colours under AA's 4.5:1 against white.
func TestAccentContrast(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want float64
	}{{"#000000", "#ffffff", 21}, {"#ffffff", "#ffffff", 1}, {"#777777", "#ffffff", 4.48}, {"#0b57d0", "#ffffff", 6.39}} {
		if got := models.ContrastRatio(c.a, c.b); got < c.want-0.01 || got > c.want+0.01 {
			t.Errorf("ContrastRatio(%s, %s) = %.2f, want %.2f", c.a, c.b, got, c.want)
		}
	}
	if models.AccentWarning("#0b57d0") != "" || models.AccentWarning("") != "" || models.AccentWarning("#777777") == "" {
		t.Errorf("AccentWarning: dark blue %q, none %q, #777 %q", models.AccentWarning("#0b57d0"), models.AccentWarning(""), models.AccentWarning("#777777"))
	}
}
