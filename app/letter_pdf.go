package app

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"pressroom/pdffont"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/go-pdf/fpdf"

	"pressroom/models"
)

// The address field of a letter for a DL window envelope: an A4 sheet folded
// in three shows, through the window, the block DIN 5008 (form B) reserves,
// 20 mm from the left and 45 mm from the top, 85 × 45 mm. The same block
// fits the common C5/6 and DL windows.
const (
	windowLeft   = 20.0
	windowTop    = 45.0
	windowWidth  = 85.0
	windowHeight = 45.0
)

// print answers the composer's "Print it to post" button: the letter as a PDF,
// one page per chosen target, each with the target's postal address placed
// for a window envelope, the date, their greeting and the writer's sign-off.
// Nothing is stored: the writer may then record "I posted it".
func (h *ActionPublicHandler) print(c *gin.Context) {
	a := h.load(c)
	if a == nil {
		return
	}
	if h.prints != nil {
		if ok, wait := h.prints.Allow(c.ClientIP()); !ok {
			c.Header("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
			h.s.errorPage(c, http.StatusTooManyRequests, "Too many letters", "Too many printable letters were asked for from your network just now. Please wait a minute and try again.")
			return
		}
	}
	form := bindLetterForm(c)
	var errs = map[string]string{}
	if strings.TrimSpace(form.Name) == "" {
		errs["name"] = "is required: it signs your letter"
	}
	if strings.TrimSpace(form.Body) == "" {
		errs["body"] = "is empty: write your letter, or keep the suggested one"
	}
	var targets []models.Target
	for _, id := range form.TargetIDs {
		if t := a.Target(id); t != nil {
			targets = append(targets, *t)
		}
	}
	if len(targets) == 0 {
		targets = a.Targets
	}
	font, err := pdffont.Load()
	if err != nil {
		_ = c.Error(err)
		return
	}
	// The embedded font prints Latin, Greek and Cyrillic; scripts that need
	// shaping or right-to-left layout would come out as wrong letters, so the
	// writer is told rather than handed a garbled letter.
	for field, text := range map[string]string{"name": form.Name, "subject": form.Subject, "body": form.Body} {
		if ok, script := font.Printable(text); !ok {
			if script == "" {
				script = "this script"
			} else {
				script += " script"
			}
			errs[field] = "cannot be printed in " + script + " yet: send the letter by email, or copy it from this page to print it yourself"
		}
	}
	for _, t := range targets {
		if ok, _ := font.Printable(t.Name + t.Title + t.PostalAddress + t.Organisation); !ok {
			errs["target_ids"] = "the address of " + t.Name + " cannot be printed in its script yet: copy it from this page to print it yourself"
		}
	}
	if len(errs) > 0 {
		h.render(c, http.StatusUnprocessableEntity, a, form, "", "", errs)
		return
	}
	var buf bytes.Buffer
	if err := h.s.letterPDF(&buf, a, targets, form); err != nil {
		_ = c.Error(err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="letter-`+*a.Release.Slug+`.pdf"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/pdf", buf.Bytes())
}

// letterPDF writes one page per target, in the embedded Unicode font (print
// checks first that the font can show the letter).
func (s *Server) letterPDF(w *bytes.Buffer, a *models.PublicAction, targets []models.Target, form letterForm) error {
	if len(targets) == 0 {
		return errors.New("app: letter pdf: no targets")
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(pdffont.Family, "", pdffont.Regular)
	pdf.AddUTF8FontFromBytes(pdffont.Family, "B", pdffont.Bold)
	tr := func(s string) string { return s }
	pdf.SetTitle(form.Subject, true)
	pdf.SetCreator(siteName, false)
	pdf.SetMargins(windowLeft, 20, 20)
	pdf.SetAutoPageBreak(true, 20)
	date := s.clock.Now().In(a.Action.Location(s.cfg.DefaultTimezone)).Format("2 January 2006")
	for _, t := range targets {
		pdf.AddPage()
		// The writer's own name and country, top right, as a letter's sender.
		pdf.SetFont(pdffont.Family, "", 10)
		pdf.SetXY(120, 20)
		sender := strings.TrimSpace(form.Name)
		if n := models.CountryName(strings.ToUpper(form.Country)); n != "" {
			sender += "\n" + n
		}
		pdf.MultiCell(70, 5, tr(sender), "", "R", false)
		// The address block, in the window.
		pdf.SetFont(pdffont.Family, "", 11)
		pdf.SetXY(windowLeft, windowTop)
		addr := t.Name
		if t.Title != "" {
			addr += "\n" + t.Title
		}
		if t.PostalAddress != "" {
			addr += "\n" + t.PostalAddress
		} else if t.Organisation != "" {
			addr += "\n" + t.Organisation
		}
		lines := strings.Split(addr, "\n")
		if len(lines) > 9 { // what fits the window at this size
			lines = lines[:9]
		}
		pdf.MultiCell(windowWidth, 5, tr(strings.Join(lines, "\n")), "", "L", false)
		pdf.SetXY(windowLeft, windowTop+windowHeight+5)
		pdf.CellFormat(0, 6, tr(date), "", 1, "R", false, 0, "")
		pdf.Ln(4)
		pdf.SetFont(pdffont.Family, "B", 11)
		pdf.MultiCell(0, 6, tr(strings.TrimSpace(form.Subject)), "", "L", false)
		pdf.Ln(3)
		pdf.SetFont(pdffont.Family, "", 11)
		pdf.MultiCell(0, 5.5, tr(models.LetterText(&t, form.Body, strings.TrimSpace(form.Name), form.Country)), "", "L", false)
	}
	return pdf.Output(w)
}
