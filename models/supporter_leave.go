package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// ConsentLeftList records a supporter leaving lists from an email's
// unsubscribe link; their subscription to the rest stays.
const ConsentLeftList = "left_list"

// SendListsOfSupporter is the supporter lists a send went to that the
// supporter is on: the lists its email reached them through, which the
// email's unsubscribe link leaves. Empty when the send reached them some
// other way (a segment, an action's participants) or they left already.
func SendListsOfSupporter(ctx context.Context, db *gorm.DB, sendID, supporterID string) ([]SupporterList, error) {
	return sendLists(ctx, db.WithContext(ctx).Joins("JOIN supporter_list_members m ON m.list_id = l.id AND m.supporter_id = ?", supporterID), sendID)
}

// SendLists is the supporter lists a send went to, by name.
func SendLists(ctx context.Context, db *gorm.DB, sendID string) ([]SupporterList, error) {
	return sendLists(ctx, db.WithContext(ctx), sendID)
}

func sendLists(ctx context.Context, q *gorm.DB, sendID string) ([]SupporterList, error) {
	var ls []SupporterList
	err := q.Table("supporter_lists l").Select("l.*").
		Joins("JOIN send_audiences a ON a.ref_id = l.id AND a.audience = ? AND a.send_id = ?", AudienceSupporterList, sendID).
		Order("l.name").Scan(&ls).Error
	if err != nil {
		return nil, fmt.Errorf("models: send lists: %w", err)
	}
	return ls, nil
}

// ListNames joins lists' names for a sentence: "A", "A and B", "A, B and C".
func ListNames(ls []SupporterList) string {
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.Name
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// LeaveLists takes a supporter off lists at their own request, recording it
// in their consent history (source says how: "one_click", "unsubscribe_page").
// Their subscription and their other lists stay. Leaving a list they are not
// on records nothing, so a mail client's repeated one-click POST does no harm.
func LeaveLists(ctx context.Context, db *gorm.DB, supporterID string, ls []SupporterList, source, ip string) error {
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		sup, err := SupporterByID(ctx, tx, supporterID)
		if err != nil {
			return err
		}
		now := tx.NowFunc().UTC()
		for _, l := range ls {
			res := tx.Where("list_id = ? AND supporter_id = ?", l.ID, sup.ID).Delete(&SupporterListMember{})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			if err := tx.Create(ptr(consent(sup, now, ConsentLeftList, source+": "+l.Name, ip, nil))).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("models: leave lists: %w", err)
	}
	return nil
}
