package models_test

import (
	"context"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestNewsroomVersionMovesWithPublicChanges: the newsroom's version (what every
// public cache keys on) moves in the transaction of each change a public
// surface shows — publication, embargo lift, correction, withdrawal — and stays
// put for work nobody outside sees (drafting, review, scheduling), so an
// autosave does not empty the caches and a scheduled release leaves no trace.
func TestNewsroomVersionMovesWithPublicChanges(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		version := func() int64 {
			t.Helper()
			st, err := models.Newsroom(ctx, o.db)
			if err != nil {
				t.Fatal(err)
			}
			return st.Version
		}
		step := func(what string, wantMove bool, do func()) {
			t.Helper()
			before := version()
			do()
			if moved := version() != before; moved != wantMove {
				t.Errorf("%s: version moved = %v, want %v", what, moved, wantMove)
			}
		}
		var d, sched *models.Document
		step("writing a draft", false, func() { d = o.write(t, "Arms deal", "Standfirst.", "Body.") })
		step("editing a draft", false, func() {
			if _, err := models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{Body: ptr("Body, again.")}, o.now); err != nil {
				t.Fatal(err)
			}
		})
		step("submitting for review", false, func() { o.submit(t, d.ID) })
		step("the approval that publishes", true, func() { o.approveAll(t, d.ID) })
		lift := o.now.Add(2 * time.Hour)
		step("approving an embargoed release", false, func() { sched = o.publish(t, o.write(t, "Embargoed", "S.", "B.", embargo(lift)).ID) })
		if sched.Status != models.StatusScheduled {
			t.Fatalf("embargoed release is %s, want scheduled", sched.Status)
		}
		step("the embargo lift", true, func() {
			if ids, err := models.PublishDue(ctx, o.db, lift.Add(time.Second)); err != nil || len(ids) != 1 {
				t.Fatalf("PublishDue = %v, %v", ids, err)
			}
		})
		step("approving a correction", true, func() {
			if _, err := models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{Body: ptr("Corrected body."), CorrectionNote: ptr("A figure was wrong.")}, o.now); err != nil {
				t.Fatal(err)
			}
			o.approveAll(t, d.ID)
		})
		step("withdrawing", true, func() {
			if _, err := models.WithdrawDocument(ctx, o.db, o.press, d.ID, "Withdrawn.", o.now); err != nil {
				t.Fatal(err)
			}
		})
		st, err := models.Newsroom(ctx, o.db)
		if err != nil {
			t.Fatal(err)
		}
		if st.ETag == "" || st.LastModified.IsZero() || time.Since(st.LastModified) > time.Minute {
			t.Errorf("newsroom state %+v: want an ETag and Last-Modified at the last change", st)
		}
	})
}
