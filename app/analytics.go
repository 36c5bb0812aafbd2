package app

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// AnalyticsHandler serves the campaign and petition figures as CSV; the
// pages themselves render them with the "analytics" partial.
type AnalyticsHandler struct {
	s *Server
}

// Register adds the CSV downloads of every analytics series. The figures are
// counts, nothing personal: every signed-in user may read them.
func (h *AnalyticsHandler) Register(r Routes) {
	r.GET("/campaigns/:id/analytics.csv", Staff, h.campaignCSV)
	r.GET("/petitions/:id/analytics.csv", Staff, h.petitionCSV)
	r.GET("/releases/:id/analytics.csv", Staff, h.actionCSV)
}

func (h *AnalyticsHandler) actionCSV(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := models.DocumentByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	if d.Kind != models.KindActionAlert {
		h.s.errorPage(c, http.StatusNotFound, "No analytics", "Only action alerts have letters and analytics; a press release's campaign page has them.")
		return
	}
	a, err := models.ActionAnalytics(ctx, h.s.db.Gorm, d)
	if err != nil {
		_ = c.Error(err)
		return
	}
	name := "action"
	if d.Slug != nil {
		name = "action-" + *d.Slug
	}
	writeAnalyticsCSV(c, name, a)
}

func (h *AnalyticsHandler) campaignCSV(c *gin.Context) {
	ctx := c.Request.Context()
	cp, err := models.CampaignByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	a, err := models.CampaignAnalytics(ctx, h.s.db.Gorm, cp.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	writeAnalyticsCSV(c, "campaign-"+cp.Slug, a)
}

func (h *AnalyticsHandler) petitionCSV(c *gin.Context) {
	ctx := c.Request.Context()
	p, err := models.PetitionByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	a, err := models.PetitionAnalytics(ctx, h.s.db.Gorm, p)
	if err != nil {
		_ = c.Error(err)
		return
	}
	writeAnalyticsCSV(c, "petition-"+p.Slug, a)
}

// writeAnalyticsCSV writes every series in one file, one row per point, the
// first column naming the series: over_time (UTC buckets), by_country and
// by_send. Headlines and names are neutralised (models.NewCSVWriter): a
// spreadsheet never runs them as formulas.
func writeAnalyticsCSV(c *gin.Context, name string, a *models.Analytics) {
	var buf bytes.Buffer
	w := models.NewCSVWriter(&buf)
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	rows := [][]string{{"series", "key", "label", "signatures", "letters", "recipients", "delivered", "opened", "clicked"}}
	for _, p := range a.Series {
		key := p.At.UTC().Format("2006-01-02")
		if a.Granularity == models.ByHour {
			key = p.At.UTC().Format("2006-01-02T15:00Z")
		}
		rows = append(rows, []string{"over_time", key, a.Granularity, i64(p.Signatures), i64(p.Letters), "", "", "", ""})
	}
	for _, cr := range a.ByCountry {
		rows = append(rows, []string{"by_country", cr.Code, cr.Name, i64(cr.Signatures), i64(cr.Letters), "", "", "", ""})
	}
	for _, s := range a.Sends {
		rows = append(rows, []string{"by_send", s.ID, s.Headline, i64(s.Signatures), i64(s.Letters),
			strconv.Itoa(s.Recipients), strconv.Itoa(s.Delivered), strconv.Itoa(s.Opened), strconv.Itoa(s.Clicked)})
	}
	if err := w.WriteAll(rows); err != nil {
		_ = c.Error(err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+`-analytics.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// analyticsView is what the "analytics" partial shows: the chart, the
// country table and the per-send table, with the CSV link.
type analyticsView struct {
	A      *models.Analytics
	Chart  svgChart
	CSVURL string
	// HasLetters shows the letters columns once any letter counts.
	HasLetters bool
}

func newAnalyticsView(a *models.Analytics, csvURL string, loc *time.Location) analyticsView {
	v := analyticsView{A: a, CSVURL: csvURL, HasLetters: a.Letters > 0}
	v.Chart = buildChart(a, loc)
	return v
}

// svgChart is a cumulative line chart drawn by the server as SVG: no script,
// no library, readable with images off (its title and description say what it
// shows, and the CSV holds the numbers).
type svgChart struct {
	Width, Height int
	// The plot area inside the axes.
	Left, Top, Right, Bottom int
	Title, Desc              string
	Lines                    []chartLine
	XTicks, YTicks           []chartTick
	Empty                    bool
}

type chartLine struct {
	Label  string
	Class  string
	Points string // the polyline's points attribute
	Last   chartTick
	Total  int64
}

type chartTick struct {
	X, Y  float64
	Label string
}

// buildChart plots the running totals of signatures (and letters) over the
// series' buckets.
func buildChart(a *models.Analytics, loc *time.Location) svgChart {
	ch := svgChart{Width: 720, Height: 260, Left: 56, Top: 16, Right: 704, Bottom: 224}
	n := len(a.Series)
	if n == 0 {
		ch.Empty = true
		ch.Title = "No confirmed signatures yet"
		ch.Desc = "The chart of signatures over time appears with the first confirmed signature."
		return ch
	}
	var sig, let []int64
	var ts, tl int64
	for _, p := range a.Series {
		ts += p.Signatures
		tl += p.Letters
		sig = append(sig, ts)
		let = append(let, tl)
	}
	max := ts
	if tl > max {
		max = tl
	}
	top := niceCeil(max)
	x := func(i int) float64 {
		if n == 1 {
			return float64(ch.Left+ch.Right) / 2
		}
		return float64(ch.Left) + float64(i)*float64(ch.Right-ch.Left)/float64(n-1)
	}
	y := func(v int64) float64 {
		return float64(ch.Bottom) - float64(v)*float64(ch.Bottom-ch.Top)/float64(top)
	}
	line := func(label, class string, vals []int64, total int64) chartLine {
		pts := make([]string, len(vals))
		for i, v := range vals {
			pts[i] = fmt.Sprintf("%.1f,%.1f", x(i), y(v))
		}
		if len(vals) == 1 { // one bucket: a short flat segment so the point shows
			pts = []string{fmt.Sprintf("%.1f,%.1f", x(0)-6, y(vals[0])), fmt.Sprintf("%.1f,%.1f", x(0)+6, y(vals[0]))}
		}
		return chartLine{Label: label, Class: class, Points: strings.Join(pts, " "), Total: total,
			Last: chartTick{X: x(len(vals) - 1), Y: y(vals[len(vals)-1]), Label: strconv.FormatInt(total, 10)}}
	}
	ch.Lines = append(ch.Lines, line("Signatures", "chart-signatures", sig, ts))
	if tl > 0 {
		ch.Lines = append(ch.Lines, line("Letters", "chart-letters", let, tl))
	}
	for _, v := range []int64{0, top / 2, top} {
		ch.YTicks = append(ch.YTicks, chartTick{X: float64(ch.Left - 6), Y: y(v), Label: strconv.FormatInt(v, 10)})
	}
	format := "2 Jan"
	if a.Granularity == models.ByHour {
		format = "2 Jan 15:00"
	}
	for _, i := range tickIndexes(n, 5) {
		ch.XTicks = append(ch.XTicks, chartTick{X: x(i), Y: float64(ch.Bottom + 18), Label: a.Series[i].At.In(loc).Format(format)})
	}
	first, last := a.Series[0].At.In(loc), a.Series[n-1].At.In(loc)
	ch.Title = fmt.Sprintf("Confirmed signatures over time: %d in all", ts)
	if tl > 0 {
		ch.Title += fmt.Sprintf(", and %d letters", tl)
	}
	unit := "day"
	if a.Granularity == models.ByHour {
		unit = "hour"
	}
	ch.Desc = fmt.Sprintf("Running total by %s from %s to %s (%s).", unit, first.Format("2 January 2006 15:04"), last.Format("2 January 2006 15:04"), loc.String())
	return ch
}

// niceCeil rounds a maximum up to 1, 2 or 5 times a power of ten, so the
// axis reads in round numbers.
func niceCeil(v int64) int64 {
	if v <= 1 {
		return 1
	}
	p := int64(math.Pow(10, math.Floor(math.Log10(float64(v)))))
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= v {
			if m*p%2 != 0 && m*p > 1 { // keep the halfway tick whole
				continue
			}
			return m * p
		}
	}
	return 10 * p
}

// tickIndexes picks at most k evenly spread indexes of n points, first and
// last included.
func tickIndexes(n, k int) []int {
	if n <= k {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, 0, k)
	for j := 0; j < k; j++ {
		out = append(out, j*(n-1)/(k-1))
	}
	return out
}
