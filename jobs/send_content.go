package jobs

import (
	"bytes"
	"context"
	"fmt"
	"html"
	htmltemplate "html/template"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"gorm.io/gorm"

	"pressroom/models"
	"pressroom/models/richtext"
	"pressroom/templates"
)

// Email templates of sends (templates/emails/<name>.html).
const (
	TemplateReleaseEmbargoed = "release_embargoed"
	TemplateRelease          = "release"
	TemplateAlert            = "alert"
)

// SendMessage is a send's shared message for one kind of recipient: subject and
// bodies with substitution keys still in place.
type SendMessage struct {
	Template  string
	Subject   string
	HTML      string
	Text      string
	Embargoed bool
}

// SendContent is everything shared by every batch of a send.
type SendContent struct {
	Send       *models.Send
	Document   *models.Document
	Journalist SendMessage
	Supporter  SendMessage
	// EmbargoAt is set while the release is still under embargo: journalists
	// get preview links that expire a day after it.
	EmbargoAt *time.Time
	PublicURL string
}

// emailData is what the email templates see.
type emailData struct {
	Language, Subject, Headline, Standfirst, Dateline, IndexNumber string
	BodyHTML, NotesHTML                                            htmltemplate.HTML
	BodyText, NotesText                                            string
	PressContacts                                                  []models.PressContact
	EmbargoLabel, EmbargoTime                                      string
	PublicURL, ActionURL, ActionLabel                              string
	NameKey, PreviewKey, UnsubscribeKey                            string
	Footer, FooterText                                             string
	LeadImage                                                      *emailImage
	Attachments                                                    []emailLink
	// Logo and Accent are the newsroom's identity (Settings): the logo opens
	// the message on a band of the accent colour; OrgName is the logo's alt
	// text, and the masthead's words when there is no logo.
	Logo            *emailImage
	OrgName, Accent string
	// CallToAction is an action alert's ask, above the supporters' button.
	CallToAction string
}

// emailImage is the lead image as an email shows it: an absolute URL (mail
// clients fetch it; it answers once the release is public) with its size and
// alt text, so the layout holds while images are blocked.
type emailImage struct {
	Src             string
	Width, Height   int
	Alt             string
	Caption, Credit string
}

// emailLink is a download listed under the release.
type emailLink struct {
	Label, URL string
}

// emailImageWidth is the displayed width of the lead image in the 600 px
// email body.
const emailImageWidth = 552

// mediaLinkLife is how long after the embargo (or, for a release not yet
// public without one, after composing) an email's signed media links work;
// once the release is public they are not needed, as an expired signature
// falls back to the public rule.
const mediaLinkLife = 30 * 24 * time.Hour

// emailMediaURL chooses the address of the media an email shows: public once
// the release is, otherwise signed for this release (models.SignedMediaPath),
// so a journalist reading the embargoed email sees the photo and can open the
// report before the lift, and nobody else can, and never once it is withdrawn.
func emailMediaURL(base string, key []byte, d *models.Document, public bool, now time.Time) func(m *models.Medium, v string) string {
	if public || len(key) == 0 {
		return func(m *models.Medium, v string) string { return base + m.PublicPath(v) }
	}
	exp := now
	if d.EmbargoAt != nil && d.EmbargoAt.After(now) {
		exp = *d.EmbargoAt
	}
	exp = exp.Add(mediaLinkLife)
	return func(m *models.Medium, v string) string {
		return base + models.SignedMediaPath(key, m, v, d.ID, "", exp)
	}
}

func emailMedia(ctx context.Context, db *gorm.DB, rev *models.Revision, url func(m *models.Medium, v string) string) (*emailImage, []emailLink, error) {
	lead, att, err := models.RevisionMedia(ctx, db, rev)
	if err != nil {
		return nil, nil, err
	}
	var img *emailImage
	if lead != nil {
		if v := lead.Variant(models.VariantLarge); v != nil && v.Width > 0 {
			w := min(v.Width, emailImageWidth)
			img = &emailImage{Src: url(lead, models.VariantLarge), Width: w, Height: v.Height * w / v.Width,
				Alt: lead.AltText, Caption: lead.Caption, Credit: lead.Credit}
		}
	}
	var links []emailLink
	for i := range att {
		m := &att[i]
		links = append(links, emailLink{Label: m.DownloadLabel(), URL: url(m, models.VariantOriginal)})
	}
	return img, links, nil
}

