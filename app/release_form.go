package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// releaseForm is what the release editor posts. It is copied field by field into
// models.DocumentInput, so no request can set a status, index number or author.
type releaseForm struct {
	ID             string
	Kind           string
	Language       string
	Series         string
	Workflow       string
	CampaignID     string
	OriginalID     string
	Headline       string
	Standfirst     string
	Dateline       string
	Body           string
	NotesToEditors string
	Contacts       []models.PressContact
	EmbargoLocal   string // datetime-local value, in EmbargoTZ
	EmbargoTZ      string
	Countries      string
	Regions        string
	Themes         string
	BaseRevision   int
	CorrectionNote string
	Published      bool // editing a published release: a correction
	// LeadImageID and AttachmentIDs name media library items; MediaFields
	// says the form carried them (a form without them leaves the media alone).
	LeadImageID   string
	AttachmentIDs string // ids separated by commas, spaces or lines
	MediaFields   bool
	// The Urgent Action fields of an action alert; ActionFields says the form
	// carried them.
	TargetIDs     []string
	DeadlineLocal string // datetime-local value, in AppealTZ
	AppealTZ      string
	LetterSubject string
	LetterBody    string
	CallToAction  string
	Outcome       string
	UpdateOf      string
	ActionFields  bool
}

// contactRows is how many press-contact rows the editor shows.
const contactRows = 3

func bindReleaseForm(c *gin.Context) releaseForm {
	f := releaseForm{
		Kind: c.PostForm("kind"), Language: strings.TrimSpace(c.PostForm("language")), Series: c.PostForm("series"), Workflow: c.PostForm("workflow"),
		CampaignID: c.PostForm("campaign_id"), OriginalID: c.PostForm("original_id"),
		Headline: c.PostForm("headline"), Standfirst: c.PostForm("standfirst"), Dateline: c.PostForm("dateline"), Body: c.PostForm("body"),
		NotesToEditors: c.PostForm("notes_to_editors"), EmbargoLocal: strings.TrimSpace(c.PostForm("embargo_local")), EmbargoTZ: c.PostForm("embargo_timezone"),
		Countries: c.PostForm("countries"), Regions: c.PostForm("regions"), Themes: c.PostForm("themes"), CorrectionNote: c.PostForm("correction_note"),
	}
	fmt.Sscan(c.PostForm("base_revision"), &f.BaseRevision)
	// The editor's media_fields marks a form that holds the media fields even
	// when no attachment is ticked (unticked checkboxes send nothing); the
	// attachments may come as ticked boxes or as one list of ids.
	lead, hasLead := c.GetPostForm("lead_image_id")
	att, hasAtt := c.GetPostFormArray("attachment_ids")
	_, hasMarker := c.GetPostForm("media_fields")
	f.LeadImageID, f.AttachmentIDs, f.MediaFields = strings.TrimSpace(lead), strings.Join(att, ","), hasLead || hasAtt || hasMarker
	if _, ok := c.GetPostForm("action_fields"); ok {
		f.ActionFields = true
		f.TargetIDs, f.DeadlineLocal, f.AppealTZ = c.PostFormArray("target_ids"), strings.TrimSpace(c.PostForm("deadline_local")), c.PostForm("appeal_timezone")
		f.LetterSubject, f.LetterBody, f.Outcome = c.PostForm("letter_subject"), c.PostForm("letter_body"), c.PostForm("outcome")
		f.CallToAction = c.PostForm("call_to_action")
	}
	f.UpdateOf = c.PostForm("update_of")
	names, roles, phones, emails := c.PostFormArray("contact_name"), c.PostFormArray("contact_role"), c.PostFormArray("contact_phone"), c.PostFormArray("contact_email")
	for i := range names {
		pc := models.PressContact{Name: names[i]}
		if i < len(roles) {
			pc.Role = roles[i]
		}
		if i < len(phones) {
			pc.Phone = phones[i]
		}
		if i < len(emails) {
			pc.Email = emails[i]
		}
		f.Contacts = append(f.Contacts, pc)
	}
	return f
}

// embargo parses the embargo entered in its zone; empty means no embargo.
func (f *releaseForm) embargo(fallback *time.Location) (*time.Time, string) {
	if f.EmbargoLocal == "" {
		return nil, ""
	}
	loc := fallback
	if f.EmbargoTZ != "" {
		l, err := time.LoadLocation(f.EmbargoTZ)
		if err != nil {
			return nil, "is not a known time zone"
		}
		loc = l
	}
	t, err := models.EmbargoFromLocal(f.EmbargoLocal, loc)
	if err != nil {
		return nil, err.Error()
	}
	return &t, ""
}

