package app

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// UnsubscribeHandler serves the per-recipient unsubscribe and preferences page
// at /u/{token}. The token is derived by HMAC from the supporter id (see
// models.UnsubscribeToken), so every email can carry it without a lookup.
//
// POST /u/{token} with the body List-Unsubscribe=One-Click is RFC 8058 one-click
// unsubscribe: mail providers send it without cookies, so the CSRF middleware
// exempts exactly that body, and it is idempotent. The page's own forms post
// with a CSRF token as usual.
type UnsubscribeHandler struct {
	s *Server
}

// Register adds the public routes.
func (h *UnsubscribeHandler) Register(r Routes) {
	r.GET("/u/:token", Public, h.page)
	r.POST("/u/:token", Public, h.post)
}

type unsubscribePage struct {
	Token      string
	Supporter  *models.Supporter
	Topics     []models.Topic
	Chosen     []string
	Frequency  string
	Frequences []string
	Done       string
}

// supporter resolves the token, answering 404 itself when it is not valid.
func (h *UnsubscribeHandler) supporter(c *gin.Context) *models.Supporter {
	if c.Param("token") == models.TestUnsubscribeToken {
		h.testMessage(c)
		return nil
	}
	if id, ok := models.ContactIDFromUnsubscribeToken(h.s.cfg.UnsubscribeKeys(), c.Param("token")); ok {
		h.contact(c, id)
		return nil
	}
	id, ok := models.SupporterIDFromUnsubscribeToken(h.s.cfg.UnsubscribeKeys(), c.Param("token"))
	if ok {
		sup, err := models.SupporterByID(c.Request.Context(), h.s.db.Gorm, id)
		if err == nil {
			return sup
		}
		if !errors.Is(err, models.ErrNotFound) {
			_ = c.Error(err)
			return nil
		}
	}
	h.s.errorPage(c, http.StatusNotFound, "Link not valid", "This unsubscribe link is not valid. If you keep receiving our emails, reply to one and we will remove you.")
	return nil
}

func (h *UnsubscribeHandler) page(c *gin.Context) {
	sup := h.supporter(c)
	if sup == nil {
		return
	}
	p := unsubscribePage{Token: c.Param("token"), Supporter: sup, Topics: models.PreferenceTopics(), Chosen: models.ListItems(sup.Topics),
		Frequency: sup.Frequency, Frequences: models.Frequencies(), Done: c.Query("done")}
	h.s.render(c, http.StatusOK, "public/unsubscribe", h.s.page(c, "Your email preferences", "", p))
}

func (h *UnsubscribeHandler) post(c *gin.Context) {
	ctx := c.Request.Context()
	sup := h.supporter(c)
	if sup == nil {
		return
	}
	if c.PostForm("List-Unsubscribe") == "One-Click" {
		if err := models.Unsubscribe(ctx, h.s.db.Gorm, sup.ID, "one_click", c.ClientIP()); err != nil {
			_ = c.Error(err)
			return
		}
		c.String(http.StatusOK, "Unsubscribed.\n")
		return
	}
	switch c.PostForm("action") {
	case "preferences":
		err := models.UpdatePreferences(ctx, h.s.db.Gorm, sup.ID, c.PostFormArray("topics"), c.PostForm("frequency"), c.ClientIP())
		var ve *models.ValidationError
		if errors.As(err, &ve) {
			v := h.s.page(c, "Your email preferences", "", unsubscribePage{Token: c.Param("token"), Supporter: sup, Topics: models.PreferenceTopics(),
				Chosen: c.PostFormArray("topics"), Frequency: c.PostForm("frequency"), Frequences: models.Frequencies()})
			v.Errors = ve.Fields
			h.s.render(c, http.StatusUnprocessableEntity, "public/unsubscribe", v)
			return
		}
		if err != nil {
			_ = c.Error(err)
			return
		}
		redirect(c, "/u/"+c.Param("token")+"?done=saved")
	default:
		if err := models.Unsubscribe(ctx, h.s.db.Gorm, sup.ID, "preferences_page", c.ClientIP()); err != nil {
			_ = c.Error(err)
			return
		}
		redirect(c, "/u/"+c.Param("token")+"?done=unsubscribed")
	}
}

// testMessage answers the unsubscribe link of a test of a send, for the page
// and for one-click alike: it changes nothing, since whoever reads a test is
// not the audience member it was rendered as.
func (h *UnsubscribeHandler) testMessage(c *gin.Context) {
	noStore(c)
	if c.Request.Method == http.MethodPost && c.PostForm("List-Unsubscribe") == "One-Click" {
		c.String(http.StatusOK, "This was a test message: nobody was unsubscribed.\n")
		return
	}
	v := h.s.page(c, "This was a test message", "", map[string]string{"Message": "This link is in a test of a mailing. In the real mailing it unsubscribes the reader; here it does nothing, and nobody was unsubscribed."})
	v.NoIndex = true
	h.s.render(c, http.StatusOK, "public/error", v)
}

// contact serves a journalist's unsubscribe link: the page's button and
// RFC 8058 one-click both stop our press releases (a suppression every send
// honours, and leaving the newsroom subscribers' list); a GET changes
// nothing.
func (h *UnsubscribeHandler) contact(c *gin.Context, id string) {
	ctx := c.Request.Context()
	ct, err := models.ContactByID(ctx, h.s.db.Gorm, id)
	if errors.Is(err, models.ErrNotFound) {
		h.s.errorPage(c, http.StatusNotFound, "Link not valid", "This unsubscribe link is not valid. If you keep receiving our emails, reply to one and we will remove you.")
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	noStore(c)
	if c.Request.Method == http.MethodPost {
		source := "contact_page"
		if c.PostForm("List-Unsubscribe") == "One-Click" {
			source = "one_click"
		}
		if err := models.UnsubscribeContact(ctx, h.s.db.Gorm, ct.ID, source, c.ClientIP()); err != nil {
			_ = c.Error(err)
			return
		}
		if source == "one_click" {
			c.String(http.StatusOK, "Unsubscribed.\n")
			return
		}
		redirect(c, "/u/"+c.Param("token")+"?done=unsubscribed")
		return
	}
	v := h.s.page(c, "Stop our press releases", "", contactUnsubscribePage{Token: c.Param("token"), Email: ct.Email, Done: c.Query("done") == "unsubscribed"})
	v.NoIndex = true
	h.s.render(c, http.StatusOK, "public/contact_unsubscribe", v)
}

type contactUnsubscribePage struct {
	Token, Email string
	Done         bool
}
