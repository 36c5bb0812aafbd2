package app

import (
	"bytes"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// apiErrorBody is the API's error shape (API.md).
type apiErrorBody struct {
	Error apiErrorDetail `json:"error"`
}

type apiErrorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// apiError answers an API error. Like error pages it is never stored: a cached
// 404 would outlive the embargo lift that makes the release exist.
func apiError(c *gin.Context, status int, code, msg string, fields map[string]string) {
	noStore(c)
	c.JSON(status, apiErrorBody{Error: apiErrorDetail{Code: code, Message: msg, Fields: fields}})
}

func isAPI(c *gin.Context) bool { return strings.HasPrefix(c.Request.URL.Path, "/api/") }

// forbidden answers 403 as JSON or as a page.
func (s *Server) forbidden(c *gin.Context, msg string) {
	if isAPI(c) {
		apiError(c, http.StatusForbidden, "forbidden", msg, nil)
		return
	}
	s.errorPage(c, http.StatusForbidden, "Not allowed", msg)
}

// errorPage renders an error page; no cache may keep it (see apiError).
func (s *Server) errorPage(c *gin.Context, status int, title, msg string) {
	noStore(c)
	v := s.page(c, title, "", map[string]string{"Message": msg})
	name := "public/error"
	if currentUser(c) != nil {
		name = "admin/error"
	}
	var buf bytes.Buffer
	if err := s.renderer.Render(&buf, name, v); err != nil {
		s.logger.ErrorContext(c.Request.Context(), "error page", "err", err)
		c.String(status, "%s: %s", title, msg)
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// handleErrors is the one place unexpected errors turn into responses: handlers
// call c.Error(err) and return. Domain errors map onto their statuses; anything
// else is logged with the request id and shown as a plain 500, never a trace.
func (s *Server) handleErrors(c *gin.Context) {
	c.Next()
	if len(c.Errors) == 0 || c.Writer.Written() {
		return
	}
	err := c.Errors.Last().Err
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		if isAPI(c) {
			apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", ve.Fields)
			return
		}
		s.errorPage(c, http.StatusUnprocessableEntity, "Please check your input", ve.Error())
	case errors.Is(err, models.ErrNotFound):
		if isAPI(c) {
			apiError(c, http.StatusNotFound, "not_found", "no such resource", nil)
			return
		}
		s.errorPage(c, http.StatusNotFound, "Not found", "There is nothing at this address.")
	case errors.Is(err, models.ErrForbidden):
		s.forbidden(c, forbiddenMessage(err))
	case errors.Is(err, models.ErrConflict):
		if isAPI(c) {
			apiError(c, http.StatusConflict, "conflict", conflictMessage(err), nil)
			return
		}
		s.errorPage(c, http.StatusConflict, "Conflict", conflictMessage(err))
	default:
		s.logger.ErrorContext(c.Request.Context(), "request failed", "err", err, "request_id", c.GetString(ctxRequestID), "path", c.Request.URL.Path)
		if isAPI(c) {
			apiError(c, http.StatusInternalServerError, "internal", "something went wrong; the error was logged with request id "+c.GetString(ctxRequestID), nil)
			return
		}
		s.errorPage(c, http.StatusInternalServerError, "Something went wrong", "The error was logged (request id "+c.GetString(ctxRequestID)+"). Nothing you typed was saved; go back and try again.")
	}
}

// forbiddenMessage is the rule that refused, without the call chain ("your
// role may not edit this kind of document"), or a general line.
func forbiddenMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "forbidden: "); i >= 0 && i+len("forbidden: ") < len(msg) {
		msg = msg[i+len("forbidden: "):]
		return strings.ToUpper(msg[:1]) + msg[1:] + "."
	}
	return "You may not do this."
}

// conflictMessage strips wrapping prefixes so people read the reason, not the
// call chain.
func conflictMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "conflict: "); i >= 0 {
		return msg[i+len("conflict: "):]
	}
	return msg
}
