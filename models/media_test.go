package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// medium stores a library item as the upload path would (its files are not
// needed by the rules tested here).
func (o *org) medium(t *testing.T, kind models.MediaKind, title, hash string) *models.Medium {
	t.Helper()
	m := &models.Medium{Kind: kind, ContentType: "image/jpeg", Bytes: 1234, Width: 800, Height: 600, ContentHash: hash, Filename: title + ".jpg",
		Variants: []models.MediaVariant{{Name: models.VariantOriginal, StorageKey: hash + ".jpg", ContentType: "image/jpeg", Bytes: 1234}}}
	if kind == models.MediaDocument {
		m.ContentType, m.Filename = "application/pdf", title+".pdf"
	}
	if err := models.CreateMedium(context.Background(), o.db, o.press, models.MediumInput{Title: title, AltText: "Alt of " + title, Credit: "Photo: " + title}, m, o.now); err != nil {
		t.Fatal(err)
	}
	return m
}

func withMedia(lead string, att ...string) func(*models.DocumentInput) {
	return func(in *models.DocumentInput) { in.LeadImageID, in.AttachmentIDs = &lead, &att }
}

func publicHash(t *testing.T, o *org, hash string, now time.Time) bool {
	t.Helper()
	_, err := models.PublicMediumByHash(context.Background(), o.db, hash, now)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// TestMediaVisibilityFollowsReleases: a file is public exactly when a publicly
// visible, not withdrawn release shows it in its approved revision; unused,
// draft-only, embargoed-only and withdrawn-only files are not.
func TestMediaVisibilityFollowsReleases(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		unused := o.medium(t, models.MediaImage, "unused", "h-unused")
		draftOnly := o.medium(t, models.MediaImage, "draft", "h-draft")
		embargoed := o.medium(t, models.MediaImage, "embargoed", "h-embargoed")
		report := o.medium(t, models.MediaDocument, "report", "h-report")
		pub := o.medium(t, models.MediaImage, "published", "h-pub")
		gone := o.medium(t, models.MediaImage, "withdrawn", "h-gone")

		o.write(t, "Draft with photo", "s", "b", withMedia(draftOnly.ID))
		lift := o.now.Add(2 * time.Hour)
		emb := o.publish(t, o.write(t, "Embargoed", "s", "b", withMedia(embargoed.ID, report.ID), embargo(lift)).ID)
		if emb.Status != models.StatusScheduled {
			t.Fatalf("embargoed release is %s", emb.Status)
		}
		o.publish(t, o.write(t, "Published", "s", "b", withMedia(pub.ID)).ID)
		w := o.publish(t, o.write(t, "To withdraw", "s", "b", withMedia(gone.ID)).ID)
		if !publicHash(t, o, gone.ContentHash, o.now) {
			t.Fatal("a published release's photo is not public")
		}
		if _, err := models.WithdrawDocument(ctx, o.db, o.press, w.ID, "Withdrawn: wrong photo.", o.now); err != nil {
			t.Fatal(err)
		}
		for _, m := range []*models.Medium{unused, draftOnly, embargoed, report, gone} {
			if publicHash(t, o, m.ContentHash, o.now) {
				t.Errorf("%s is public before it should be", m.Title)
			}
		}
		if !publicHash(t, o, pub.ContentHash, o.now) {
			t.Error("the published release's photo is not public")
		}
		if _, err := models.PublishDue(ctx, o.db, lift); err != nil {
			t.Fatal(err)
		}
		for _, m := range []*models.Medium{embargoed, report} {
			if !publicHash(t, o, m.ContentHash, lift) {
				t.Errorf("%s is not public after the lift", m.Title)
			}
		}
		uses, err := models.MediumUsedIn(ctx, o.db, embargoed.ID)
		if err != nil || len(uses) != 1 || uses[0].DocumentID != emb.ID || uses[0].Role != "lead" {
			t.Errorf("used in: %+v %v; want the embargoed release as lead", uses, err)
		}
	})
}

// TestReplacingLeadImageVoidsApprovals: the media are part of the revision, so
// changing an approved release's photo starts its review over.
func TestReplacingLeadImageVoidsApprovals(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		a := o.medium(t, models.MediaImage, "first", "h-a")
		b := o.medium(t, models.MediaImage, "second", "h-b")
		lift := o.now.Add(24 * time.Hour)
		d := o.publish(t, o.write(t, "Photo story", "s", "b", withMedia(a.ID), embargo(lift)).ID)
		if d.Status != models.StatusScheduled {
			t.Fatalf("status %s, want scheduled", d.Status)
		}
		// Saving the same media again is no edit.
		same, err := models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{LeadImageID: &a.ID}, o.now)
		if err != nil || same.Status != models.StatusScheduled || same.CurrentRevision != d.CurrentRevision {
			t.Fatalf("re-saving the same photo: %v, status %s rev %d", err, same.Status, same.CurrentRevision)
		}
		got, err := models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{LeadImageID: &b.ID}, o.now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != models.StatusInReview || got.CurrentRevision != d.CurrentRevision+1 {
			t.Fatalf("after replacing the photo: %s revision %d; want in review on a new revision", got.Status, got.CurrentRevision)
		}
		rev, _ := models.RevisionByNumber(ctx, o.db, d.ID, got.CurrentRevision)
		if c := rev.Content(); c.LeadImageID != b.ID {
			t.Fatalf("new revision's lead image %q, want %q", c.LeadImageID, b.ID)
		}
		// A document is refused as a lead image, and an unknown id as attachment.
		rep := o.medium(t, models.MediaDocument, "report", "h-r")
		_, err = models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{LeadImageID: &rep.ID, AttachmentIDs: &[]string{"nosuchitem"}}, o.now)
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Fields["lead_image_id"] == "" || ve.Fields["attachment_ids"] == "" {
			t.Fatalf("bad media references: %v; want field errors for both", err)
		}
	})
}

// TestMediumNeedsAltTextAndSearches: images need alt text; the library
// searches title, caption and credit.
func TestMediumNeedsAltTextAndSearches(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		err := models.CreateMedium(ctx, o.db, o.press, models.MediumInput{Title: "No alt"}, &models.Medium{Kind: models.MediaImage, ContentType: "image/png", ContentHash: "x"}, o.now)
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Fields["alt_text"] == "" {
			t.Fatalf("image without alt text: %v", err)
		}
		if err := models.CreateMedium(ctx, o.db, o.viewer, models.MediumInput{Title: "t", AltText: "a"}, &models.Medium{Kind: models.MediaImage, ContentHash: "x"}, o.now); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("viewer upload: %v, want forbidden", err)
		}
		o.medium(t, models.MediaImage, "Protest in Valletta", "h1")
		o.medium(t, models.MediaImage, "Detention centre", "h2")
		hits, err := models.SearchMedia(ctx, o.db, "valletta", 10)
		if err != nil || len(hits) != 1 || hits[0].Title != "Protest in Valletta" {
			t.Fatalf("search by title: %v %v", hits, err)
		}
		if hits, _ = models.SearchMedia(ctx, o.db, "photo: detention", 10); len(hits) != 1 {
			t.Fatalf("search by credit: %d hits", len(hits))
		}
	})
}
