package app

import (
	"context"
	"fmt"
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"pressroom/models"
	"pressroom/models/richtext"
)

// mediaView is a library item as a page or an email shows it, with its URLs
// already decided (public, or signed for a preview).
type mediaView struct {
	Src     string // the large web size (images)
	Width   int
	Height  int
	Alt     string
	Caption string
	Credit  string
	Title   string
	Href    string // the download (documents) or the original (images)
	Label   string // "Report (PDF, 2.3 MB)"
	// About is the full-size photo's type, size and weight, "JPEG, 4000 ×
	// 3000 px, 3.2 MB", beside its download link; Licence says what a
	// journalist may do with it.
	About   string
	Licence string
}

// releaseMedia is a release's lead image and attachments for a template.
type releaseMedia struct {
	Lead        *mediaView
	Social      *mediaView // the 1200×630 card of the lead image
	Attachments []mediaView
}

// mediaURLFunc chooses a variant's URL: public, or signed.
type mediaURLFunc func(m *models.Medium, variant string) string

func buildReleaseMedia(lead *models.Medium, att []models.Medium, url mediaURLFunc) releaseMedia {
	var out releaseMedia
	if lead != nil {
		v := mediaView{Alt: lead.AltText, Caption: lead.Caption, Credit: lead.Credit, Title: lead.Title, Href: url(lead, models.VariantOriginal),
			About: fmt.Sprintf("%s, %d × %d px, %s", lead.TypeLabel(), lead.Width, lead.Height, lead.SizeLabel()), Licence: lead.Licence}
		if l := lead.Variant(models.VariantLarge); l != nil {
			v.Src, v.Width, v.Height = url(lead, models.VariantLarge), l.Width, l.Height
		}
		out.Lead = &v
		if s := lead.Variant(models.VariantSocial); s != nil {
			out.Social = &mediaView{Src: url(lead, models.VariantSocial), Width: s.Width, Height: s.Height, Alt: lead.AltText}
		}
	}
	for i := range att {
		m := &att[i]
		out.Attachments = append(out.Attachments, mediaView{Title: m.Title, Caption: m.Caption, Credit: m.Credit, Alt: m.AltText,
			Href: url(m, models.VariantOriginal), Label: m.DownloadLabel()})
	}
	return out
}

// publicReleaseMedia is what the newsroom shows of a visible release's media:
// public URLs, which the visibility rule serves because the release is public.
func (s *Server) publicReleaseMedia(ctx context.Context, r *models.PublicRelease) (releaseMedia, error) {
	lead, att, err := models.PublicReleaseMedia(ctx, s.db.Gorm, r)
	if err != nil {
		return releaseMedia{}, err
	}
	return buildReleaseMedia(lead, att, s.MediaURL), nil
}

// previewReleaseMedia is a preview's media at the preview's signed URLs,
// which work before the lift, for this reader's link only in the sense that
// nobody can guess them.
func (s *Server) previewReleaseMedia(ctx context.Context, r *models.PublicRelease, url mediaURLFunc) (releaseMedia, error) {
	lead, att, err := models.PublicReleaseMedia(ctx, s.db.Gorm, r)
	if err != nil {
		return releaseMedia{}, err
	}
	return buildReleaseMedia(lead, att, url), nil
}

// renderBody renders a release body with its library images at the URLs url
// gives (public on the newsroom, signed on a preview, staff-only in the
// editor), through the same sanitiser as every body.
func (s *Server) renderBody(ctx context.Context, body string, url mediaURLFunc) (template.HTML, error) {
	imgs, err := models.InlineImages(ctx, s.db.Gorm, body)
	if err != nil {
		return "", err
	}
	return s.markdown.RenderWith(body, models.InlineResolver(imgs, url, 0)), nil
}

// staffMediaURL is a variant's signed-in address, for the editor and the
// admin pages: it serves drafts' images that no public URL answers yet.
func staffMediaURL(m *models.Medium, variant string) string {
	return "/admin" + libraryPath + "/" + m.ID + "/" + variant
}

// staffImages resolves a body's library images for the admin pages. A
// failed lookup shows the alt text only: the editor's preview must not fail
// over a picture.
func (s *Server) staffImages(ctx context.Context, body string) richtext.ImageResolver {
	imgs, err := models.InlineImages(ctx, s.db.Gorm, body)
	if err != nil {
		s.logger.WarnContext(ctx, "media: inline images", "err", err)
	}
	return models.InlineResolver(imgs, staffMediaURL, 0)
}

// siteImage is one of the newsroom's own images (logo, default social card)
// at its public URL, or nil when none is set or it cannot be read (a page
// is still worth showing without it).
func (s *Server) siteImage(ctx context.Context, id, variant, alt string) *mediaView {
	if id == "" {
		return nil
	}
	m, err := models.MediumByID(ctx, s.db.Gorm, id)
	if err != nil {
		return nil
	}
	v := m.Variant(variant)
	if v == nil {
		return nil
	}
	return &mediaView{Src: s.MediaURL(m, variant), Width: v.Width, Height: v.Height, Alt: alt}
}

// SiteCSS serves the newsroom's accent colour as CSS custom properties: the
// strict Content-Security-Policy allows no inline style, so the colour comes
// from a stylesheet of this origin.
func (s *Server) siteCSS(c *gin.Context) {
	site := s.site(c.Request.Context())
	c.Header("Cache-Control", "public, max-age=60")
	c.Header("X-Content-Type-Options", "nosniff")
	css := "/* the newsroom's accent colour (Settings) */\n"
	if a := site.AccentColour; a != "" {
		css += ":root{--pico-primary:" + a + ";--pico-primary-background:" + a + ";--pico-primary-border:" + a + ";--pico-primary-hover:" + a + ";--pico-primary-hover-background:" + a + ";}\n"
	}
	c.Data(http.StatusOK, "text/css; charset=utf-8", []byte(css))
}
