package app

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// DashboardHandler serves the admin home page.
type DashboardHandler struct {
	s *Server
}

// Register adds the dashboard.
func (h *DashboardHandler) Register(r Routes) {
	r.GET("", Staff, h.show)
	r.GET("/settings", Staff, h.settings)
}

// settings is the hub of the organisation's set-up pages.
func (h *DashboardHandler) settings(c *gin.Context) {
	(&SettingsHandler{s: h.s}).render(c, http.StatusOK, h.s.site(c.Request.Context()), nil)
}

// dashboardPage is the desk (what waits for the user, what they are writing,
// what goes out next and what went out) above the organisation's counters.
type dashboardPage struct {
	Desk  *models.Desk
	Chart deskChart
	Stats *models.DashboardStats
}

func (h *DashboardHandler) show(c *gin.Context) {
	ctx := c.Request.Context()
	now := h.s.clock.Now()
	desk, err := models.DeskOf(ctx, h.s.db.Gorm, currentUser(c), now)
	if err != nil {
		_ = c.Error(err)
		return
	}
	stats, err := models.Dashboard(ctx, h.s.db.Gorm, now)
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.render(c, http.StatusOK, "admin/dashboard", h.s.page(c, "Dashboard", "dashboard", dashboardPage{Desk: desk, Chart: newDeskChart(desk.Days), Stats: stats}))
}

// deskChart is the geometry of the desk's 30-day bar chart, drawn as SVG by
// the template (so every label is escaped like any other text): for each
// day a bar of releases published and one of sends gone out.
type deskChart struct {
	Width, Height, Base int
	Max                 int
	Bars                []deskBar
	Releases, Sends     int // totals, for the chart's text alternative
	From, To            time.Time
}

type deskBar struct {
	X, W     int
	RelY     int
	RelH     int
	SendX    int
	SendY    int
	SendH    int
	Label    string
	TickText string // a date under every seventh day
	TickY    int
}

const (
	deskChartWidth  = 600
	deskChartHeight = 150
	deskChartPad    = 20
)

func newDeskChart(days []models.DeskDay) deskChart {
	ch := deskChart{Width: deskChartWidth, Height: deskChartHeight + deskChartPad, Base: deskChartHeight, Max: 1}
	if len(days) == 0 {
		return ch
	}
	for _, d := range days {
		ch.Max = max(ch.Max, d.Releases, d.Sends)
		ch.Releases += d.Releases
		ch.Sends += d.Sends
	}
	ch.From, ch.To = days[0].Day, days[len(days)-1].Day
	slot := (deskChartWidth - deskChartPad) / len(days)
	bar := max(1, (slot-2)/2)
	scale := func(v int) int { return v * (deskChartHeight - 10) / ch.Max }
	for i, d := range days {
		x := deskChartPad + i*slot
		b := deskBar{X: x, W: bar, RelH: scale(d.Releases), SendX: x + bar, SendH: scale(d.Sends),
			Label: fmt.Sprintf("%s: %d published, %d sent", d.Day.Format("2 Jan"), d.Releases, d.Sends)}
		b.RelY, b.SendY, b.TickY = deskChartHeight-b.RelH, deskChartHeight-b.SendH, deskChartHeight+deskChartPad-4
		if (len(days)-1-i)%7 == 0 {
			b.TickText = d.Day.Format("2 Jan")
		}
		ch.Bars = append(ch.Bars, b)
	}
	return ch
}
