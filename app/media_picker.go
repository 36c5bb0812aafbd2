package app

import (
	"context"
	"fmt"
	"strings"

	"pressroom/models"
)

// mediaChoice is one library item the release editor offers: its id, the
// words a press officer knows it by, and whether the release uses it.
type mediaChoice struct {
	ID       string
	Label    string
	Selected bool
}

// mediaPicker is the editor's "Photo and downloads": the library's photos for
// the lead image and its documents for attachments, chosen by name instead
// of by copying ids. An id the form holds that the library does not offer
// (unknown, or a document as the lead image) stays in the form, labelled as
// such, so the error beside the field shows what was sent.
type mediaPicker struct {
	Images      []mediaChoice
	Attachments []mediaChoice
}

// attachmentIDs splits the form's attachment ids (commas, spaces or lines).
func (f *releaseForm) attachmentIDs() []string {
	return strings.FieldsFunc(f.AttachmentIDs, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func (s *Server) mediaPicker(ctx context.Context, f *releaseForm) (mediaPicker, error) {
	var p mediaPicker
	var lead []string
	if f.LeadImageID != "" {
		lead = []string{f.LeadImageID}
	}
	images, err := models.MediaChoices(ctx, s.db.Gorm, models.MediaImage, lead)
	if err != nil {
		return p, err
	}
	found := false
	for i := range images {
		m := &images[i]
		label := m.Title
		if m.Credit != "" {
			label += " — " + m.Credit
		}
		sel := m.ID == f.LeadImageID
		found = found || sel
		p.Images = append(p.Images, mediaChoice{ID: m.ID, Label: fmt.Sprintf("%s (%d × %d px)", label, m.Width, m.Height), Selected: sel})
	}
	if f.LeadImageID != "" && !found {
		p.Images = append([]mediaChoice{{ID: f.LeadImageID, Label: f.LeadImageID + " (not a photo of the library)", Selected: true}}, p.Images...)
	}
	chosen := f.attachmentIDs()
	docs, err := models.MediaChoices(ctx, s.db.Gorm, models.MediaDocument, chosen)
	if err != nil {
		return p, err
	}
	// Attached photos (the API allows any item) are offered too, so saving
	// the form does not drop them.
	images, err = models.MediaChoices(ctx, s.db.Gorm, models.MediaImage, chosen)
	if err != nil {
		return p, err
	}
	byID := map[string]*models.Medium{}
	for _, list := range [][]models.Medium{docs, images} {
		for i := range list {
			byID[list[i].ID] = &list[i]
		}
	}
	seen := map[string]bool{}
	for _, id := range chosen {
		if seen[id] {
			continue
		}
		seen[id] = true
		label := id + " (not in the library)"
		if m := byID[id]; m != nil {
			label = m.DownloadLabel()
		}
		p.Attachments = append(p.Attachments, mediaChoice{ID: id, Label: label, Selected: true})
	}
	for i := range docs {
		if m := &docs[i]; !seen[m.ID] {
			p.Attachments = append(p.Attachments, mediaChoice{ID: m.ID, Label: m.DownloadLabel()})
		}
	}
	return p, nil
}
