package app

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// apiAreas maps the JSON API to token areas by path prefix under /api/v1: the
// one table a scoped token is checked against, and the one the authorization
// test walks (every staff API route must be in it). A prefix matches whole
// path segments, so /media does not take /media-lists.
var apiAreas = []struct{ Prefix, Area string }{
	{"/api/v1/me", ""}, // who the token is: in no area, open to every token
	{"/api/v1/releases", models.AreaReleases},
	{"/api/v1/media", models.AreaReleases},
	{"/api/v1/media-lists", models.AreaAudiences},
	{"/api/v1/supporter-lists", models.AreaAudiences},
	{"/api/v1/contacts", models.AreaAudiences},
	{"/api/v1/supporters", models.AreaAudiences},
	{"/api/v1/segments", models.AreaAudiences},
	{"/api/v1/suppressions", models.AreaAudiences},
	{"/api/v1/imports", models.AreaAudiences},
	{"/api/v1/sends", models.AreaSends},
	{"/api/v1/petitions", models.AreaPetitions},
	{"/api/v1/invalidations", models.AreaPetitions},
	{"/api/v1/targets", models.AreaActions},
	{"/api/v1/actions", models.AreaActions},
	{"/api/v1/campaigns", models.AreaActions},
}

// apiAreaUnmapped is the area of a route missing from apiAreas: no token
// limited to areas reaches it (fail closed) and the authorization test fails.
const apiAreaUnmapped = "unmapped"

// APIArea is the token area of an API route pattern (as gin writes it), or
// "unmapped".
func APIArea(route string) string {
	best, area := "", apiAreaUnmapped
	for _, a := range apiAreas {
		if (route == a.Prefix || strings.HasPrefix(route, a.Prefix+"/")) && len(a.Prefix) > len(best) {
			best, area = a.Prefix, a.Area
		}
	}
	return area
}

// isWrite reports whether a request may change something: anything but a
// read. A read token gets 403 on every one.
func isWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// tokenRefusal is why a token's scopes refuse a request, in words for the
// script's author, or "" when they allow it.
func tokenRefusal(t *models.APIToken, c *gin.Context) string {
	area, write := APIArea(c.FullPath()), isWrite(c.Request.Method)
	if t.Allows(area, write) {
		return ""
	}
	if write && !t.CanWrite() {
		return "this token is read-only (scope read): it cannot change anything"
	}
	return "this token is limited to " + strings.Join(t.Areas(), ", ") + "; this endpoint is not in those areas"
}
