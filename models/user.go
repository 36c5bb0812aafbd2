package models

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// Role is what a staff member may change; everyone signed in may read.
type Role string

// The roles of API.md.
const (
	RoleAdmin        Role = "admin"
	RolePressOfficer Role = "press_officer"
	RoleApprover     Role = "approver"
	RoleCampaigner   Role = "campaigner"
	RoleViewer       Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RolePressOfficer, RoleApprover, RoleCampaigner, RoleViewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Label is the role as people read it.
func (r Role) Label() string {
	switch r {
	case RolePressOfficer:
		return "Press officer"
	case RoleAdmin:
		return "Admin"
	case RoleApprover:
		return "Approver"
	case RoleCampaigner:
		return "Campaigner"
	case RoleViewer:
		return "Viewer"
	}
	return string(r)
}

// User is a staff member.
type User struct {
	ID           string `gorm:"primaryKey"`
	Email        string
	Name         string
	Role         Role
	PasswordHash string
	TimeZone     string
	DisabledAt   *time.Time
	// MustChangePassword is set while the password is one someone else chose
	// (an admin, the command line): the user must pick their own before
	// anything else.
	MustChangePassword bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Groups             []Group `gorm:"many2many:group_members;joinForeignKey:UserID;joinReferences:GroupID"`
}

// Location is the user's time zone, or fallback when unset or unknown.
func (u *User) Location(fallback *time.Location) *time.Location {
	if u != nil && u.TimeZone != "" {
		if loc, err := time.LoadLocation(u.TimeZone); err == nil {
			return loc
		}
	}
	return fallback
}

// GroupNames lists the names of the user's groups (Groups must be loaded).
func (u *User) GroupNames() []string {
	names := make([]string, 0, len(u.Groups))
	for _, g := range u.Groups {
		names = append(names, g.Name)
	}
	return names
}

// NormalizeEmail lower-cases and trims an address; emails are unique
// case-insensitively everywhere in Pressroom.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether s is a plain address (no display name).
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndex(s, "@"):], ".")
}

// NewUserInput is what it takes to create a staff account.
type NewUserInput struct {
	Email    string
	Name     string
	Role     Role
	Password string
	Groups   []string // group names; each must exist
	TimeZone string
	// MustChangePassword makes the user choose their own password at first
	// sign-in: set when an admin or the command line assigns or generates it.
	MustChangePassword bool
}

// Validate checks the input without touching the database, the password
// against the password rules (PasswordProblem) included.
func (in *NewUserInput) Validate() error { return in.validate(true) }

func (in *NewUserInput) validate(passwordRules bool) error {
	var v ValidationError
	in.Email = NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	if !ValidEmail(in.Email) {
		v.Add("email", "is not a valid address")
	}
	if in.Name == "" {
		v.Add("name", "is required")
	}
	if !in.Role.Valid() {
		v.Add("role", "must be one of admin, press_officer, approver, campaigner, viewer")
	}
	if !passwordRules {
		if len(in.Password) > MaxPasswordBytes {
			v.Add("password", fmt.Sprintf("is too long: at most %d bytes", MaxPasswordBytes))
		}
	} else if p := PasswordProblem(in.Password, in.Name, in.Email); p != "" {
		v.Add("password", p)
	}
	if in.TimeZone != "" {
		if _, err := time.LoadLocation(in.TimeZone); err != nil {
			v.Add("time_zone", "is not a known time zone")
		}
	}
	return v.Err()
}

// CreateUser validates and stores a staff account with its group memberships.
func CreateUser(ctx context.Context, db *gorm.DB, in NewUserInput) (*User, error) {
	return createUser(ctx, db, in, true)
}

// createUser is CreateUser; passwordRules false skips the password rules, for
// the demo accounts alone, whose published password those rules refuse for
// any real account.
func createUser(ctx context.Context, db *gorm.DB, in NewUserInput, passwordRules bool) (*User, error) {
	if err := in.validate(passwordRules); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), bcrypt.DefaultCost)
	if err != nil {
		return nil, fmt.Errorf("models: hash password: %w", err)
	}
	u := &User{ID: NewID(), Email: in.Email, Name: in.Name, Role: in.Role, PasswordHash: string(hash), TimeZone: in.TimeZone,
		MustChangePassword: in.MustChangePassword}
	err = Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Omit("Groups").Create(u).Error; err != nil {
			return translate(err)
		}
		for _, name := range in.Groups {
			g, err := GroupByName(ctx, tx, name)
			if err != nil {
				return fmt.Errorf("group %q: %w", name, err)
			}
			if err := tx.Create(&GroupMember{GroupID: g.ID, UserID: u.ID}).Error; err != nil {
				return translate(err)
			}
			u.Groups = append(u.Groups, *g)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("models: create user: %w", err)
	}
	return u, nil
}