// input converts the form for models. Tags are comma-separated.
func (f *releaseForm) input(fallback *time.Location) (models.DocumentInput, map[string]string) {
	split := func(s string) *[]string { v := strings.Split(s, ","); return &v }
	contacts := f.Contacts
	in := models.DocumentInput{
		Kind: models.Kind(f.Kind), Language: &f.Language, Headline: &f.Headline, Standfirst: &f.Standfirst, Dateline: &f.Dateline,
		Body: &f.Body, NotesToEditors: &f.NotesToEditors, PressContacts: &contacts, EmbargoTZ: &f.EmbargoTZ,
		Countries: split(f.Countries), Regions: split(f.Regions), Themes: split(f.Themes), BaseRevision: f.BaseRevision,
		CampaignID: &f.CampaignID,
	}
	if f.Series != "" {
		in.SeriesCode = &f.Series
	}
	if f.Workflow != "" {
		in.Workflow = &f.Workflow
	}
	if f.OriginalID != "" {
		in.OriginalID = &f.OriginalID
	}
	if f.Published {
		in.CorrectionNote = &f.CorrectionNote
	}
	if f.MediaFields {
		ids := f.attachmentIDs()
		in.LeadImageID, in.AttachmentIDs = &f.LeadImageID, &ids
	}
	if f.UpdateOf != "" && f.ID == "" {
		in.UpdateOf = &f.UpdateOf
	}
	if f.ActionFields {
		ids := f.TargetIDs
		in.Action = models.ActionInput{TargetIDs: &ids, AppealTimezone: &f.AppealTZ, LetterSubject: &f.LetterSubject, LetterBody: &f.LetterBody,
			CallToAction: &f.CallToAction, Outcome: &f.Outcome}
		var deadline *time.Time
		if f.DeadlineLocal != "" {
			loc := fallback
			if l, err := time.LoadLocation(f.AppealTZ); f.AppealTZ != "" && err == nil {
				loc = l
			}
			t, err := time.ParseInLocation("2006-01-02T15:04", f.DeadlineLocal, loc)
			if err != nil {
				return in, map[string]string{"appeal_deadline": "must be a date and time, e.g. 2026-06-12T23:59"}
			}
			t = t.UTC()
			deadline = &t
		}
		in.Action.AppealDeadline = &deadline
	}
	emb, msg := f.embargo(fallback)
	if msg != "" {
		return in, map[string]string{"embargo_at": msg}
	}
	in.EmbargoAt = &emb
	return in, nil
}

// formFromDocument fills the editor from a document's current revision.
func formFromDocument(d *models.Document, loc *time.Location) releaseForm {
	r := d.Revision
	f := releaseForm{ID: d.ID, Kind: string(d.Kind), Language: d.Language, Workflow: d.Workflow.Name, Headline: r.Headline, Standfirst: r.Standfirst,
		Dateline: r.Dateline, Body: r.Body, NotesToEditors: r.NotesToEditors, Contacts: r.Contacts(), EmbargoTZ: d.EmbargoTZ,
		Countries: strings.ReplaceAll(d.Countries, ",", ", "), Regions: strings.ReplaceAll(d.Regions, ",", ", "), Themes: strings.ReplaceAll(d.Themes, ",", ", "),
		BaseRevision: d.CurrentRevision, CorrectionNote: d.CorrectionNote, Published: d.Status == models.StatusPublished}
	if d.Series != nil {
		f.Series = d.Series.Code
	}
	if d.CampaignID != nil {
		f.CampaignID = *d.CampaignID
	}
	if d.OriginalID != nil {
		f.OriginalID = *d.OriginalID
	}
	if r.EmbargoAt != nil {
		f.EmbargoLocal = r.EmbargoAt.In(d.EmbargoLocation(loc)).Format("2006-01-02T15:04")
	}
	mc := r.Content()
	f.LeadImageID, f.AttachmentIDs, f.MediaFields = mc.LeadImageID, strings.Join(mc.AttachmentIDs, ", "), true
	if a := mc.Action; a != nil {
		f.TargetIDs, f.AppealTZ, f.LetterSubject, f.LetterBody, f.Outcome = a.TargetIDs, a.AppealTimezone, a.LetterSubject, a.LetterBody, a.Outcome
		f.CallToAction = a.CallToAction
		if a.AppealDeadline != nil {
			f.DeadlineLocal = a.AppealDeadline.In(a.Location(loc)).Format("2006-01-02T15:04")
		}
	}
	if d.UpdateOf != nil {
		f.UpdateOf = *d.UpdateOf
	}
	return f
}

// ContactRows pads the contacts to the number of rows the editor shows.
func (f releaseForm) ContactRows() []models.PressContact {
	rows := append([]models.PressContact(nil), f.Contacts...)
	for len(rows) < contactRows {
		rows = append(rows, models.PressContact{})
	}
	return rows
}

// embargoZones are offered in the editor; the organisation's and the user's
// zones are added when missing.
var embargoZones = []string{"UTC", "Europe/London", "Europe/Paris", "Europe/Brussels", "Europe/Geneva", "Africa/Nairobi", "Africa/Lagos",
	"Africa/Johannesburg", "Asia/Beirut", "Asia/Jerusalem", "Asia/Dubai", "Asia/Kolkata", "Asia/Bangkok", "Asia/Hong_Kong", "Asia/Tokyo",
	"Australia/Sydney", "America/New_York", "America/Mexico_City", "America/Bogota", "America/Sao_Paulo", "America/Los_Angeles"}

// EmbargoLabel is how an embargo reads everywhere: "EMBARGOED UNTIL 00:01 BST 10
// July 2026".
func EmbargoLabel(t time.Time, loc *time.Location) string {
	return "EMBARGOED UNTIL " + t.In(loc).Format("15:04 MST 2 January 2006")
}
