package app

import (
	"errors"
	"net/http"
	"net/url"

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
	Token string
	// Action is where the page's forms post: the link itself, with the send
	// it came in.
	Action string
	// Lists are the lists of the email's send the supporter is on, which the
	// first button leaves; none for a link without its send.
	Lists []models.SupporterList
	// Left is set when the email's send went to lists the supporter is no
	// longer on (ListNames names them): they left already.
	Left       bool
	ListNames  string
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
	p, err := h.view(c, sup)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p.Chosen, p.Frequency, p.Done = models.ListItems(sup.Topics), sup.Frequency, c.Query("done")
	h.s.render(c, http.StatusOK, "public/unsubscribe", h.s.page(c, "Your email preferences", "", p))
}

// view is the page of a supporter's link: the lists of the email's send they
// are on (c's "send" query), which its first button leaves, or, once they
// have left them, the send's lists they left.
func (h *UnsubscribeHandler) view(c *gin.Context, sup *models.Supporter) (unsubscribePage, error) {
	p := unsubscribePage{Token: c.Param("token"), Action: "/u/" + c.Param("token"), Supporter: sup, Topics: models.PreferenceTopics(), Frequences: models.Frequencies()}
	send := c.Query("send")
	if send == "" {
		return p, nil
	}
	p.Action += "?send=" + url.QueryEscape(send)
	ctx := c.Request.Context()
	ls, err := models.SendListsOfSupporter(ctx, h.s.db.Gorm, send, sup.ID)
	if err == nil && len(ls) == 0 {
		ls, err = models.SendLists(ctx, h.s.db.Gorm, send)
		p.Left = len(ls) > 0
	} else {
		p.Lists = ls
	}
	if err != nil {
		return p, err
	}
	p.ListNames = models.ListNames(ls)
	return p, nil
}

func (h *UnsubscribeHandler) post(c *gin.Context) {
	ctx := c.Request.Context()
	sup := h.supporter(c)
	if sup == nil {
		return
	}
	p, err := h.view(c, sup)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if c.PostForm("List-Unsubscribe") == "One-Click" {
		// RFC 8058: the lists of the email's send when its link names one
		// that went to lists (a client's retry, once they are off, changes
		// nothing), else every email.
		if len(p.Lists) > 0 || p.Left {
			if err := models.LeaveLists(ctx, h.s.db.Gorm, sup.ID, p.Lists, "one_click", c.ClientIP()); err != nil {
				_ = c.Error(err)
				return
			}
			c.String(http.StatusOK, "Unsubscribed from %s.\n", p.ListNames)
			return
		}
		if err := models.Unsubscribe(ctx, h.s.db.Gorm, sup.ID, "one_click", c.ClientIP()); err != nil {
			_ = c.Error(err)
			return
		}
		c.String(http.StatusOK, "Unsubscribed.\n")
		return
	}
	switch c.PostForm("action") {
	case "leave":
		if len(p.Lists) == 0 {
			redirect(c, p.Action) // off them already, or a link without its send
			return
		}
		if err := models.LeaveLists(ctx, h.s.db.Gorm, sup.ID, p.Lists, "unsubscribe_page", c.ClientIP()); err != nil {
			_ = c.Error(err)
			return
		}
		redirect(c, p.Action) // the page now says they left
	case "preferences":
		err := models.UpdatePreferences(ctx, h.s.db.Gorm, sup.ID, c.PostFormArray("topics"), c.PostForm("frequency"), c.ClientIP())
		var ve *models.ValidationError
		if errors.As(err, &ve) {
			p.Chosen, p.Frequency = c.PostFormArray("topics"), c.PostForm("frequency")
			v := h.s.page(c, "Your email preferences", "", p)
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
