package app

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// CSPReportPath is where the Content-Security-Policy sends browsers'
// violation reports (report-uri and the report-to endpoint).
const CSPReportPath = "/csp-reports"

// Limits on the public report endpoint: a report is well under a kilobyte, and
// a page that breaks the policy reports once per violation, so a client past
// these is not a browser reporting a bug.
const (
	maxCSPReportBody = 16 << 10
	cspReportsPerMin = 30
)

// CSPReportsHandler receives Content-Security-Policy violation reports from
// browsers and lists them for admins: the policy blocks inline script, and a
// report says a page broke it.
type CSPReportsHandler struct {
	s       *Server
	limiter *Limiter
}

// NewCSPReportsHandler builds the handler with its per-address limit on the
// server's clock.
func NewCSPReportsHandler(s *Server) *CSPReportsHandler {
	return &CSPReportsHandler{s: s, limiter: NewLimiter(cspReportsPerMin, time.Minute, s.clock.Now)}
}

// Register adds the public report endpoint and the admin listing.
func (h *CSPReportsHandler) Register(root, admin Routes) {
	root.POST(CSPReportPath, Public, h.receive)
	admin.GET("/csp-reports", Roles(models.RoleAdmin), h.list)
}

func (h *CSPReportsHandler) receive(c *gin.Context) {
	noStore(c)
	if ok, wait := h.limiter.Allow("csp:" + c.ClientIP()); !ok {
		c.Header("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		c.String(http.StatusTooManyRequests, "too many reports from this address; try again later\n")
		return
	}
	ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch ct {
	case "application/csp-report", "application/reports+json", "application/json":
	default:
		c.String(http.StatusUnsupportedMediaType, "send application/csp-report or application/reports+json\n")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxCSPReportBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		c.String(http.StatusRequestEntityTooLarge, "a report may be at most %d KB\n", maxCSPReportBody>>10)
		return
	}
	if err != nil {
		c.String(http.StatusBadRequest, "could not read the report\n")
		return
	}
	reports, err := models.ParseCSPReports(body, c.GetHeader("User-Agent"))
	if err != nil {
		c.String(http.StatusBadRequest, "not a Content-Security-Policy violation report\n")
		return
	}
	if err := models.StoreCSPReports(c.Request.Context(), h.s.db.Gorm, reports, h.s.clock.Now()); err != nil {
		_ = c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}

type cspReportsPage struct {
	Reports []models.CSPReport
	Older   string // before= of the next page, empty on the last
}

func (h *CSPReportsHandler) list(c *gin.Context) {
	before, _ := strconv.ParseInt(c.Query("before"), 10, 64)
	const limit = 100
	rs, err := models.CSPReports(c.Request.Context(), h.s.db.Gorm, before, limit)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := cspReportsPage{Reports: rs}
	if len(rs) == limit {
		p.Older = strconv.FormatInt(rs[len(rs)-1].ID, 10)
	}
	h.s.render(c, http.StatusOK, "admin/csp_reports", h.s.page(c, "Content Security Policy reports", "settings", p))
}
