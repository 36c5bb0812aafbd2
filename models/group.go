package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Group is a set of staff a workflow step draws its approvers from (Press desk,
// Legal, Director). Backup members are emailed when a step's SLA lapses.
type Group struct {
	ID          string `gorm:"primaryKey"`
	Name        string
	Description string
	CreatedAt   time.Time
}

// GroupMember links a user to a group.
type GroupMember struct {
	GroupID string `gorm:"primaryKey"`
	UserID  string `gorm:"primaryKey"`
	Backup  bool
}

// CreateGroup stores a new group; names are unique.
func CreateGroup(ctx context.Context, db *gorm.DB, name, description string) (*Group, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, &ValidationError{Fields: map[string]string{"name": "is required"}}
	}
	g := &Group{ID: NewID(), Name: name, Description: strings.TrimSpace(description)}
	if err := db.WithContext(ctx).Create(g).Error; err != nil {
		err = translate(err)
		if errors.Is(err, ErrConflict) {
			return nil, &ValidationError{Fields: map[string]string{"name": "is already used by another group"}}
		}
		return nil, fmt.Errorf("models: create group: %w", err)
	}
	return g, nil
}

// GroupByName loads a group by its exact name.
func GroupByName(ctx context.Context, db *gorm.DB, name string) (*Group, error) {
	var g Group
	if err := db.WithContext(ctx).First(&g, "name = ?", name).Error; err != nil {
		return nil, fmt.Errorf("models: group by name: %w", translate(err))
	}
	return &g, nil
}

// GroupWithCount is a group with how many members it has, for the admin list.
type GroupWithCount struct {
	Group
	Members int
	Backups int
}

// Groups lists every group by name with member counts.
func Groups(ctx context.Context, db *gorm.DB) ([]GroupWithCount, error) {
	var gs []GroupWithCount
	err := db.WithContext(ctx).Table("groups").
		Select("groups.*, COUNT(group_members.user_id) AS members, COALESCE(SUM(CASE WHEN group_members.backup THEN 1 ELSE 0 END), 0) AS backups").
		Joins("LEFT JOIN group_members ON group_members.group_id = groups.id").
		Group("groups.id").Order("groups.name").Scan(&gs).Error
	if err != nil {
		return nil, fmt.Errorf("models: groups: %w", err)
	}
	return gs, nil
}

// SetUserGroups replaces a user's memberships with the named groups, keeping the
// backup flag of memberships that stay.
func SetUserGroups(ctx context.Context, tx *gorm.DB, userID string, names []string) error {
	var keep []string
	for _, name := range names {
		g, err := GroupByName(ctx, tx, name)
		if err != nil {
			return &ValidationError{Fields: map[string]string{"groups": fmt.Sprintf("%q is not a group", name)}}
		}
		keep = append(keep, g.ID)
		if err := tx.Where(GroupMember{GroupID: g.ID, UserID: userID}).FirstOrCreate(&GroupMember{}).Error; err != nil {
			return fmt.Errorf("models: add membership: %w", err)
		}
	}
	q := tx.Where("user_id = ?", userID)
	if len(keep) > 0 {
		q = q.Where("group_id NOT IN ?", keep)
	}
	if err := q.Delete(&GroupMember{}).Error; err != nil {
		return fmt.Errorf("models: remove memberships: %w", err)
	}
	return nil
}

// SetBackup marks or unmarks a member as a backup approver of a group.
func SetBackup(ctx context.Context, db *gorm.DB, groupID, userID string, backup bool) error {
	res := db.WithContext(ctx).Model(&GroupMember{}).Where("group_id = ? AND user_id = ?", groupID, userID).Update("backup", backup)
	if res.Error != nil {
		return fmt.Errorf("models: set backup: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: set backup: %w", ErrNotFound)
	}
	return nil
}

// GroupMemberView is a member as the groups page shows it.
type GroupMemberView struct {
	GroupID string
	UserID  string
	Name    string
	Email   string
	Backup  bool
}

// GroupMembers maps each group id to its members, by name.
func GroupMembers(ctx context.Context, db *gorm.DB) (map[string][]GroupMemberView, error) {
	var rows []GroupMemberView
	err := db.WithContext(ctx).Table("group_members").
		Select("group_members.group_id, group_members.user_id, users.name, users.email, group_members.backup").
		Joins("JOIN users ON users.id = group_members.user_id").Order("users.name").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: group members: %w", err)
	}
	out := map[string][]GroupMemberView{}
	for _, r := range rows {
		out[r.GroupID] = append(out[r.GroupID], r)
	}
	return out, nil
}

// GroupApproversOf lists a group's active members who are not backups: the
// people asked when a step opens. Backups are asked only when a
// rapid-response deadline lapses (see the escalation job).
func GroupApproversOf(ctx context.Context, db *gorm.DB, groupID string) ([]User, error) {
	var us []User
	err := db.WithContext(ctx).Joins("JOIN group_members ON group_members.user_id = users.id").
		Where("group_members.group_id = ? AND group_members.backup = ? AND users.disabled_at IS NULL", groupID, false).Order("users.name").Find(&us).Error
	if err != nil {
		return nil, fmt.Errorf("models: group approvers: %w", err)
	}
	return us, nil
}

// GroupMembersOf lists the active members of one group, backups included.
func GroupMembersOf(ctx context.Context, db *gorm.DB, groupID string) ([]User, error) {
	var us []User
	err := db.WithContext(ctx).Joins("JOIN group_members ON group_members.user_id = users.id").
		Where("group_members.group_id = ? AND users.disabled_at IS NULL", groupID).Order("users.name").Find(&us).Error
	if err != nil {
		return nil, fmt.Errorf("models: group members: %w", err)
	}
	return us, nil
}
