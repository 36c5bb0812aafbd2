package app

import (
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// APIHandler serves the JSON API v1 endpoints that belong to no feature area.
type APIHandler struct {
	s *Server
}

// Register adds /api/v1/me.
func (h *APIHandler) Register(r Routes) {
	r.GET("/me", Staff, h.me)
}

type meResponse struct {
	ID     string   `json:"id"`
	Email  string   `json:"email"`
	Name   string   `json:"name"`
	Role   string   `json:"role"`
	Groups []string `json:"groups"`
}

func (h *APIHandler) me(c *gin.Context) {
	u := currentUser(c)
	c.JSON(http.StatusOK, meResponse{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Groups: u.GroupNames()})
}

// listPage is the API's list envelope.
type listPage[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// pageParams reads ?limit= (default 50, max 500) and ?cursor= (opaque: the
// base64 of the last key seen). A malformed value is a 400 with a clear message.
func pageParams(c *gin.Context) (limit int, after string, ok bool) {
	limit = 50
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			apiError(c, http.StatusBadRequest, "validation_failed", "limit must be a number from 1 to 500", map[string]string{"limit": "must be 1 to 500"})
			return 0, "", false
		}
		limit = n
	}
	if cur := c.Query("cursor"); cur != "" {
		b, err := base64.RawURLEncoding.DecodeString(cur)
		if err != nil {
			apiError(c, http.StatusBadRequest, "validation_failed", "cursor is not one this API issued", map[string]string{"cursor": "is invalid"})
			return 0, "", false
		}
		after = string(b)
	}
	return limit, after, true
}

// nextCursor encodes the key of the last item of a full page.
func nextCursor(key string) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte(key))
	return &s
}