// UserByID loads a user with their groups.
func UserByID(ctx context.Context, db *gorm.DB, id string) (*User, error) {
	var u User
	if err := db.WithContext(ctx).Preload("Groups").First(&u, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: user by id: %w", translate(err))
	}
	return &u, nil
}

// UserByEmail loads a user by address, case-insensitively.
func UserByEmail(ctx context.Context, db *gorm.DB, email string) (*User, error) {
	var u User
	if err := db.WithContext(ctx).Preload("Groups").First(&u, "email = ?", NormalizeEmail(email)).Error; err != nil {
		return nil, fmt.Errorf("models: user by email: %w", translate(err))
	}
	return &u, nil
}

// Users lists every staff account by name.
func Users(ctx context.Context, db *gorm.DB) ([]User, error) {
	var us []User
	if err := db.WithContext(ctx).Preload("Groups").Order("name").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("models: users: %w", err)
	}
	return us, nil
}

// dummyHash is compared against when no account matches, so a login attempt for an
// unknown address takes as long as one for a known address.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("pressroom-timing-equaliser"), bcrypt.DefaultCost)

// Authenticate returns the active user with that email and password. Every
// failure is the same ErrNotFound, so the caller cannot tell which part was wrong.
func Authenticate(ctx context.Context, db *gorm.DB, email, password string) (*User, error) {
	u, err := UserByEmail(ctx, db, email)
	if err != nil {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, ErrNotFound
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || u.DisabledAt != nil {
		return nil, ErrNotFound
	}
	return u, nil
}

// SetPassword replaces a user's password with one they chose themselves, which
// ends any requirement to change it, and revokes their sessions.
func SetPassword(ctx context.Context, db *gorm.DB, userID, password string, now time.Time) error {
	return setPassword(ctx, db, userID, password, false, now)
}

// AssignPassword replaces a user's password with one an admin chose for them:
// like SetPassword, but the user must choose their own at next sign-in.
func AssignPassword(ctx context.Context, db *gorm.DB, userID, password string, now time.Time) error {
	return setPassword(ctx, db, userID, password, true, now)
}

func setPassword(ctx context.Context, db *gorm.DB, userID, password string, mustChange bool, now time.Time) error {
	u, err := UserByID(ctx, db, userID)
	if err != nil {
		return fmt.Errorf("models: set password: %w", err)
	}
	if p := PasswordProblem(password, u.Name, u.Email); p != "" {
		return &ValidationError{Fields: map[string]string{"password": p}}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("models: hash password: %w", err)
	}
	return Transaction(ctx, db, func(tx *gorm.DB) error {
		err := tx.Model(&User{}).Where("id = ?", userID).
			Updates(map[string]any{"password_hash": string(hash), "must_change_password": mustChange, "updated_at": now}).Error
		if err != nil {
			return fmt.Errorf("models: set password: %w", err)
		}
		return RevokeUserSessions(ctx, tx, userID, now)
	})
}

// UpdateUserInput is what an admin may change on an account.
type UpdateUserInput struct {
	Name     string
	Role     Role
	Groups   []string
	Disabled bool
	TimeZone string
}

// UpdateUser changes an account's name, role, groups and status. Disabling it
// revokes its sessions at once.
func UpdateUser(ctx context.Context, db *gorm.DB, id string, in UpdateUserInput, now time.Time) error {
	var v ValidationError
	if strings.TrimSpace(in.Name) == "" {
		v.Add("name", "is required")
	}
	if !in.Role.Valid() {
		v.Add("role", "must be one of admin, press_officer, approver, campaigner, viewer")
	}
	if in.TimeZone != "" {
		if _, err := time.LoadLocation(in.TimeZone); err != nil {
			v.Add("time_zone", "is not a known time zone")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	return Transaction(ctx, db, func(tx *gorm.DB) error {
		updates := map[string]any{"name": strings.TrimSpace(in.Name), "role": in.Role, "time_zone": in.TimeZone, "updated_at": now}
		if in.Disabled {
			updates["disabled_at"] = now
		} else {
			updates["disabled_at"] = nil
		}
		res := tx.Model(&User{}).Where("id = ?", id).Updates(updates)
		if res.Error != nil {
			return fmt.Errorf("models: update user: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("models: update user: %w", ErrNotFound)
		}
		if err := SetUserGroups(ctx, tx, id, in.Groups); err != nil {
			return err
		}
		if in.Disabled {
			return RevokeUserSessions(ctx, tx, id, now)
		}
		return nil
	})
}
