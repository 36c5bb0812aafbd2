package app

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"

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

// Cursor bounds. A cursor is the base64 of the last key seen (an id, an
// address) or, on offset-paged lists, of an offset. Nothing this API issues
// holds a NUL byte, broken UTF-8 or more than maxCursorKey bytes, nor an offset
// past maxCursorOffset (which keeps offset+limit far from overflowing and inside
// every engine's integer range), so such a cursor is refused before it reaches a
// query.
const (
	maxCursorKey    = 1024
	maxCursorOffset = math.MaxInt32
)

// badCursor answers 400 validation_failed naming the cursor field.
func badCursor(c *gin.Context) {
	apiError(c, http.StatusBadRequest, "validation_failed", "cursor is not one this API issued", map[string]string{"cursor": "is invalid"})
}

// pageParams reads ?limit= (default 50, max 500) and ?cursor= (opaque: the
// base64 of the last key seen). A malformed value is a 400 with a clear message.
// It is the one place API list cursors are parsed; offset-paged lists then call
// pageOffset.
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
		if err != nil || len(b) > maxCursorKey || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			badCursor(c)
			return 0, "", false
		}
		after = string(b)
	}
	return limit, after, true
}

// pageOffset reads the offset of an offset-paged list from the cursor
// pageParams decoded: 0 without one, 400 validation_failed for anything but a
// plain number from 0 to maxCursorOffset.
func pageOffset(c *gin.Context, after string) (int, bool) {
	if after == "" {
		return 0, true
	}
	n, err := strconv.Atoi(after)
	if err != nil || n < 0 || n > maxCursorOffset || strconv.Itoa(n) != after {
		badCursor(c)
		return 0, false
	}
	return n, true
}

// nextCursor encodes the key of the last item of a full page.
func nextCursor(key string) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte(key))
	return &s
}