// EmbargoLabel is the embargo line of subjects and banners, in the zone the
// embargo was set in, named so nobody has to guess: "EMBARGOED UNTIL 00:01 BST 10
// July 2026 (Europe/London)".
func EmbargoLabel(t time.Time, loc *time.Location) string {
	return "EMBARGOED UNTIL " + embargoTime(t, loc)
}

func embargoTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("15:04 MST 2 January 2006") + " (" + loc.String() + ")"
}

// ComposeSend renders a send's messages from its pinned revision. now decides
// whether the release is still under embargo: a batch that goes out after the
// embargo lifted carries no embargo banner. mediaKey signs the media links of
// a release not yet public (models.MediaLinkKey).
func ComposeSend(ctx context.Context, db *gorm.DB, s *models.Send, baseURL string, mediaKey []byte, now time.Time) (*SendContent, error) {
	d, err := models.DocumentByID(ctx, db, s.DocumentID)
	if err != nil {
		return nil, err
	}
	return composeFor(ctx, db, s, d, baseURL, mediaKey, now)
}

func composeFor(ctx context.Context, db *gorm.DB, s *models.Send, d *models.Document, baseURL string, mediaKey []byte, now time.Time) (*SendContent, error) {
	rev, err := models.RevisionByNumber(ctx, db, s.DocumentID, s.Revision)
	if err != nil {
		return nil, err
	}
	c := rev.Content()
	md := richtext.New()
	base := strings.TrimRight(baseURL, "/")
	// Images in the body by absolute URL (mail clients fetch them: public, or
	// signed while the release is not), sized for the 600 px body.
	inline, err := models.InlineImages(ctx, db, c.Body)
	if err != nil {
		return nil, err
	}
	public := (d.Status == models.StatusPublished || d.Status == models.StatusWithdrawn) && d.PublishedAt != nil && !d.PublishedAt.After(now)
	abs := emailMediaURL(base, mediaKey, d, public, now)
	data := emailData{Language: d.Language, Headline: c.Headline, Standfirst: c.Standfirst, Dateline: c.Dateline,
		BodyHTML: md.RenderWith(c.Body, models.InlineResolver(inline, abs, emailImageWidth)), BodyText: md.PlainText(c.Body), NotesHTML: md.Render(c.NotesToEditors), NotesText: md.PlainText(c.NotesToEditors),
		PressContacts: c.PressContacts, NameKey: KeyName, PreviewKey: KeyPreviewURL, UnsubscribeKey: KeyUnsubscribe}
	if strings.TrimSpace(c.NotesToEditors) == "" {
		data.NotesHTML, data.NotesText = "", ""
	}
	if data.LeadImage, data.Attachments, err = emailMedia(ctx, db, rev, abs); err != nil {
		return nil, err
	}
	data.BodyHTML, data.BodyText = withDateline(c.Dateline, data.BodyHTML, data.BodyText)
	if d.IndexNumber != nil {
		data.IndexNumber = *d.IndexNumber
	}
	out := &SendContent{Send: s, Document: d}
	if d.Slug != nil {
		out.PublicURL = base + "/news/" + models.EscapeSlug(*d.Slug)
		data.PublicURL = out.PublicURL
	}
	if public {
		data.ActionURL, data.ActionLabel = data.PublicURL, "Read more and take action"
	} else {
		data.PublicURL = "" // not public yet: no link that would 404 (or leak)
	}
	data.Footer = "Sent by the press office. Reply to this email to reach us."
	// The newsroom's identity (Settings): who sent it, and the press office's
	// own contact block, as on every release page.
	site, err := models.SiteSettingsOf(ctx, db)
	if err != nil {
		return nil, err
	}
	if site.OrganisationName != models.DefaultOrganisationName {
		data.Footer = "Sent by the press office of " + site.OrganisationName + ". Reply to this email to reach us."
	}
	if site.PressOffice != "" {
		data.Footer += " " + site.PressOffice
	}
	if site.OrganisationName != models.DefaultOrganisationName {
		data.OrgName = site.OrganisationName
	}
	data.Accent = site.AccentColour
	if site.LogoID != "" {
		if m, err := models.MediumByID(ctx, db, site.LogoID); err == nil {
			if v := m.Variant(models.VariantThumb); v != nil && v.Width > 0 {
				w := min(v.Width, 160)
				data.Logo = &emailImage{Src: base + m.PublicPath(models.VariantThumb), Width: w, Height: v.Height * w / v.Width, Alt: site.OrganisationName}
			}
		}
	}
	data.FooterText = data.Footer
	// The embargo is the document's current one (a translation may inherit its
	// original's), not the copy in the pinned revision.
	if d.EmbargoAt != nil && d.EmbargoAt.After(now) {
		t := d.EmbargoAt.UTC()
		out.EmbargoAt = &t
		loc := d.EmbargoLocation(time.UTC)
		data.EmbargoLabel, data.EmbargoTime = EmbargoLabel(t, loc), embargoTime(t, loc)
	}
	journalistTmpl := TemplateRelease
	if out.EmbargoAt != nil {
		journalistTmpl = TemplateReleaseEmbargoed
	}
	if out.Journalist, err = renderEmail(journalistTmpl, data, s.Subject); err != nil {
		return nil, err
	}
	out.Journalist.Embargoed = out.EmbargoAt != nil
	// Supporters are asked to act: an Urgent Action's button goes to its
	// letter; otherwise, when a petition linked to this document (or to the
	// release an alert was made from) is public, there.
	sup := data
	if d.Kind == models.KindActionAlert && c.Action != nil {
		sup.CallToAction = c.Action.CallToAction
	}
	if public && d.Kind == models.KindActionAlert && d.Status != models.StatusWithdrawn && d.Slug != nil && c.Action != nil && len(c.Action.TargetIDs) > 0 {
		// An Urgent Action that names officials asks for a letter: the
		// button goes to its composer, which credits the letter to this send.
		sup.ActionURL, sup.ActionLabel = base+"/a/"+models.EscapeSlug(*d.Slug), "Write to the officials"
	} else if p, err := models.PublicPetitionOfDocument(ctx, db, d, now); err != nil {
		return nil, err
	} else if p != nil {
		sup.ActionURL, sup.ActionLabel = base+"/p/"+models.EscapeSlug(p.Slug), "Sign the petition"
	}
	if out.Supporter, err = renderEmail(TemplateAlert, sup, s.Subject); err != nil {
		return nil, err
	}
	out.Journalist = trackLinks(out.Journalist, base, s.ID)
	out.Supporter = trackLinks(out.Supporter, base, s.ID)
	return out, nil
}

