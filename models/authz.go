package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The role table of API.md, as rules on objects. Routes state a role rule of
// their own (the first gate); every models function that acts on an object for
// a user asks one of these about that object's kind, so a route that lets a role
// through cannot let it act on another role's objects.
//
//	admin          everything
//	press_officer  press releases; media contacts and lists; sends of press releases
//	campaigner     action alerts; campaigns; supporters and their lists; sends of alerts
//	approver       approve / request changes for their groups' steps; comment
//	viewer         read only (and counts, not people, for personal data)
//
// CanEdit (documents) and CanSend (sends) are the document rules; they live
// beside the types they guard.

// Errors of the object rules. Each wraps ErrForbidden so handlers answer 403.
var (
	ErrNotYourCampaigns = fmt.Errorf("%w: only campaigners and admins manage campaigns", ErrForbidden)
	ErrNotYourAudience  = fmt.Errorf("%w: your role may not see or change these people", ErrForbidden)
	ErrMayNotComment    = fmt.Errorf("%w: your role may not comment on this kind of document", ErrForbidden)
)

// CanComment reports whether u may comment on a document of kind k: the kind's
// editors (CanEdit) and approvers, who comment on what they review.
func CanComment(u *User, k Kind) bool {
	return u != nil && (CanEdit(u, k) || u.Role == RoleApprover)
}

// CanManageCampaigns reports whether u may create and change campaigns:
// campaigners and admins.
func CanManageCampaigns(u *User) bool {
	return u != nil && (u.Role == RoleAdmin || u.Role == RoleCampaigner)
}

// AudienceRoles lists the roles, besides admin, that own an audience's people:
// press officers the journalists, campaigners the supporters. Owning them means
// changing them (contacts, lists, segments, imports) and reading them (names
// and addresses in lists, searches, exports); everyone else sees counts only.
func AudienceRoles(a Audience) []Role {
	switch a {
	case AudienceMedia:
		return []Role{RolePressOfficer}
	case AudienceSupporters:
		return []Role{RoleCampaigner}
	}
	return nil
}

// CanManageAudience reports whether u may change the people of an audience.
func CanManageAudience(u *User, a Audience) bool {
	return u != nil && (u.Role == RoleAdmin || slices.Contains(AudienceRoles(a), u.Role))
}

// CanReadPeople reports whether u may see who is in an audience (names,
// addresses, anything personal), rather than how many. It is the same rule as
// CanManageAudience: whoever may not change the people may not copy them out.
func CanReadPeople(u *User, a Audience) bool { return CanManageAudience(u, a) }

// RecipientAudience is the audience a send recipient of a kind (journalist,
// supporter) belongs to, for CanReadPeople.
func RecipientAudience(kind string) Audience {
	if kind == RecipientSupporter {
		return AudienceSupporters
	}
	return AudienceMedia
}

// PeopleRead describes one read of an audience's personal data, for the rule
// and the audit log.
type PeopleRead struct {
	// Export is a download of everything that matches (always audited).
	Export bool
	// Filter is what was asked for, as the reader gave it (a query string).
	Filter string
	// IP is the reader's address (the request's client IP).
	IP string
	// At is when it was read.
	At time.Time
}

// bulk reports whether a read of the page after `after` is a bulk read: any
// export, and any page past the first of a list or of search results. The first
// page is what anyone working with the list opens; paging on (or downloading)
// is how personal data leaves in bulk, so that is what the audit log records.
func (r PeopleRead) bulk(after string) bool { return r.Export || after != "" }

// auditPeopleRead records a bulk read: who, from where, which audience, what
// filter, how many people.
func auditPeopleRead(ctx context.Context, db *gorm.DB, by *User, a Audience, r PeopleRead, after string, n int) error {
	action, noun := "supporters_read", "supporters"
	if a == AudienceMedia {
		action, noun = "media_read", "contacts"
	}
	if r.Export {
		action = map[Audience]string{AudienceMedia: "media_exported", AudienceSupporters: "supporters_exported"}[a]
	}
	var what []string
	switch {
	case r.Export:
		what = append(what, "export")
	case strings.Contains(r.Filter, "q="):
		what = append(what, "search results past the first page")
	default:
		what = append(what, "list past the first page")
	}
	if r.Filter != "" {
		what = append(what, "filter "+r.Filter)
	}
	subject := map[Audience]string{AudienceMedia: "media_contacts", AudienceSupporters: "supporters"}[a]
	return Audit(ctx, db, AuditEvent{At: r.At, ActorID: &by.ID, Action: action, SubjectType: subject, IP: r.IP,
		Details: fmt.Sprintf("%s (%d %s)", strings.Join(what, "; "), n, noun)})
}

// ReadSupporters lists supporters for a staff member: limit at a time after
// `after` (0: all, for an export). Only those who may read supporters get
// them (CanReadPeople); a bulk read (an export, a page past the first) is
// audited with the reader, their IP, the filter and the count.
func ReadSupporters(ctx context.Context, db *gorm.DB, by *User, f SupporterFilter, limit int, after string, r PeopleRead) ([]Supporter, error) {
	if !CanReadPeople(by, AudienceSupporters) {
		return nil, fmt.Errorf("models: read supporters: %w", ErrNotYourAudience)
	}
	ss, err := Supporters(ctx, db, f, limit, after)
	if err != nil {
		return nil, err
	}
	if r.bulk(after) {
		if err := auditPeopleRead(ctx, db, by, AudienceSupporters, r, after, len(ss)); err != nil {
			return nil, err
		}
	}
	return ss, nil
}

// ReadContacts lists media contacts for a staff member, under the same rule
// and audit as ReadSupporters.
func ReadContacts(ctx context.Context, db *gorm.DB, by *User, f MediaFilter, limit int, after string, r PeopleRead) ([]MediaContact, error) {
	if !CanReadPeople(by, AudienceMedia) {
		return nil, fmt.Errorf("models: read contacts: %w", ErrNotYourAudience)
	}
	cs, err := Contacts(ctx, db, f, limit, after)
	if err != nil {
		return nil, err
	}
	if r.bulk(after) {
		if err := auditPeopleRead(ctx, db, by, AudienceMedia, r, after, len(cs)); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// ReadImportRejects returns an import with its rejected rows (whole rows of
// personal data) for a staff member who may read that audience, and audits the
// download as an export.
func ReadImportRejects(ctx context.Context, db *gorm.DB, by *User, id string, r PeopleRead) (*Import, error) {
	im, err := ImportByID(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if !CanReadPeople(by, im.Audience) {
		return nil, fmt.Errorf("models: import rejects: %w", ErrNotYourAudience)
	}
	r.Export = true
	r.Filter = "rejected rows of import " + im.ID
	if err := auditPeopleRead(ctx, db, by, im.Audience, r, "", im.Rejected); err != nil {
		return nil, err
	}
	return im, nil
}
