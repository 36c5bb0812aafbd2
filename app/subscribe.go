package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// SubscribeHandler is the public double opt-in: a form and a JSON endpoint
// create a pending supporter and email a confirmation link; following the link
// subscribes them. Both are rate-limited per IP.
type SubscribeHandler struct {
	s *Server
}

// Register adds the public pages.
func (h *SubscribeHandler) Register(r Routes) {
	r.GET("/subscribe", Public, h.form)
	r.POST("/subscribe", Public, h.submit)
	r.GET("/subscribe/thanks", Public, h.thanks)
	r.GET("/subscribe/confirm/:token", Public, h.confirmPage)
	r.POST("/subscribe/confirm/:token", Public, h.confirm)
}

// RegisterAPI adds POST /api/v1/public/subscribe.
func (h *SubscribeHandler) RegisterAPI(r Routes) {
	r.POST("/public/subscribe", Public, h.apiSubscribe)
}

// subscribeForm is what the public form posts.
type subscribeForm struct {
	Email   string
	Name    string
	Country string
	ListID  string
	Consent bool // the box was ticked: kept ticked when the form comes back
}

type subscribePage struct {
	Form    subscribeForm
	Wording string
	Version string
	State   string // "", "thanks", "confirm", "confirmed"
	Token   string // the link's token, on the confirm page
}

func (h *SubscribeHandler) renderForm(c *gin.Context, status int, form subscribeForm, errs map[string]string) {
	v := h.s.page(c, "Get our alerts", "", subscribePage{Form: form, Wording: models.ConsentWording, Version: models.ConsentWordingVersion})
	v.Errors = errs
	h.s.render(c, status, "public/subscribe", v)
}

func (h *SubscribeHandler) form(c *gin.Context) {
	h.renderForm(c, http.StatusOK, subscribeForm{ListID: c.Query("list")}, nil)
}

// allow applies the per-IP limit on subscribe requests, answering 429 itself
// when it is exceeded.
func (h *SubscribeHandler) allow(c *gin.Context) bool {
	ok, wait := h.s.publicLimiter.Allow("subscribe:" + c.ClientIP())
	if ok {
		return true
	}
	c.Header("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
	if isAPI(c) {
		apiError(c, http.StatusTooManyRequests, "rate_limited", "too many requests from this address; try again later", nil)
	} else {
		h.s.errorPage(c, http.StatusTooManyRequests, "Too many requests", "Please wait a few minutes and try again.")
	}
	return false
}

// subscribe runs double opt-in in one transaction: the pending supporter, the
// consent record, the token and the confirmation email job commit together.
func (h *SubscribeHandler) subscribe(c *gin.Context, form subscribeForm, source string) error {
	ctx := c.Request.Context()
	return models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		res, err := models.RequestSubscription(ctx, tx, models.SubscribeInput{Email: form.Email, Name: form.Name, Country: form.Country,
			ListID: form.ListID, Source: source, IP: c.ClientIP()})
		if err != nil || res.Token == "" {
			return err
		}
		return jobs.EnqueueTx(ctx, h.s.jobs, tx, jobs.DeliverMailArgs{Batch: h.confirmationMail(res.Supporter, res.Token), Purpose: "confirm"}, nil)
	})
}

// confirmationMail builds the double opt-in email.
func (h *SubscribeHandler) confirmationMail(sup *models.Supporter, token string) jobs.Batch {
	link := h.s.cfg.URL("/subscribe/confirm/" + token)
	greeting := "Hello,"
	if sup.Name != "" {
		greeting = "Hello " + sup.Name + ","
	}
	text := greeting + "\n\nPlease confirm that you want to receive our emails: open this link and press the button.\n\n" + link +
		"\n\nIf you did not ask to subscribe, ignore this email and you will hear nothing more from us.\n"
	body := "<p>" + html.EscapeString(greeting) + "</p><p>Please confirm that you want to receive our emails:</p>" +
		`<p><a href="` + html.EscapeString(link) + `">Yes, subscribe me</a></p>` +
		"<p>If you did not ask to subscribe, ignore this email and you will hear nothing more from us.</p>"
	from := jobs.Address{Email: h.s.cfg.MailFrom.Address, Name: h.s.cfg.MailFrom.Name}
	return jobs.Batch{From: from, Subject: "Please confirm your subscription", Text: text, HTML: body, Categories: []string{"confirm"},
		Recipients: []jobs.Recipient{{To: jobs.Address{Email: sup.Address(), Name: sup.Name}}}}
}