// withDateline opens the body with the dateline, as a printed release does:
// "LONDON, 9 July 2026 — The government…" in the first paragraph. The dash only
// joins a dateline to words that follow it on the same line: with no dateline
// there is no dash, and a body that does not open with a paragraph (a heading, a
// list) gets the dateline as a line of its own.
func withDateline(dateline string, bodyHTML htmltemplate.HTML, bodyText string) (htmltemplate.HTML, string) {
	dateline = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(dateline), "—–-"))
	if dateline == "" {
		return bodyHTML, bodyText
	}
	strong := "<strong>" + htmltemplate.HTMLEscapeString(dateline) + "</strong>"
	h := string(bodyHTML)
	if rest, ok := strings.CutPrefix(h, "<p>"); ok {
		h = "<p>" + strong + " — " + rest
	} else {
		h = "<p>" + strong + "</p>\n" + h
	}
	text := dateline
	if bodyText != "" && strings.HasPrefix(h, "<p>"+strong+" — ") {
		text = dateline + " — " + bodyText
	} else if bodyText != "" {
		text = dateline + "\n\n" + bodyText
	}
	return htmltemplate.HTML(h), text
}

// trackLinks gives every link of a message to one of our petition or action
// pages the send's source parameter (models.SourceParam), so a signature or
// letter that follows records the send that brought it. The value is the
// send's id, the same for every recipient: nothing personal.
func trackLinks(m SendMessage, base, sendID string) SendMessage {
	if base == "" || sendID == "" {
		return m
	}
	pages := regexp.QuoteMeta(base) + `/(?:p|a)/[A-Za-z0-9_~%-]+(?:/[A-Za-z0-9_~%-]+)*`
	htmlLink := regexp.MustCompile(`href="(` + pages + `[^"]*)"`)
	m.HTML = htmlLink.ReplaceAllStringFunc(m.HTML, func(attr string) string {
		raw := html.UnescapeString(attr[len(`href="`) : len(attr)-1])
		return `href="` + html.EscapeString(models.TrackedURL(raw, sendID)) + `"`
	})
	textLink := regexp.MustCompile(pages + `(?:\?[^\s<>()\[\]"]*)?`)
	m.Text = textLink.ReplaceAllStringFunc(m.Text, func(u string) string { return models.TrackedURL(u, sendID) })
	return m
}

