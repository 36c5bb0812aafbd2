package app

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// Access is a route's role rule. Every route states one explicitly; the route
// table it builds is what the authorization test walks.
type Access struct {
	public bool
	roles  []models.Role // empty and not public: any signed-in staff member
}

// Public routes need no sign-in (newsroom, petitions, unsubscribe, webhooks).
var Public = Access{public: true}

// Staff routes need any signed-in user: everyone signed in may read.
var Staff = Access{}

// Roles limits a route to the given roles; admins are always allowed.
func Roles(rs ...models.Role) Access { return Access{roles: rs} }

// Allows reports whether a user with role r passes the rule.
func (a Access) Allows(r models.Role) bool {
	if a.public || len(a.roles) == 0 || r == models.RoleAdmin {
		return true
	}
	return slices.Contains(a.roles, r)
}

// IsPublic reports whether the route needs no sign-in.
func (a Access) IsPublic() bool { return a.public }

// RouteInfo is one row of the route table.
type RouteInfo struct {
	Method string
	Path   string
	Access Access
	API    bool // answers JSON 401/403 instead of redirecting to the login page
}

// Routes registers handlers on a gin group, attaching and recording each route's
// role rule.
type Routes struct {
	s   *Server
	g   *gin.RouterGroup
	api bool
}

// GET registers a GET route.
func (r Routes) GET(path string, a Access, h gin.HandlerFunc) { r.handle(http.MethodGet, path, a, h) }

// POST registers a POST route.
func (r Routes) POST(path string, a Access, h gin.HandlerFunc) { r.handle(http.MethodPost, path, a, h) }

// PATCH registers a PATCH route.
func (r Routes) PATCH(path string, a Access, h gin.HandlerFunc) {
	r.handle(http.MethodPatch, path, a, h)
}

// DELETE registers a DELETE route.
func (r Routes) DELETE(path string, a Access, h gin.HandlerFunc) {
	r.handle(http.MethodDelete, path, a, h)
}

// Group returns Routes under a sub-path.
func (r Routes) Group(path string) Routes { return Routes{s: r.s, g: r.g.Group(path), api: r.api} }

func (r Routes) handle(method, path string, a Access, h gin.HandlerFunc) {
	full := strings.TrimRight(r.g.BasePath(), "/") + path
	if path == "" {
		full = r.g.BasePath()
	}
	r.s.routes = append(r.s.routes, RouteInfo{Method: method, Path: full, Access: a, API: r.api})
	r.g.Handle(method, path, cachePolicy(a), r.s.enforce(a, r.api), h)
}

// RouteTable lists every registered route with its rule.
func (s *Server) RouteTable() []RouteInfo { return slices.Clone(s.routes) }

// enforce authenticates the caller and applies the rule. Browser routes redirect
// to the login page when nobody is signed in; API routes answer 401. A signed-in
// user whose role the rule excludes gets 403 either way.
func (s *Server) enforce(a Access, api bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		// Every audit event written for this request records its address.
		c.Request = c.Request.WithContext(models.WithAuditIP(c.Request.Context(), c.ClientIP()))
		if a.public {
			c.Next()
			return
		}
		var u *models.User
		if api {
			var tok *models.APIToken
			u, tok = s.apiUser(c)
			if u == nil {
				apiError(c, http.StatusUnauthorized, "unauthorized", "missing, invalid, expired or revoked bearer token", nil)
				c.Abort()
				return
			}
			if msg := tokenRefusal(tok, c); msg != "" {
				apiError(c, http.StatusForbidden, "forbidden", msg, nil)
				c.Abort()
				return
			}
		} else {
			var sess *models.Session
			u, sess = s.session(c)
			if u == nil {
				if c.GetHeader("HX-Request") == "true" {
					c.Header("HX-Redirect", "/login")
					c.AbortWithStatus(http.StatusUnauthorized)
					return
				}
				next := c.Request.URL.Path
				if c.Request.Method != http.MethodGet {
					next = c.Request.Referer()
					if ru, err := url.Parse(next); err == nil {
						next = ru.Path
					}
				}
				c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(next))
				c.Abort()
				return
			}
			c.Set(ctxSession, sess)
		}
		c.Set(ctxUser, u)
		if !api && u.MustChangePassword && !mayUseBeforeOwnPassword(c) {
			s.sendTo(c, "/admin"+changePasswordPath)
			return
		}
		if !api && !mayUseBeforeEnrolment(c) {
			must, err := s.mustEnrol(c, u)
			if err != nil {
				_ = c.Error(err)
				c.Abort()
				return
			}
			if must {
				s.sendTo(c, "/admin"+enrolPath)
				return
			}
		}
		if !a.Allows(u.Role) {
			s.forbidden(c, "Your role ("+u.Role.Label()+") may not do this.")
			c.Abort()
			return
		}
		c.Next()
	}
}

// sendTo redirects a browser (or an htmx request) to a page it must visit
// before any other, and stops the request.
func (s *Server) sendTo(c *gin.Context, to string) {
	if c.GetHeader("HX-Request") == "true" {
		c.Header("HX-Redirect", to)
		c.AbortWithStatus(http.StatusUnauthorized)
		return
	}
	c.Redirect(http.StatusSeeOther, to)
	c.Abort()
}

// mustEnrol reports whether the Settings page's requirement covers the user
// and they have no second factor yet: then every page but enrolment sends
// them to enrol.
func (s *Server) mustEnrol(c *gin.Context, u *models.User) (bool, error) {
	ctx := c.Request.Context()
	req, err := models.TwoFactorRequirement(ctx, s.db.Gorm)
	if err != nil || !models.TwoFactorRequiredFor(req, u.Role) {
		return false, err
	}
	has, err := models.HasSecondFactor(ctx, s.db.Gorm, u.ID)
	return !has, err
}

// mayUseBeforeEnrolment reports whether a request is one a user who must
// enrol a second factor may make first: the enrolment pages and signing out.
func mayUseBeforeEnrolment(c *gin.Context) bool {
	p := c.FullPath()
	return strings.HasPrefix(p, "/admin"+enrolPath) || p == "/logout"
}

// mayUseBeforeOwnPassword reports whether a request is one a user whose
// password someone else chose may make before choosing their own: the
// change-password page itself and signing out.
func mayUseBeforeOwnPassword(c *gin.Context) bool {
	p := c.FullPath()
	return p == "/admin"+changePasswordPath || p == "/logout"
}

const (
	ctxUser    = "pressroom.user"
	ctxSession = "pressroom.session"
)

// currentSession is the session of a signed-in browser request, or nil.
func currentSession(c *gin.Context) *models.Session {
	if v, ok := c.Get(ctxSession); ok {
		return v.(*models.Session)
	}
	return nil
}

// currentUser is the signed-in user of the request, or nil on public routes.
func currentUser(c *gin.Context) *models.User {
	if v, ok := c.Get(ctxUser); ok {
		return v.(*models.User)
	}
	return nil
}
