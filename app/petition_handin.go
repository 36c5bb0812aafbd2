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
	"pressroom/pdffont"
)

// handinPDF writes the hand-in pack of a petition: a cover page with the
// demand, the target, the total and a table by country, then every confirmed
// signature (name, country, postcode, date). Names are never public; this
// goes only to the target. The export is audited.
//
// It is set in an embedded Unicode font (pdffont: Latin, Greek, Cyrillic and
// more). Text the PDF cannot show correctly — scripts written right to left or
// needing shaping (Arabic, Hebrew, Devanagari…) and those the font lacks
// (Chinese, Japanese, Korean) — is never drawn as wrong or missing letters: it
// is replaced by a note naming the script, the cover page says how many names
// that concerns, and the CSV export has them in full.
func (s *Server) handinPDF(c *gin.Context, p *models.Petition) {
	ctx := c.Request.Context()
	font, err := pdffont.Load()
	if err != nil {
		_ = c.Error(err)
		return
	}
	// show is the text as the PDF can print it, or a note where it cannot.
	show := func(text, what string) (string, bool) {
		if ok, script := font.Printable(text); !ok {
			if script == "" {
				script = "a script this PDF cannot show"
			} else {
				script += " script"
			}
			return "(" + what + " in " + script + ")", false
		}
		return text, true
	}
	tr := func(text string) string {
		out, _ := show(text, "written")
		return out
	}
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
	for _, style := range []string{"", "I"} {
		pdf.AddUTF8FontFromBytes(pdffont.Family, style, pdffont.Regular)
	}
	pdf.AddUTF8FontFromBytes(pdffont.Family, "B", pdffont.Bold)
	pdf.SetTitle(tr(p.Title), true)
	pdf.SetCreator(siteName, false)
	pdf.SetAutoPageBreak(true, 15)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(pdffont.Family, "", 8)
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("%s · page %d", p.Title, pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont(pdffont.Family, "B", 20)
	pdf.MultiCell(0, 9, tr(p.Title), "", "L", false)
	pdf.Ln(4)
	pdf.SetFont(pdffont.Family, "", 11)
	pdf.MultiCell(0, 6, tr("To: "+strings.Join(p.Targets(), "; ")), "", "L", false)
	pdf.Ln(3)
	pdf.SetFont(pdffont.Family, "B", 14)
	pdf.MultiCell(0, 7, tr(p.Demand), "", "L", false)
	pdf.Ln(5)
	pdf.SetFont(pdffont.Family, "", 12)
	pdf.MultiCell(0, 6, tr(fmt.Sprintf("%d confirmed signatures, as of %s.", total, now.Format("2 January 2006 15:04 MST"))), "", "L", false)
	// A first pass over the names, so the cover can say how many it cannot show.
	unprintable := 0
	if err := models.ConfirmedSignatures(ctx, s.db.Gorm, p.ID, func(sig models.Signature) error {
		if ok, _ := font.Printable(sig.Name); !ok {
			unprintable++
		}
		return nil
	}); err != nil {
		_ = c.Error(err)
		return
	}
	if unprintable > 0 {
		pdf.SetFont(pdffont.Family, "I", 9)
		pdf.MultiCell(0, 5, fmt.Sprintf("%d of the names are written in scripts this document cannot show correctly (such as Arabic, Hebrew or Chinese); "+
			"the list marks each of them, and the CSV export of the signatures has them in full.", unprintable), "", "L", false)
	}
	if p.TextUpdatedAt != nil {
		pdf.SetFont(pdffont.Family, "I", 9)
		pdf.MultiCell(0, 5, tr("The demand or target was updated on "+p.TextUpdatedAt.In(s.cfg.DefaultTimezone).Format("2 January 2006")+"; some signed an earlier wording."), "", "L", false)
	}
	pdf.Ln(5)
	pdf.SetFont(pdffont.Family, "B", 11)
	pdf.CellFormat(120, 7, "Country", "B", 0, "L", false, 0, "")
	pdf.CellFormat(40, 7, "Signatures", "B", 1, "R", false, 0, "")
	pdf.SetFont(pdffont.Family, "", 10)
	for _, cc := range countries {
		pdf.CellFormat(120, 6, tr(cc.Name), "", 0, "L", false, 0, "")
		pdf.CellFormat(40, 6, fmt.Sprint(cc.N), "", 1, "R", false, 0, "")
	}

	pdf.AddPage()
	header := func() {
		pdf.SetFont(pdffont.Family, "B", 10)
		pdf.CellFormat(80, 7, "Name", "B", 0, "L", false, 0, "")
		pdf.CellFormat(50, 7, "Country", "B", 0, "L", false, 0, "")
		pdf.CellFormat(30, 7, "Postcode", "B", 0, "L", false, 0, "")
		pdf.CellFormat(30, 7, "Signed", "B", 1, "L", false, 0, "")
		pdf.SetFont(pdffont.Family, "", 9)
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
		name, _ := show(sig.Name, "name")
		pdf.CellFormat(80, 5, clip(name, 45), "", 0, "L", false, 0, "")
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