// contentCache keeps a send's rendered content for its batch jobs: a
// million-recipient send has a thousand batches, and the pinned revision renders
// the same for each of them. An entry is keyed by everything that can change the
// rendering between batches (the pinned revision, the document's status,
// publication, slug, index number, language, embargo time and zone, and whether
// the embargo has lifted by now), so a batch after the embargo lifted or moved,
// or the release was published or the send re-pointed, renders afresh.
type contentCache struct {
	mu      sync.Mutex
	entries map[string]*SendContent
}

// contentCacheSize bounds the cache: a handful of sends run at once.
const contentCacheSize = 16

func newContentCache() *contentCache { return &contentCache{entries: map[string]*SendContent{}} }

// compose returns the send's content as of now, rendering it only when no
// batch rendered it in the same circumstances: d is the document's state as the
// batch read it (one row lookup), the rendering loads the whole document. A nil
// cache always renders.
func (c *contentCache) compose(ctx context.Context, db *gorm.DB, s *models.Send, d models.DocumentState, baseURL string, mediaKey []byte, now time.Time) (*SendContent, error) {
	if c == nil {
		return ComposeSend(ctx, db, s, baseURL, mediaKey, now)
	}
	published := d.PublishedAt != nil && !d.PublishedAt.After(now)
	embargoed := d.EmbargoAt != nil && d.EmbargoAt.After(now)
	slug, index := "", ""
	if d.Slug != nil {
		slug = *d.Slug
	}
	if d.IndexNumber != nil {
		index = *d.IndexNumber
	}
	embargo := ""
	if embargoed {
		embargo = d.EmbargoAt.UTC().Format(time.RFC3339)
	}
	key := fmt.Sprintf("%s|%d|%s|%t|%s|%s|%s|%s|%s|%s", s.ID, s.Revision, d.Status, published, embargo, slug, index, d.EmbargoTZ, d.Language, baseURL)
	c.mu.Lock()
	hit := c.entries[key]
	c.mu.Unlock()
	if hit != nil && (hit.EmbargoAt == nil || hit.EmbargoAt.After(now)) {
		return hit, nil
	}
	out, err := ComposeSend(ctx, db, s, baseURL, mediaKey, now)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) >= contentCacheSize {
		clear(c.entries)
	}
	c.entries[key] = out
	c.mu.Unlock()
	return out, nil
}

// renderEmail executes one email template: subject and text with text/template
// (no HTML escaping in a plain-text part) and the plain substitution keys, HTML
// with html/template and the keys' HTML twins. A subject override replaces the
// headline but keeps an embargo prefix.
func renderEmail(name string, data emailData, subjectOverride string) (SendMessage, error) {
	files := []string{"emails/layout.tmpl", "emails/" + name + ".html"}
	ht, err := htmltemplate.New(name).ParseFS(templates.Files(), files...)
	if err != nil {
		return SendMessage{}, fmt.Errorf("jobs: parse email %s: %w", name, err)
	}
	tt, err := texttemplate.New(name).ParseFS(templates.Files(), files...)
	if err != nil {
		return SendMessage{}, fmt.Errorf("jobs: parse email %s: %w", name, err)
	}
	headline := data.Headline
	if subjectOverride != "" {
		data.Headline = subjectOverride
	}
	var subj, text bytes.Buffer
	if err := tt.ExecuteTemplate(&subj, "subject", data); err != nil {
		return SendMessage{}, fmt.Errorf("jobs: render email %s: %w", name, err)
	}
	data.Subject = strings.Join(strings.Fields(subj.String()), " ")
	data.Headline = headline
	if err := tt.ExecuteTemplate(&text, "text", data); err != nil {
		return SendMessage{}, fmt.Errorf("jobs: render email %s: %w", name, err)
	}
	// The HTML part carries the keys whose values are HTML-escaped (see
	// Substitutions).
	data.NameKey, data.PreviewKey, data.UnsubscribeKey = HTMLKey(data.NameKey), HTMLKey(data.PreviewKey), HTMLKey(data.UnsubscribeKey)
	var html bytes.Buffer
	if err := ht.ExecuteTemplate(&html, "html", data); err != nil {
		return SendMessage{}, fmt.Errorf("jobs: render email %s: %w", name, err)
	}
	return SendMessage{Template: name, Subject: data.Subject, HTML: html.String(), Text: strings.TrimSpace(text.String()) + "\n"}, nil
}

