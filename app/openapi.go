package app

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDocument is the OpenAPI 3 description of the whole JSON API
// (API.md). Its server URL is the placeholder below, filled in with BASE_URL
// when the handler is registered.
//
// Keep it in step with the code: TestOpenAPIDocumentsEveryRoute fails, naming
// the route, when a route registered under /api/v1 (or /webhooks/) is missing
// from its paths, when it documents a route that does not exist, or when an
// operation's security and x-roles disagree with the route's Access rule; and
// TestOpenAPIMatchesResponses validates real answers against its schemas. So an
// endpoint, field or role change is documented here in the same change.
//
//go:embed openapi.json
var openAPIDocument []byte

const openAPIServerPlaceholder = `"__BASE_URL__"`

// OpenAPIHandler serves the API description.
type OpenAPIHandler struct {
	s *Server
}

// Register adds GET /api/v1/openapi.json.
func (h *OpenAPIHandler) Register(r Routes) {
	base, _ := json.Marshal(h.s.cfg.BaseURL.String())
	doc := bytes.Replace(openAPIDocument, []byte(openAPIServerPlaceholder), base, 1)
	r.GET("/openapi.json", Public, func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		c.Data(http.StatusOK, "application/json", doc)
	})
}
