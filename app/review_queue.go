package app

import (
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"pressroom/models"
	"pressroom/models/richtext"
)

type queuePage struct {
	Items []queueEntry
	// Total is how many releases wait in all; Items holds the oldest
	// queuePageSize of them.
	Total int
}

// queuePageSize is how many waiting releases the queue shows, each with its
// whole text or diff. An approver reads them oldest first; a desk with a
// thousand waiting (a backlog after a holiday, a bulk import) would otherwise
// get one enormous page, slow to build and to read.
const queuePageSize = 50

// queueEntry is one release in the review queue with what the approver must
// read before approving from there: the whole text, or, when they approved an
// earlier revision, what changed since (Since is that revision).
type queueEntry struct {
	models.QueueItem
	Body    template.HTML
	Embargo string // the EMBARGOED UNTIL line of the text, when it has one
	Since   int
	Changes []diffField
}

func (h *ReleasesHandler) queue(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	items, total, err := models.ReviewQueuePage(ctx, h.s.db.Gorm, u, queuePageSize)
	if err != nil {
		_ = c.Error(err)
		return
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.Document.ID
	}
	seen, err := models.LastApprovedRevisions(ctx, h.s.db.Gorm, u.ID, ids)
	if err != nil {
		_ = c.Error(err)
		return
	}
	// The revisions each was last approved at, for the diffs, in one query.
	earlier := map[string]int{}
	for _, it := range items {
		if n, ok := seen[it.Document.ID]; ok && n < it.Document.CurrentRevision {
			earlier[it.Document.ID] = n
		}
	}
	olds, err := models.RevisionsByNumber(ctx, h.s.db.Gorm, earlier)
	if err != nil {
		_ = c.Error(err)
		return
	}
	entries := make([]queueEntry, len(items))
	for i, it := range items {
		e := queueEntry{QueueItem: it}
		cur := it.Document.Revision
		if old, ok := olds[it.Document.ID]; ok {
			e.Since = old.Number
			for _, f := range revisionDiff(old, cur) {
				if changed(f.Parts) {
					e.Changes = append(e.Changes, f)
				}
			}
		}
		if e.Since == 0 || len(e.Changes) == 0 {
			e.Body = h.s.markdown.Render(cur.Body)
			if cur.EmbargoAt != nil {
				e.Embargo = EmbargoLabel(*cur.EmbargoAt, it.Document.EmbargoLocation(h.s.cfg.DefaultTimezone))
			}
		}
		entries[i] = e
	}
	h.s.render(c, http.StatusOK, "admin/review", h.s.page(c, "Review queue", "review", queuePage{Items: entries, Total: total}))
}

// changed reports whether a word diff adds or removes anything.
func changed(parts []richtext.Part) bool {
	for _, p := range parts {
		if p.Op != richtext.Equal {
			return true
		}
	}
	return false
}
