package app_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"pressroom/models"
)

var routeParam = regexp.MustCompile(`[:*][a-z_]+`)

// concretePath fills a route pattern's parameters with placeholder values.
func concretePath(pattern string) string {
	return routeParam.ReplaceAllStringFunc(pattern, func(p string) string {
		if p == "*file" {
			return "/app.css"
		}
		return "x"
	})
}

// TestAuthorizationTable walks every registered route: without credentials it must
// redirect to login (pages) or answer 401 (API); with each role it must answer 403
// exactly when the route's rule excludes that role.
func TestAuthorizationTable(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		routes := env.server.RouteTable()
		if len(routes) < 20 {
			t.Fatalf("route table has only %d routes", len(routes))
		}
		anon := env.browser()
		browsers := map[models.Role]*browser{}
		tokens := map[models.Role]string{}
		for _, r := range models.Roles {
			browsers[r] = env.login(r)
			tokens[r] = env.token(r)
		}
		for _, rt := range routes {
			path := concretePath(rt.Path)
			if rt.Access.IsPublic() {
				continue
			}
			if rt.Path == "/logout" {
				continue // signs the shared browser out; covered by the login tests
			}
			// Nobody signed in.
			if rt.API {
				if r := env.api(rt.Method, path, "", ""); r.Status != http.StatusUnauthorized {
					t.Errorf("%s %s without token = %d, want 401", rt.Method, rt.Path, r.Status)
				}
			} else {
				var r response
				if rt.Method == http.MethodGet {
					r = anon.get(path)
				} else {
					r = anon.post("/login", path, nil)
				}
				if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
					t.Errorf("%s %s without session = %d %q, want 303 to /login", rt.Method, rt.Path, r.Status, r.Location)
				}
			}
			// Each role.
			for _, role := range models.Roles {
				var r response
				switch {
				case rt.API:
					r = env.api(rt.Method, path, tokens[role], "{}")
				case rt.Method == http.MethodGet:
					r = browsers[role].get(path)
				default:
					r = browsers[role].post("/admin", path, nil)
				}
				allowed := rt.Access.Allows(role)
				if !allowed && r.Status != http.StatusForbidden {
					t.Errorf("%s %s as %s = %d, want 403", rt.Method, rt.Path, role, r.Status)
				}
				if allowed && (r.Status == http.StatusForbidden || r.Status == http.StatusUnauthorized || r.Status >= 500) {
					t.Errorf("%s %s as %s = %d, want it allowed", rt.Method, rt.Path, role, r.Status)
				}
			}
		}
	})
}

// TestPublicRoutesNeedNoSignIn checks the routes marked public answer without
// credentials and never bounce to the login page.
func TestPublicRoutesNeedNoSignIn(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		anon := env.browser()
		for _, rt := range env.server.RouteTable() {
			if !rt.Access.IsPublic() || rt.Method != http.MethodGet {
				continue
			}
			r := anon.get(concretePath(rt.Path))
			if strings.HasPrefix(r.Location, "/login") && rt.Path != "/" {
				t.Errorf("public %s redirects to login", rt.Path)
			}
			if r.Status >= 500 {
				t.Errorf("public %s = %d", rt.Path, r.Status)
			}
		}
	})
}
