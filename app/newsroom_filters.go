package app

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"pressroom/models"
)

// tagCache keeps the newsroom filters' choices (the countries and themes in
// use) for one newsroom version: reading them looks at every public release,
// so it is done once per version and kind, not once per page view.
type tagCache struct {
	mu      sync.Mutex
	version int64
	byKind  map[models.Kind]*models.PublicTags
}

// tags returns the filter choices of a kind at a newsroom version.
func (tc *tagCache) tags(ctx context.Context, db *models.DB, st *models.NewsroomState, kind models.Kind, now time.Time) (*models.PublicTags, error) {
	tc.mu.Lock()
	if tc.version == st.Version && tc.byKind[kind] != nil {
		t := tc.byKind[kind]
		tc.mu.Unlock()
		return t, nil
	}
	tc.mu.Unlock()
	t, err := models.PublicTagValues(ctx, db.Gorm, kind, now)
	if err != nil {
		return nil, err
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.version != st.Version || tc.byKind == nil {
		tc.version, tc.byKind = st.Version, map[models.Kind]*models.PublicTags{}
	}
	tc.byKind[kind] = t
	return t, nil
}

// filterChoice is one option of a newsroom filter's select.
type filterChoice struct {
	Value, Label string
	Selected     bool
}

// filterChoices are the options of a filter: every value in use, and the
// current one even when nothing carries it any more (a bookmarked link), so
// the select shows what the page is filtered by.
func filterChoices(values []string, current string, label func(string) string) []filterChoice {
	current = strings.TrimSpace(current)
	out := make([]filterChoice, 0, len(values)+1)
	found := current == ""
	for _, v := range values {
		sel := current != "" && strings.EqualFold(v, current)
		found = found || sel
		out = append(out, filterChoice{Value: v, Label: label(v), Selected: sel})
	}
	if !found {
		out = slices.Insert(out, 0, filterChoice{Value: current, Label: label(current), Selected: true})
	}
	return out
}
