package models_test

import (
	"fmt"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestSortableIDs: NewSortableID's IDs have NewID's shape (16 characters of
// its alphabet, which SendSource-style checks rely on), are distinct, and an
// ID made a millisecond later sorts after every earlier one.
func TestSortableIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	prev := ""
	for range 200 {
		batch := make([]string, 50)
		for i := range batch {
			batch[i] = models.NewSortableID()
		}
		time.Sleep(time.Millisecond + 100*time.Microsecond)
		for _, id := range batch {
			if len(id) != 16 {
				t.Fatalf("%q: %d characters, want 16", id, len(id))
			}
			for _, r := range id {
				if (r < 'a' || r > 'z') && (r < '2' || r > '7') {
					t.Fatalf("%q: %q is not in NewID's alphabet", id, r)
				}
			}
			if seen[id] {
				t.Fatalf("%q made twice", id)
			}
			seen[id] = true
			if id <= prev {
				t.Fatalf("%q made after %q sorts before it", id, prev)
			}
		}
		for _, id := range batch {
			prev = max(prev, id)
		}
	}
}

// TestSignatureIDsFollowTime: a signature stored later has a later ID (so a
// spike's rows land at the end of the primary key), whatever the domain clock
// says: the test clock stands still here.
func TestSignatureIDsFollowTime(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		o := dbtest.NewOrg(t, db)
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		p := openPetition(t, db.Gorm, o.Campaigner, "In order", now)
		prev := ""
		for i := range 5 {
			res := sign(t, db.Gorm, p, models.SignInput{Name: "N", Email: fmt.Sprintf("in.order%d@example.org", i), Country: "GB"}, now)
			if id := res.Signature.ID; id <= prev {
				t.Fatalf("signature %d: ID %q does not sort after %q", i, id, prev)
			} else {
				prev = id
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
}