// PersonalizeFor builds one recipient's personalization: substitutions, the
// RFC 8058 one-click unsubscribe headers for supporters, and custom args holding
// ids only (SendGrid echoes them in events; they must carry no personal data).
func (c *SendContent) PersonalizeFor(r models.BatchRecipient, baseURL string, unsubscribeKey []byte, previewToken string) Recipient {
	return c.PersonalizeWith(r, baseURL, models.NewUnsubscribeSigner(unsubscribeKey), previewToken)
}

// PersonalizeWith is PersonalizeFor with a signer shared by a batch's
// recipients.
func (c *SendContent) PersonalizeWith(r models.BatchRecipient, baseURL string, signer *models.UnsubscribeSigner, previewToken string) Recipient {
	name := strings.TrimSpace(r.Name)
	if name == "" {
		name = "colleague"
		if r.Kind == models.RecipientSupporter {
			name = "friend"
		}
	}
	rc := Recipient{To: Address{Email: r.Email, Name: r.Name}, Substitutions: Substitutions(KeyName, name),
		CustomArgs: map[string]string{"send_id": c.Send.ID, "recipient_id": strconv.FormatInt(r.ID, 10)}}
	base := strings.TrimRight(baseURL, "/")
	switch r.Kind {
	case models.RecipientSupporter:
		u := base
		if r.SupporterID != nil {
			// The send names the lists the link leaves (the token names
			// the supporter); a link without it stops every email.
			u = signer.SupporterURL(base, *r.SupporterID) + "?send=" + url.QueryEscape(c.Send.ID)
		}
		Substitute(rc.Substitutions, KeyUnsubscribe, u)
		rc.Headers = map[string]string{"List-Unsubscribe": "<" + u + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
	default:
		// Journalists unsubscribe in one click too (RFC 8058), as supporters
		// do: a newsroom subscriber must be able to leave.
		u := base + "/u/" + models.TestUnsubscribeToken // a preview's placeholder
		if r.ContactID != nil {
			u = signer.ContactURL(base, *r.ContactID)
			rc.Headers = map[string]string{"List-Unsubscribe": "<" + u + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
		}
		Substitute(rc.Substitutions, KeyUnsubscribe, u)
		preview := c.PublicURL
		if previewToken != "" {
			preview = base + "/preview/" + previewToken
		}
		if preview == "" {
			preview = base + "/news"
		}
		Substitute(rc.Substitutions, KeyPreviewURL, preview)
	}
	return rc
}

// Message returns the shared message for a kind of recipient.
func (c *SendContent) Message(kind string) SendMessage {
	if kind == models.RecipientSupporter {
		return c.Supporter
	}
	return c.Journalist
}

// BatchFor assembles a provider request for recipients of one kind.
func (c *SendContent) BatchFor(kind string, from Address, rs []Recipient) Batch {
	m := c.Message(kind)
	if c.Send.FromEmail != "" {
		from = Address{Email: c.Send.FromEmail, Name: c.Send.FromName}
	}
	b := Batch{From: from, Subject: m.Subject, HTML: m.HTML, Text: m.Text, Recipients: rs,
		Categories: []string{"send", string(c.Send.Kind)}}
	if c.Send.ReplyTo != "" {
		b.ReplyTo = &Address{Email: c.Send.ReplyTo}
	}
	return b
}