func (h *SubscribeHandler) submit(c *gin.Context) {
	form := subscribeForm{Email: c.PostForm("email"), Name: c.PostForm("name"), Country: c.PostForm("country"), ListID: c.PostForm("list_id"),
		Consent: c.PostForm("consent") == "yes"}
	if !h.allow(c) {
		return
	}
	// Every problem at once: the consent box and the fields together.
	in := models.SubscribeInput{Email: form.Email, Name: form.Name, Country: form.Country}
	errs := models.CheckSubscribeInput(&in)
	if !form.Consent {
		errs.Add("consent", "is required")
	}
	if errs.Err() != nil {
		h.renderForm(c, http.StatusUnprocessableEntity, form, errs.Fields)
		return
	}
	err := h.subscribe(c, form, "subscribe_form")
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		h.renderForm(c, http.StatusUnprocessableEntity, form, ve.Fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	redirect(c, "/subscribe/thanks")
}

func (h *SubscribeHandler) thanks(c *gin.Context) {
	h.s.render(c, http.StatusOK, "public/subscribe", h.s.page(c, "Check your email", "", subscribePage{State: "thanks"}))
}

type subscribeRequest struct {
	Email   string `json:"email"`
	Name    string `json:"name"`
	Country string `json:"country"`
	ListID  string `json:"list_id"`
}

func (h *SubscribeHandler) apiSubscribe(c *gin.Context) {
	if !h.allow(c) {
		return
	}
	var req subscribeRequest
	if err := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 16<<10)).Decode(&req); err != nil {
		apiError(c, http.StatusBadRequest, "bad_request", "the body must be a JSON object", nil)
		return
	}
	err := h.subscribe(c, subscribeForm{Email: req.Email, Name: req.Name, Country: req.Country, ListID: req.ListID}, "api")
	if err != nil {
		apiFail(c, err)
		return
	}
	// The same answer whether the address was new, pending or already subscribed.
	c.JSON(http.StatusAccepted, gin.H{"status": "confirmation_sent"})
}

// confirmPage shows the link's one "Confirm" button and changes nothing: mail
// security scanners fetch every link in a message, so a GET must not subscribe
// anyone.
func (h *SubscribeHandler) confirmPage(c *gin.Context) {
	ok, _ := h.s.publicLimiter.Allow("token:" + c.ClientIP())
	if !ok {
		h.s.errorPage(c, http.StatusTooManyRequests, "Too many requests", "Please wait a few minutes and try again.")
		return
	}
	token := strings.TrimSpace(c.Param("token"))
	sup, confirmed, err := models.SubscriptionByToken(c.Request.Context(), h.s.db.Gorm, token, h.s.clock.Now())
	if errors.Is(err, models.ErrNotFound) {
		h.s.errorPage(c, http.StatusNotFound, "Link expired", "This confirmation link is not valid any more. Subscribe again to get a new one.")
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := subscribePage{State: "confirm", Token: token, Form: subscribeForm{Email: sup.Address()}}
	title := "Confirm your subscription"
	if confirmed {
		p.State, title = "confirmed", "You are subscribed"
	}
	v := h.s.page(c, title, "", p)
	v.NoIndex = true
	h.s.render(c, http.StatusOK, "public/subscribe", v)
}

// confirm subscribes: the POST of the confirm page's button.
func (h *SubscribeHandler) confirm(c *gin.Context) {
	ok, _ := h.s.publicLimiter.Allow("token:" + c.ClientIP())
	if !ok {
		h.s.errorPage(c, http.StatusTooManyRequests, "Too many requests", "Please wait a few minutes and try again.")
		return
	}
	sup, err := models.ConfirmSubscription(c.Request.Context(), h.s.db.Gorm, strings.TrimSpace(c.Param("token")), c.ClientIP())
	if errors.Is(err, models.ErrNotFound) {
		h.s.errorPage(c, http.StatusNotFound, "Link expired", "This confirmation link is not valid any more. Subscribe again to get a new one.")
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := subscribePage{State: "confirmed", Form: subscribeForm{Email: sup.Address()}}
	h.s.render(c, http.StatusOK, "public/subscribe", h.s.page(c, "You are subscribed", "", p))
}
