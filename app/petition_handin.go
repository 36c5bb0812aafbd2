package app

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/go-pdf/fpdf"

	"pressroom/models"
)

// handinPDF writes the hand-in pack of a petition: a cover page with the
// demand, the target, the total and a table by country, then every confirmed
// signature (name, country, postcode, date). Names are never public; this
// goes only to the target. The export is audited.
//
// The built-in PDF fonts cover Latin-1 (Windows-1252) only: letters outside
// it print as "?" until a Unicode font is embedded.
func (s *Server) handinPDF(c *gin.Context, p *models.Petition) {
	ctx := c.Request.Context()
	byCountry, err := models.ConfirmedByCountry(ctx, s.db.Gorm, p.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	var total int64
	countries := make([]countryCount, 0, len(byCountry))
	for code, n := range byCountry {
		total += n
		countries = append(countries, countryCount{Code: code, Name: models.CountryName(code), N: n})
	}
	sort.Slice(countries, func(i, j int) bool {
		if countries[i].N != countries[j].N {
			return countries[i].N > countries[j].N
		}
		return countries[i].Code < countries[j].Code
	})
	now := s.clock.Now().In(s.cfg.DefaultTimezone)

	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle(tr(p.Title), false)
	pdf.SetCreator(siteName, false)
	pdf.SetAutoPageBreak(true, 15)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("%s · page %d", p.Title, pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 20)
	pdf.MultiCell(0, 9, tr(p.Title), "", "L", false)
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "", 11)
	pdf.MultiCell(0, 6, tr("To: "+strings.Join(p.Targets(), "; ")), "", "L", false)
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "B", 14)
	pdf.MultiCell(0, 7, tr(p.Demand), "", "L", false)
	pdf.Ln(5)
	pdf.SetFont("Helvetica", "", 12)
	pdf.MultiCell(0, 6, tr(fmt.Sprintf("%d confirmed signatures, as of %s.", total, now.Format("2 January 2006 15:04 MST"))), "", "L", false)
	if p.TextUpdatedAt != nil {
		pdf.SetFont("Helvetica", "I", 9)
		pdf.MultiCell(0, 5, tr("The demand or target was updated on "+p.TextUpdatedAt.In(s.cfg.DefaultTimezone).Format("2 January 2006")+"; some signed an earlier wording."), "", "L", false)
	}
	pdf.Ln(5)
	pdf.SetFont("Helvetica", "B", 11)
	pdf.CellFormat(120, 7, "Country", "B", 0, "L", false, 0, "")
	pdf.CellFormat(40, 7, "Signatures", "B", 1, "R", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	for _, cc := range countries {
		pdf.CellFormat(120, 6, tr(cc.Name), "", 0, "L", false, 0, "")
		pdf.CellFormat(40, 6, fmt.Sprint(cc.N), "", 1, "R", false, 0, "")
	}

	pdf.AddPage()
	header := func() {
		pdf.SetFont("Helvetica", "B", 10)
		pdf.CellFormat(80, 7, "Name", "B", 0, "L", false, 0, "")
		pdf.CellFormat(50, 7, "Country", "B", 0, "L", false, 0, "")
		pdf.CellFormat(30, 7, "Postcode", "B", 0, "L", false, 0, "")
		pdf.CellFormat(30, 7, "Signed", "B", 1, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 9)
	}
	header()
	n := 0
	err = models.ConfirmedSignatures(ctx, s.db.Gorm, p.ID, func(sig models.Signature) error {
		if pdf.GetY() > 275 {
			pdf.AddPage()
			header()
		}
		n++
		at := ""
		if sig.ConfirmedAt != nil {
			at = sig.ConfirmedAt.In(s.cfg.DefaultTimezone).Format("2006-01-02")
		}
		pdf.CellFormat(80, 5, tr(clip(sig.Name, 45)), "", 0, "L", false, 0, "")
		pdf.CellFormat(50, 5, tr(clip(models.CountryName(sig.Country), 28)), "", 0, "L", false, 0, "")
		pdf.CellFormat(30, 5, tr(sig.Postcode), "", 0, "L", false, 0, "")
		pdf.CellFormat(30, 5, at, "", 1, "L", false, 0, "")
		return nil
	})
	if err != nil {
		_ = c.Error(err)
		return
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		_ = c.Error(fmt.Errorf("app: hand-in pdf: %w", err))
		return
	}
	u := currentUser(c)
	if err := models.Audit(ctx, s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: "petition_handin_exported", SubjectType: "petition", SubjectID: p.ID,
		IP: c.ClientIP(), Details: fmt.Sprintf("%d confirmed signatures as PDF", n)}); err != nil {
		_ = c.Error(err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+p.Slug+`-handin.pdf"`)
	c.Data(http.StatusOK, "application/pdf", buf.Bytes())
}

// clip shortens s to at most n runes for a table cell.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
