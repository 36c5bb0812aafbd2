package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// QueueItem is a document waiting for the user's approval.
type QueueItem struct {
	Document *Document
	Step     StepState
	// Barred, when set, is why the user may not approve it although their group
	// is asked (they wrote part of the text): shown, not actionable.
	Barred string
}

// reviewableWhere selects documents approvers may act on (see reviewable).
// documents_review_idx (migration 00041) is a partial index with exactly this
// predicate, in queue order.
const reviewableWhere = "(documents.status = 'in_review' OR (documents.status = 'published' AND documents.correction_pending))"

// ReviewQueue lists what waits for u's approval, oldest submission first, every
// item with its document whole (see ReviewQueuePage).
func ReviewQueue(ctx context.Context, db *gorm.DB, u *User) ([]QueueItem, error) {
	items, _, err := ReviewQueuePage(ctx, db, u, 0)
	return items, err
}

// queueDocColumns are the document columns working out a review needs.
const queueDocColumns = "documents.id, documents.workflow_id, documents.author_id, documents.rapid, documents.submitted_at, " +
	"documents.created_at, documents.current_revision, documents.approved_revision"

// ReviewQueuePage lists the oldest limit items waiting for u's approval (all of
// them when limit <= 0) and says how many wait in all; an item u is Barred
// from approving (they wrote part of its text) is listed with the reason, not
// as actionable.
//
// Which releases wait for u depends on each one's approvals, so every release
// in review is worked out, with the same rules as ReviewOf (newReview); but that takes
// only a few narrow columns (no text), read in three queries (and the workflows) whatever the
// length of the queue. Only the items returned are then read whole (document,
// author, series, current revision with its text) in three more: a backlog of
// a thousand releases no longer loads a thousand texts to show fifty.
func ReviewQueuePage(ctx context.Context, db *gorm.DB, u *User, limit int) ([]QueueItem, int, error) {
	if len(u.Groups) == 0 {
		return nil, 0, nil
	}
	q := db.WithContext(ctx)
	var docs []Document
	if err := q.Select(queueDocColumns).Where(reviewableWhere).Order("submitted_at, id").Find(&docs).Error; err != nil {
		return nil, 0, fmt.Errorf("models: review queue: %w", err)
	}
	if len(docs) == 0 {
		return nil, 0, nil
	}
	// The current revision's hash (which approvals still count) and who edited
	// since the last approval (who is barred), from one read of the revisions.
	var revs []struct {
		DocumentID  string
		Number      int
		EditorID    string
		ContentHash string
	}
	if err := q.Table("revisions").Select("revisions.document_id, revisions.number, revisions.editor_id, revisions.content_hash").
		Joins("JOIN documents ON documents.id = revisions.document_id AND " +
			"(revisions.number = documents.current_revision OR revisions.number > documents.approved_revision)").
		Where(reviewableWhere).Scan(&revs).Error; err != nil {
		return nil, 0, fmt.Errorf("models: review queue revisions: %w", err)
	}
	var apps []Approval
	if err := q.Table("approvals").Select("approvals.*").Joins("JOIN documents ON documents.id = approvals.document_id").
		Where(reviewableWhere).Scan(&apps).Error; err != nil {
		return nil, 0, fmt.Errorf("models: review queue approvals: %w", err)
	}
	current := make(map[string]int, len(docs))
	approved := make(map[string]int, len(docs))
	for _, d := range docs {
		current[d.ID], approved[d.ID] = d.CurrentRevision, d.ApprovedRevision
	}
	hashByDoc := make(map[string]string, len(docs))
	editorsByDoc := map[string]map[string]int{}
	for _, r := range revs {
		if r.Number == current[r.DocumentID] {
			hashByDoc[r.DocumentID] = r.ContentHash
		}
		if r.Number > approved[r.DocumentID] {
			if editorsByDoc[r.DocumentID] == nil {
				editorsByDoc[r.DocumentID] = map[string]int{}
			}
			editorsByDoc[r.DocumentID][r.EditorID] = max(editorsByDoc[r.DocumentID][r.EditorID], r.Number)
		}
	}
	wfs, err := Workflows(ctx, db)
	if err != nil {
		return nil, 0, err
	}
	appsByDoc := map[string][]Approval{}
	for _, a := range apps {
		appsByDoc[a.DocumentID] = append(appsByDoc[a.DocumentID], a)
	}
	wfByID := make(map[string]*Workflow, len(wfs))
	for i := range wfs {
		wfByID[wfs[i].ID] = &wfs[i]
	}
	// A backup sees a step only once it has escalated (see callIns).
	backups, err := backupsOf(q, nil, u.ID)
	if err != nil {
		return nil, 0, err
	}
	var escalated map[string]map[string]bool
	if len(backups) > 0 {
		if escalated, err = escalatedSteps(q, docs); err != nil {
			return nil, 0, err
		}
	}
	var out []QueueItem
	for i := range docs {
		d := &docs[i]
		hash, ok := hashByDoc[d.ID]
		wf := wfByID[d.WorkflowID]
		if !ok || wf == nil {
			continue
		}
		r := newReview(wf, d, hash, appsByDoc[d.ID], editorsByDoc[d.ID])
		r.callIns = callIns{backups: backups, escalated: escalated[d.ID]}
		if s := r.openStep(u); s != nil {
			out = append(out, QueueItem{Document: d, Step: *s, Barred: r.Barred(u)})
		}
	}
	total := len(out)
	if limit > 0 && total > limit {
		out = out[:limit]
	}
	if out, err = loadQueueDocuments(ctx, db, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// loadQueueDocuments replaces each item's narrow document with the whole one,
// its author, series and current revision. An item whose document or
// revision is gone by then (deleted in between) is left out.
func loadQueueDocuments(ctx context.Context, db *gorm.DB, items []QueueItem) ([]QueueItem, error) {
	if len(items) == 0 {
		return items, nil
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.Document.ID
	}
	q := db.WithContext(ctx)
	var docs []Document
	var revs []Revision
	for _, part := range chunks(ids, importBatch) {
		var ds []Document
		if err := q.Preload("Author").Preload("Series").Where("id IN ?", part).Find(&ds).Error; err != nil {
			return nil, fmt.Errorf("models: review queue documents: %w", err)
		}
		docs = append(docs, ds...)
		var rs []Revision
		if err := q.Table("revisions").Select("revisions.*").
			Joins("JOIN documents ON documents.id = revisions.document_id AND revisions.number = documents.current_revision").
			Where("documents.id IN ?", part).Scan(&rs).Error; err != nil {
			return nil, fmt.Errorf("models: review queue revisions: %w", err)
		}
		revs = append(revs, rs...)
	}
	byID := make(map[string]*Document, len(docs))
	for i := range docs {
		byID[docs[i].ID] = &docs[i]
	}
	for i := range revs {
		if d := byID[revs[i].DocumentID]; d != nil {
			d.Revision = &revs[i]
		}
	}
	kept := items[:0]
	for _, it := range items {
		if d := byID[it.Document.ID]; d != nil && d.Revision != nil {
			it.Document = d
			kept = append(kept, it)
		}
	}
	return kept, nil
}

// RevisionsByNumber reads, for each document id in want, the revision with the
// number given, in one query (the review queue's diffs against what each
// approver last approved).
func RevisionsByNumber(ctx context.Context, db *gorm.DB, want map[string]int) (map[string]*Revision, error) {
	out := make(map[string]*Revision, len(want))
	if len(want) == 0 {
		return out, nil
	}
	pairs := make([][]any, 0, len(want))
	for id, n := range want {
		pairs = append(pairs, []any{id, n})
	}
	for _, part := range chunks(pairs, importBatch) {
		var rs []Revision
		if err := db.WithContext(ctx).Where("(document_id, number) IN ?", part).Find(&rs).Error; err != nil {
			return nil, fmt.Errorf("models: revisions by number: %w", err)
		}
		for i := range rs {
			out[rs[i].DocumentID] = &rs[i]
		}
	}
	return out, nil
}
