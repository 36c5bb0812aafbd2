package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"pressroom/app"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

// openAPI is the served API description, decoded, with a small validator for
// the JSON-schema subset it uses: type (with nullable), required, properties,
// additionalProperties, items, enum, format date-time, allOf/oneOf/anyOf and
// $ref within the document.
type openAPI struct {
	doc map[string]any
}

// decodeJSON decodes with json.Number so integers and numbers can be told apart.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

// resolve follows a local JSON pointer such as #/components/schemas/Release.
func (o *openAPI) resolve(ref string) (any, error) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not local to the document", ref)
	}
	var cur any = o.doc
	for _, tok := range strings.Split(p, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q does not resolve (%q is not inside an object)", ref, tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve (no %q)", ref, tok)
		}
	}
	return cur, nil
}

// deref resolves a node that may be a {"$ref": …} (chains included).
func (o *openAPI) deref(node any) (map[string]any, error) {
	for range 20 {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("expected an object, got %T", node)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, nil
		}
		var err error
		if node, err = o.resolve(ref); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("$ref chain too long")
}

// validate checks v against schema and returns every mismatch, each prefixed
// with the JSON path of the offending value ($.items[0].embargo_at).
func (o *openAPI) validate(schemaNode, v any, path string) []string {
	schema, err := o.deref(schemaNode)
	if err != nil {
		return []string{path + ": schema: " + err.Error()}
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }

	for _, sub := range asList(schema["allOf"]) {
		errs = append(errs, o.validate(sub, v, path)...)
	}
	if alts := asList(schema["oneOf"]); len(alts) > 0 {
		if n := o.matching(alts, v, path); n != 1 {
			fail("matches %d of the oneOf schemas, want exactly 1", n)
		}
	}
	if alts := asList(schema["anyOf"]); len(alts) > 0 && o.matching(alts, v, path) == 0 {
		fail("matches none of the anyOf schemas")
	}

	typ, _ := schema["type"].(string)
	if v == nil {
		if typ != "" && schema["nullable"] != true {
			fail("is null, want %s (the schema is not nullable)", typ)
		}
		return errs
	}
	switch typ {
	case "":
	case "object":
		if _, ok := v.(map[string]any); !ok {
			fail("is %s, want object", jsonType(v))
			return errs
		}
	case "array":
		if _, ok := v.([]any); !ok {
			fail("is %s, want array", jsonType(v))
			return errs
		}
	case "string":
		if _, ok := v.(string); !ok {
			fail("is %s, want string", jsonType(v))
			return errs
		}
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			fail("is %s, want integer", jsonType(v))
			return errs
		}
		if _, err := n.Int64(); err != nil {
			fail("is number %s, want integer", n)
			return errs
		}
	case "number":
		if _, ok := v.(json.Number); !ok {
			fail("is %s, want number", jsonType(v))
			return errs
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("is %s, want boolean", jsonType(v))
			return errs
		}
	default:
		fail("schema has unknown type %q", typ)
		return errs
	}

	if enum := asList(schema["enum"]); len(enum) > 0 {
		if !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) && jsonType(e) == jsonType(v) }) {
			fail("%v is not one of %v", v, enum)
		}
	}
	if s, ok := v.(string); ok && schema["format"] == "date-time" {
		// API.md: RFC 3339, returned in UTC.
		if t, err := time.Parse(time.RFC3339Nano, s); err != nil {
			fail("%q is not an RFC 3339 time", s)
		} else if _, off := t.Zone(); off != 0 || !strings.HasSuffix(s, "Z") {
			fail("%q is not in UTC", s)
		}
	}
	if m, ok := v.(map[string]any); ok {
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asList(schema["required"]) {
			if _, ok := m[r.(string)]; !ok {
				fail("required property %q is missing", r)
			}
		}
		for _, k := range sortedKeys(m) {
			sub := path + "." + k
			if ps, ok := props[k]; ok {
				errs = append(errs, o.validate(ps, m[k], sub)...)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, sub+": property is not declared in the schema (additionalProperties: false)")
				}
			case map[string]any:
				errs = append(errs, o.validate(ap, m[k], sub)...)
			}
		}
	}
	if a, ok := v.([]any); ok {
		if items, ok := schema["items"]; ok {
			for i, it := range a {
				errs = append(errs, o.validate(items, it, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return errs
}

func (o *openAPI) matching(alts []any, v any, path string) int {
	n := 0
	for _, alt := range alts {
		if len(o.validate(alt, v, path)) == 0 {
			n++
		}
	}
	return n
}

func asList(v any) []any { l, _ := v.([]any); return l }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

// operation finds a documented operation: path as in the document
// (/api/v1/releases/{id}), method lower- or upper-case.
func (o *openAPI) operation(method, path string) (map[string]any, bool) {
	paths, _ := o.doc["paths"].(map[string]any)
	item, _ := paths[path].(map[string]any)
	op, ok := item[strings.ToLower(method)].(map[string]any)
	return op, ok
}

// openAPIMethods are the operation keys of a path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// ginParam matches the parameters of a gin route pattern.
var ginParam = regexp.MustCompile(`[:*]([A-Za-z_][A-Za-z0-9_]*)`)

// openAPIPath turns a gin pattern (/releases/:id) into an OpenAPI path (/releases/{id}).
func openAPIPath(ginPath string) string { return ginParam.ReplaceAllString(ginPath, "{$1}") }

// documentedRoute reports whether the route table entry belongs in the document.
func documentedRoute(rt string) bool {
	return strings.HasPrefix(rt, "/api/v1/") || strings.HasPrefix(rt, "/webhooks/")
}

// fetchOpenAPI gets the served document and checks its envelope.
func fetchOpenAPI(t *testing.T, env *testEnv) *openAPI {
	t.Helper()
	r := env.api(http.MethodGet, "/api/v1/openapi.json", "", "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json = %d", r.Status)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("openapi.json Content-Type = %q, want application/json", ct)
	}
	v, err := decodeJSON([]byte(r.Body))
	if err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("openapi.json is %s, want an object", jsonType(v))
	}
	for _, k := range []string{"openapi", "info", "paths", "components"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("openapi.json has no %q", k)
		}
	}
	if s, _ := doc["openapi"].(string); !strings.HasPrefix(s, "3.") {
		t.Errorf("openapi = %q, want 3.x", s)
	}
	return &openAPI{doc: doc}
}

// TestSchemaValidator proves the test's validator catches what it must, and
// says where.
func TestSchemaValidator(t *testing.T) {
	raw := `{"components":{"schemas":{
		"Thing":{"type":"object","required":["id","n"],"additionalProperties":false,"properties":{
			"id":{"type":"string"},"n":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}},
			"at":{"type":"string","format":"date-time","nullable":true},"kind":{"type":"string","enum":["a","b"]},
			"child":{"$ref":"#/components/schemas/Child"}}},
		"Child":{"type":"object","required":["ok"],"properties":{"ok":{"type":"boolean"}}},
		"Either":{"oneOf":[{"type":"string"},{"type":"integer"}]},
		"Both":{"allOf":[{"$ref":"#/components/schemas/Child"},{"type":"object","required":["more"]}]},
		"Broken":{"$ref":"#/components/schemas/Nothing"}}}}`
	v, err := decodeJSON([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	o := &openAPI{doc: v.(map[string]any)}
	thing := map[string]any{"$ref": "#/components/schemas/Thing"}
	cases := []struct {
		name, schema, body string
		want               string // substring of the one expected error; "" for valid
	}{
		{"valid", "Thing", `{"id":"x","n":3,"tags":["a"],"at":null,"kind":"a","child":{"ok":true,"extra":1}}`, ""},
		{"valid time", "Thing", `{"id":"x","n":3,"at":"2026-07-09T10:00:00Z"}`, ""},
		{"wrong type", "Thing", `{"id":"x","n":"3"}`, `$.n: is string, want integer`},
		{"not an integer", "Thing", `{"id":"x","n":3.5}`, `$.n: is number 3.5, want integer`},
		{"missing required", "Thing", `{"n":3}`, `$: required property "id" is missing`},
		{"undeclared property", "Thing", `{"id":"x","n":3,"colour":"red"}`, `$.colour: property is not declared`},
		{"wrong item", "Thing", `{"id":"x","n":3,"tags":["a",7]}`, `$.tags[1]: is number, want string`},
		{"null not nullable", "Thing", `{"id":null,"n":3}`, `$.id: is null, want string`},
		{"enum", "Thing", `{"id":"x","n":3,"kind":"c"}`, `$.kind: c is not one of [a b]`},
		{"not UTC", "Thing", `{"id":"x","n":3,"at":"2026-07-09T11:00:00+01:00"}`, `$.at: "2026-07-09T11:00:00+01:00" is not in UTC`},
		{"not a time", "Thing", `{"id":"x","n":3,"at":"yesterday"}`, `$.at: "yesterday" is not an RFC 3339 time`},
		{"through $ref", "Thing", `{"id":"x","n":3,"child":{"ok":"yes"}}`, `$.child.ok: is string, want boolean`},
		{"oneOf", "Either", `true`, `$: matches 0 of the oneOf schemas`},
		{"allOf", "Both", `{"ok":true}`, `$: required property "more" is missing`},
		{"bad $ref", "Broken", `{}`, `does not resolve`},
		{"top-level array", "Thing", `[]`, `$: is array, want object`},
	}
	for _, c := range cases {
		body, err := decodeJSON([]byte(c.body))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		schema := any(thing)
		if c.schema != "Thing" {
			schema = map[string]any{"$ref": "#/components/schemas/" + c.schema}
		}
		errs := o.validate(schema, body, "$")
		switch {
		case c.want == "" && len(errs) > 0:
			t.Errorf("%s: unexpected errors %q", c.name, errs)
		case c.want != "" && (len(errs) != 1 || !strings.Contains(errs[0], c.want)):
			t.Errorf("%s: errors %q, want one containing %q", c.name, errs, c.want)
		}
	}
}

// TestOpenAPIDocumentsEveryRoute compares the document with the route table in
// both directions, and each operation's security with the route's Access rule.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		o := fetchOpenAPI(t, env)
		paths := o.doc["paths"].(map[string]any)

		// Every $ref anywhere in the document resolves.
		var walk func(n any, at string)
		walk = func(n any, at string) {
			switch n := n.(type) {
			case map[string]any:
				if ref, ok := n["$ref"].(string); ok {
					if _, err := o.resolve(ref); err != nil {
						t.Errorf("%s: %v", at, err)
					}
				}
				for _, k := range sortedKeys(n) {
					walk(n[k], at+"/"+strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"))
				}
			case []any:
				for i, e := range n {
					walk(e, fmt.Sprintf("%s/%d", at, i))
				}
			}
		}
		walk(o.doc, "#")

		// The server is this installation's BASE_URL.
		servers := asList(o.doc["servers"])
		if len(servers) == 0 || servers[0].(map[string]any)["url"] != env.cfg.BaseURL.String() {
			t.Errorf("servers = %v, want the BASE_URL %s", servers, env.cfg.BaseURL)
		}

		registered := map[string]bool{}
		documented := 0
		for _, rt := range env.server.RouteTable() {
			if !documentedRoute(rt.Path) {
				continue
			}
			path, method := openAPIPath(rt.Path), strings.ToLower(rt.Method)
			registered[method+" "+path] = true
			op, ok := o.operation(method, path)
			if !ok {
				t.Errorf("%s %s is registered but not documented: add %q → %q to app/openapi.json", rt.Method, rt.Path, path, method)
				continue
			}
			documented++
			name := rt.Method + " " + path
			if _, ok := op["description"].(string); !ok {
				t.Errorf("%s: no description (it states the roles that may call it)", name)
			}
			responses, _ := op["responses"].(map[string]any)
			if len(responses) == 0 {
				t.Errorf("%s: no responses", name)
			}
			security, hasSecurity := op["security"].([]any)
			roles := map[string]bool{}
			for _, r := range asList(op["x-roles"]) {
				roles[r.(string)] = true
			}
			if rt.Access.IsPublic() {
				if !hasSecurity || len(security) != 0 {
					t.Errorf("%s is public: its operation must say \"security\": []", name)
				}
				if len(roles) > 0 {
					t.Errorf("%s is public but lists x-roles", name)
				}
			} else {
				if len(security) == 0 {
					t.Errorf("%s needs a token: its operation must require the bearer scheme", name)
				}
				if _, ok := responses["401"]; !ok {
					t.Errorf("%s needs a token but does not document 401", name)
				}
				restricted := false
				for _, role := range models.Roles {
					if allowed := rt.Access.Allows(role); allowed != roles[string(role)] {
						t.Errorf("%s: x-roles says %s may call it: %v; the route's Access rule says %v", name, role, roles[string(role)], allowed)
					}
					restricted = restricted || !rt.Access.Allows(role)
				}
				if _, ok := responses["403"]; restricted && !ok {
					t.Errorf("%s is limited to some roles but does not document 403", name)
				}
			}
			// Every path parameter is declared.
			for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
				found := false
				for _, p := range asList(op["parameters"]) {
					pm, err := o.deref(p)
					found = found || (err == nil && pm["in"] == "path" && pm["name"] == m[1])
				}
				if !found {
					t.Errorf("%s: path parameter %q is not declared", name, m[1])
				}
			}
		}
		for _, path := range sortedKeys(paths) {
			item := paths[path].(map[string]any)
			for _, method := range openAPIMethods {
				if _, ok := item[method]; ok && !registered[method+" "+path] {
					t.Errorf("%s %s is documented in app/openapi.json but no such route is registered", strings.ToUpper(method), path)
				}
			}
		}
		if documented < 20 {
			t.Errorf("only %d documented API routes found; is the route table empty?", documented)
		}
	})
}

// contract exercises the API and validates every answer against the document.
type contract struct {
	t   *testing.T
	env *testEnv
	o   *openAPI
	// seen records the operations exercised, to require each one at least once.
	seen map[string]bool
}

// call makes a request and validates the answer against the schema declared
// for its path, method and status. docPath is the documented path
// (/api/v1/releases/{id}); path is the concrete one.
func (c *contract) call(method, docPath, path, token, contentType, body string, header map[string]string) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.env.http.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Body: string(data), Header: resp.Header}
	c.check(method, docPath, r)
	return r
}

func (c *contract) check(method, docPath string, r response) {
	c.t.Helper()
	name := fmt.Sprintf("%s %s → %d", method, docPath, r.Status)
	op, ok := c.o.operation(method, docPath)
	if !ok {
		c.t.Errorf("%s: the operation is not documented", name)
		return
	}
	c.seen[strings.ToLower(method)+" "+docPath] = true
	responses, _ := op["responses"].(map[string]any)
	declared, ok := responses[fmt.Sprint(r.Status)]
	if !ok {
		c.t.Errorf("%s: status not documented (documented: %v); body %s", name, sortedKeys(responses), r.Body)
		return
	}
	resp, err := c.o.deref(declared)
	if err != nil {
		c.t.Errorf("%s: %v", name, err)
		return
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if r.Body != "" {
			c.t.Errorf("%s: the document declares no body, got %q", name, r.Body)
		}
		return
	}
	media, ok := content["application/json"].(map[string]any)
	if !ok {
		c.t.Errorf("%s: no application/json content declared", name)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.t.Errorf("%s: Content-Type %q, want application/json", name, ct)
	}
	v, err := decodeJSON([]byte(r.Body))
	if err != nil {
		c.t.Errorf("%s: body is not JSON (%v): %s", name, err, r.Body)
		return
	}
	for _, e := range c.o.validate(media["schema"], v, "$") {
		c.t.Errorf("%s: %s\nbody: %s", name, e, r.Body)
	}
}

// json is call with a JSON body (or none).
func (c *contract) json(method, docPath, path, token, body string) response {
	c.t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	return c.call(method, docPath, path, token, ct, body, nil)
}

// expect checks a status and returns the decoded body.
func (c *contract) expect(r response, status int, what string) map[string]any {
	c.t.Helper()
	if r.Status != status {
		c.t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	var m map[string]any
	_ = json.Unmarshal([]byte(r.Body), &m)
	return m
}

// TestOpenAPIMatchesResponses drives every documented operation through real
// requests, success and error answers, and validates each answer against the
// schema the document declares for it.
func TestOpenAPIMatchesResponses(t *testing.T) {
	// Run in a zone other than UTC, as servers often do, so a time the API
	// forgets to convert shows up as "not in UTC" instead of passing unnoticed.
	local := time.Local
	time.Local = time.FixedZone("UTC-4", -4*60*60)
	t.Cleanup(func() { time.Local = local })
	webhookSigner, err := sendgridfake.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	run(t, envOptions{webhookKey: webhookSigner.PublicKey()}, func(t *testing.T, env *testEnv) {
		c := &contract{t: t, env: env, o: fetchOpenAPI(t, env), seen: map[string]bool{}}
		ctx := context.Background()
		press, viewer, approver, camp := env.token(models.RolePressOfficer), env.token(models.RoleViewer), env.token(models.RoleApprover), env.token(models.RoleCampaigner)
		_, legal, err := models.CreateAPIToken(ctx, env.db.Gorm, env.legal.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		const (
			releases = "/api/v1/releases"
			release  = "/api/v1/releases/{id}"
		)
		at := func(id, suffix string) string { return "/api/v1/releases/" + id + suffix }

		c.expect(c.json("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "", ""), 200, "openapi")
		c.expect(c.json("GET", "/api/v1/me", "/api/v1/me", viewer, ""), 200, "me")
		c.expect(c.json("GET", "/api/v1/me", "/api/v1/me", "", ""), 401, "me without token")
		c.expect(c.json("GET", "/api/v1/me", "/api/v1/me", "prs_not-a-token", ""), 401, "me with a bad token")

		// Releases: create, read, edit, list, revisions, diff.
		rel := c.expect(c.json("POST", releases, releases, press, `{"headline":"Rivers run dry","standfirst":"A summer of drought.","dateline":"LONDON, 9 July 2026",
			"body":"The **rivers** are dry.","notes_to_editors":"Contact the desk.","embargo_at":null,"embargo_timezone":"Europe/London",
			"press_contacts":[{"name":"Ana","phone":"+44 20 1234"}],"countries":["GB"],"themes":["climate"]}`), 201, "create release")
		id := rel["id"].(string)
		c.expect(c.json("POST", releases, releases, viewer, `{"headline":"x"}`), 403, "viewer creates")
		c.expect(c.json("POST", releases, releases, press, `{"headline":`), 400, "bad JSON")
		c.expect(c.json("POST", releases, releases, press, `{"headline":"x","colour":"red"}`), 422, "unknown field")
		c.expect(c.json("POST", releases, releases, press, `{"kind":"leaflet","headline":"x"}`), 422, "bad kind")
		c.expect(c.json("POST", releases, releases, press, `{"body":"`+strings.Repeat("x", 1<<20)+`"}`), 413, "huge body")
		c.expect(c.json("GET", release, at(id, ""), viewer, ""), 200, "get release")
		c.expect(c.json("GET", release, at("nosuchrelease", ""), viewer, ""), 404, "get missing release")
		c.expect(c.json("PATCH", release, at(id, ""), press, `{"revision":1,"headline":"Rivers run dry across the south"}`), 200, "patch")
		c.expect(c.json("PATCH", release, at(id, ""), press, `{"revision":1,"headline":"Lost update"}`), 409, "stale patch")
		c.expect(c.json("PATCH", release, at(id, ""), viewer, `{"headline":"x"}`), 403, "viewer patches")
		c.expect(c.json("PATCH", release, at("nosuchrelease", ""), press, `{"headline":"x"}`), 404, "patch missing release")
		c.expect(c.json("GET", releases, releases+"?status=draft&q=rivers&kind=press_release", viewer, ""), 200, "list releases")
		c.expect(c.json("GET", releases, releases+"?limit=501", viewer, ""), 400, "limit too large")
		c.expect(c.json("GET", releases, releases+"?cursor=!!!", viewer, ""), 400, "bad cursor")
		c.expect(c.json("GET", release+"/revisions", at(id, "/revisions"), viewer, ""), 200, "revisions")
		c.expect(c.json("GET", release+"/revisions", at("nosuchrelease", "/revisions"), viewer, ""), 404, "revisions of missing release")
		c.expect(c.json("GET", release+"/diff", at(id, "/diff?from=1&to=2"), viewer, ""), 200, "diff")
		c.expect(c.json("GET", release+"/diff", at(id, "/diff"), viewer, ""), 400, "diff without revisions")
		c.expect(c.json("GET", release+"/diff", at(id, "/diff?from=1&to=9"), viewer, ""), 404, "diff of missing revision")

		// Review: submit, approvals, publication, preview links, withdrawal.
		c.expect(c.json("POST", release+"/submit", at(id, "/submit"), press, ""), 200, "submit")
		c.expect(c.json("POST", release+"/submit", at(id, "/submit"), press, ""), 409, "submit twice")
		c.expect(c.json("POST", release+"/submit", at(id, "/submit"), approver, ""), 403, "approver submits")
		c.expect(c.json("POST", release+"/approve", at(id, "/approve"), press, `{"comment":"mine"}`), 403, "author approves")
		c.expect(c.json("POST", release+"/approve", at(id, "/approve"), approver, `{"comment":"Good."}`), 200, "desk approves")
		c.expect(c.json("POST", release+"/approve", at(id, "/approve"), viewer, ``), 403, "viewer approves")
		c.expect(c.json("POST", release+"/approve", at(id, "/approve"), approver, `{"comment":`), 400, "approve with bad JSON")
		pub := c.expect(c.json("POST", release+"/approve", at(id, "/approve"), legal, `{"comment":"Cleared."}`), 200, "legal approves")
		if pub["status"] != "published" || pub["index_number"] == nil {
			t.Fatalf("after the last approval: %v / %v, want published with an index number", pub["status"], pub["index_number"])
		}
		c.expect(c.json("POST", release+"/approve", at("nosuchrelease", "/approve"), approver, ``), 404, "approve missing release")
		c.expect(c.json("POST", release+"/preview-links", at(id, "/preview-links"), press, `{"email":"reporter@example.org"}`), 201, "preview link")
		c.expect(c.json("POST", release+"/preview-links", at(id, "/preview-links"), press, `{"email":"not an address"}`), 422, "preview link, bad email")
		c.expect(c.json("POST", release+"/preview-links", at(id, "/preview-links"), viewer, `{"email":"reporter@example.org"}`), 403, "viewer makes a preview link")

		other := c.expect(c.json("POST", releases, releases, press, `{"headline":"Second thoughts","body":"Text."}`), 201, "second release")["id"].(string)
		c.expect(c.json("POST", release+"/preview-links", at(other, "/preview-links"), press, `{"email":"reporter@example.org"}`), 409, "preview link of a draft")
		c.expect(c.json("POST", release+"/request-changes", at(other, "/request-changes"), approver, `{"comment":"x"}`), 409, "changes on a draft")
		c.expect(c.json("POST", release+"/submit", at(other, "/submit?rapid=false"), press, `{"rapid":false}`), 200, "submit second")
		c.expect(c.json("POST", release+"/request-changes", at(other, "/request-changes"), approver, `{"comment":"Shorter, please."}`), 200, "request changes")
		c.expect(c.json("POST", release+"/request-changes", at(other, "/request-changes"), viewer, `{"comment":"x"}`), 403, "viewer requests changes")
		c.expect(c.json("GET", releases, releases+"?limit=1", viewer, ""), 200, "first page")

		// Public releases, before the withdrawal and after it.
		forestsID := env.publish(t, "Forests recover", "Good **news**.", nil, func(in *models.DocumentInput) {
			in.PressContacts = &[]models.PressContact{{Name: "Bo", Email: "bo@example.org"}}
		}).ID
		slug := c.expect(c.json("GET", release, at(id, ""), viewer, ""), 200, "get published")["slug"].(string)
		list := c.expect(c.json("GET", "/api/v1/public/releases", "/api/v1/public/releases", "", ""), 200, "public list")
		if n := len(list["items"].([]any)); n != 2 {
			t.Fatalf("public list has %d items, want 2", n)
		}
		c.expect(c.json("GET", "/api/v1/public/releases", "/api/v1/public/releases?limit=1&kind=press_release", "", ""), 200, "public page")
		found := c.expect(c.json("GET", "/api/v1/public/releases", "/api/v1/public/releases?q=forests", "", ""), 200, "public search")
		if items := found["items"].([]any); len(items) != 1 || !strings.Contains(items[0].(map[string]any)["snippet"].(string), "<mark>") {
			t.Fatalf("public search for a headline word: %v", found)
		}
		c.expect(c.json("GET", "/api/v1/public/releases", "/api/v1/public/releases?limit=0", "", ""), 400, "public limit 0")
		full := c.call("GET", "/api/v1/public/releases/{slug}", "/api/v1/public/releases/"+slug, "", "", "", nil)
		c.expect(full, 200, "public release")
		c.expect(c.call("GET", "/api/v1/public/releases/{slug}", "/api/v1/public/releases/"+slug, "", "", "", map[string]string{"If-None-Match": full.Header.Get("ETag")}), 304, "public release, not modified")
		c.expect(c.json("GET", "/api/v1/public/releases/{slug}", "/api/v1/public/releases/no-such-release", "", ""), 404, "missing public release")

		c.expect(c.json("POST", release+"/withdraw", at(id, "/withdraw"), press, `{}`), 422, "withdraw without notice")
		c.expect(c.json("POST", release+"/withdraw", at(id, "/withdraw"), viewer, `{"notice":"x"}`), 403, "viewer withdraws")
		c.expect(c.json("POST", release+"/withdraw", at(id, "/withdraw"), press, `{"notice":"Withdrawn: the figures were wrong."}`), 200, "withdraw")
		c.expect(c.json("POST", release+"/withdraw", at(id, "/withdraw"), press, `{"notice":"Again"}`), 409, "withdraw twice")
		c.expect(c.json("GET", "/api/v1/public/releases/{slug}", "/api/v1/public/releases/"+slug, "", ""), 200, "withdrawn public release")
		c.expect(c.json("GET", "/api/v1/public/releases", "/api/v1/public/releases", "", ""), 200, "public list with a withdrawn release")

		// Media lists and contacts.
		ml := c.expect(c.json("POST", "/api/v1/media-lists", "/api/v1/media-lists", press, `{"name":"Environment desks","description":"Editors"}`), 201, "media list")["id"].(string)
		c.expect(c.json("POST", "/api/v1/media-lists", "/api/v1/media-lists", press, `{"name":"Environment desks"}`), 409, "duplicate media list")
		c.expect(c.json("POST", "/api/v1/media-lists", "/api/v1/media-lists", press, `{"name":""}`), 422, "nameless media list")
		c.expect(c.json("POST", "/api/v1/media-lists", "/api/v1/media-lists", press, `[`), 400, "media list, bad JSON")
		c.expect(c.json("POST", "/api/v1/media-lists", "/api/v1/media-lists", camp, `{"name":"x"}`), 403, "campaigner makes a media list")
		mimport := "/api/v1/media-lists/{id}/import"
		res := c.expect(c.call("POST", mimport, "/api/v1/media-lists/"+ml+"/import", press, "text/csv",
			"email;name;outlet;beats\nana@example.org;Ana;Daily;climate,water\nnot-an-email;Bad;;\n", nil), 200, "media import")
		if res["imported"] != 1.0 || len(res["rejected"].([]any)) != 1 {
			t.Errorf("media import = %v, want 1 imported and 1 rejected", res)
		}
		c.expect(c.call("POST", mimport, "/api/v1/media-lists/nosuchlist/import", press, "text/csv", "email\na@example.org\n", nil), 404, "import into a missing list")
		c.expect(c.call("POST", mimport, "/api/v1/media-lists/"+ml+"/import", press, "text/csv", "", nil), 422, "empty import")
		c.expect(c.json("GET", "/api/v1/media-lists", "/api/v1/media-lists", viewer, ""), 200, "media lists")
		cs := c.expect(c.json("GET", "/api/v1/contacts", "/api/v1/contacts?q=ana&list_id="+ml, press, ""), 200, "contacts")
		c.expect(c.json("GET", "/api/v1/contacts", "/api/v1/contacts", viewer, ""), 403, "viewer lists contacts")
		if len(cs["items"].([]any)) != 1 {
			t.Errorf("contacts = %v, want Ana", cs)
		}
		c.expect(c.json("GET", "/api/v1/contacts", "/api/v1/contacts?limit=x", press, ""), 400, "contacts, bad limit")

		// Supporter lists, supporters and the public subscribe endpoint.
		sl := c.expect(c.json("POST", "/api/v1/supporter-lists", "/api/v1/supporter-lists", camp, `{"name":"Climate activists"}`), 201, "supporter list")["id"].(string)
		c.expect(c.json("POST", "/api/v1/supporter-lists", "/api/v1/supporter-lists", press, `{"name":"x"}`), 403, "press officer makes a supporter list")
		c.expect(c.json("POST", "/api/v1/supporter-lists", "/api/v1/supporter-lists", camp, `{"name":"Climate activists"}`), 409, "duplicate supporter list")
		simport := "/api/v1/supporter-lists/{id}/import"
		c.expect(c.call("POST", simport, "/api/v1/supporter-lists/"+sl+"/import", camp, "text/csv",
			"email,name,country,consent_source,consent_at\nsam@example.org,Sam,GB,petition,2026-07-01T09:00:00Z\npat@example.org,Pat,FR,,\n", nil), 200, "supporter import")
		c.expect(c.call("POST", simport, "/api/v1/supporter-lists/"+sl+"/import", viewer, "text/csv", "email\nx@example.org\n", nil), 403, "viewer imports")
		c.expect(c.json("GET", "/api/v1/supporter-lists", "/api/v1/supporter-lists", viewer, ""), 200, "supporter lists")
		sup := c.expect(c.json("GET", "/api/v1/supporters", "/api/v1/supporters?status=subscribed", camp, ""), 200, "supporters")
		c.expect(c.json("GET", "/api/v1/supporters", "/api/v1/supporters", viewer, ""), 403, "viewer lists supporters")
		if len(sup["items"].([]any)) != 1 {
			t.Errorf("subscribed supporters = %v, want Sam", sup)
		}
		c.expect(c.json("GET", "/api/v1/supporters", "/api/v1/supporters?status=happy", camp, ""), 422, "supporters, bad status")
		c.expect(c.json("GET", "/api/v1/supporters", "/api/v1/supporters?segment_id=nosuchsegment", camp, ""), 404, "supporters, missing segment")
		subscribe := "/api/v1/public/subscribe"
		c.expect(c.json("POST", subscribe, subscribe, "", `{"email":"new@example.org","name":"New","country":"GB","list_id":"`+sl+`"}`), 202, "subscribe")
		c.expect(c.json("POST", subscribe, subscribe, "", `{"email":"nope"}`), 422, "subscribe, bad email")
		c.expect(c.json("POST", subscribe, subscribe, "", `{`), 400, "subscribe, bad JSON")
		// As if Sam had just confirmed: times come back in UTC whatever the server's zone.
		if err := env.db.Gorm.Table("supporters").Where("email = ?", "sam@example.org").Update("last_engaged_at", env.clock.Now()).Error; err != nil {
			t.Fatal(err)
		}
		c.expect(c.json("GET", "/api/v1/supporters", "/api/v1/supporters?q=sam", camp, ""), 200, "engaged supporter")
		c.expect(c.json("GET", "/api/v1/supporters", "/api/v1/supporters?q=new", camp, ""), 200, "pending supporter")

		// Sends: of the published "Forests recover" (the first release is withdrawn
		// by now) to the media list and the supporter list made above.
		sends, send := "/api/v1/sends", "/api/v1/sends/{id}"
		sendAt := func(id, suffix string) string { return "/api/v1/sends/" + id + suffix }
		sendBody := `{"release_id":"` + forestsID + `","media_list_ids":["` + ml + `"],"supporter_list_ids":["` + sl + `"],"subject":null,"scheduled_at":null}`
		snd := c.expect(c.json("POST", sends, sends, press, sendBody), 201, "create send")
		sid := snd["id"].(string)
		if snd["status"] != "draft" {
			t.Fatalf("new send is %v, want draft", snd["status"])
		}
		c.expect(c.json("POST", sends, sends, "", sendBody), 401, "send without token")
		c.expect(c.json("POST", sends, sends, viewer, sendBody), 403, "viewer sends")
		c.expect(c.json("POST", sends, sends, camp, sendBody), 403, "campaigner sends a press release")
		c.expect(c.json("POST", sends, sends, press, `{"release_id":`), 400, "send, bad JSON")
		c.expect(c.json("POST", sends, sends, press, `{"release_id":"`+forestsID+`"}`), 422, "send without an audience")
		c.expect(c.json("POST", sends, sends, press, `{"release_id":"nosuchrelease","media_list_ids":["`+ml+`"]}`), 422, "send of a missing release")
		c.expect(c.json("POST", sends, sends, press, `{"release_id":"`+forestsID+`","media_list_ids":["nosuchlist"]}`), 422, "send to a missing list")
		c.expect(c.json("POST", sends, sends, press, `{"release_id":"`+forestsID+`","media_list_ids":["`+ml+`"],"scheduled_at":"2020-01-01T00:00:00Z"}`), 422, "send in the past")
		c.expect(c.json("POST", sends, sends, press, `{"release_id":"`+other+`","media_list_ids":["`+ml+`"]}`), 409, "send of a release in review")
		c.expect(c.json("POST", sends, sends, press, `{"release_id":"`+id+`","media_list_ids":["`+ml+`"]}`), 409, "send of a withdrawn release")
		later := c.expect(c.json("POST", sends, sends, press, `{"release_id":"`+forestsID+`","media_list_ids":["`+ml+`"],"subject":"Forests: the figures","scheduled_at":"2026-07-10T09:00:00+02:00"}`), 201, "scheduled send")
		if later["scheduled_at"] != "2026-07-10T07:00:00Z" || later["schedule"] != "at" {
			t.Errorf("scheduled send: %v / %v, want at 2026-07-10T07:00:00Z", later["schedule"], later["scheduled_at"])
		}
		c.expect(c.json("GET", send, sendAt(sid, ""), viewer, ""), 200, "get send")
		c.expect(c.json("GET", send, sendAt(sid, ""), "", ""), 401, "get send without token")
		c.expect(c.json("GET", send, sendAt("nosuchsend", ""), viewer, ""), 404, "get missing send")
		c.expect(c.json("POST", send+"/pause", sendAt(sid, "/pause"), press, ""), 409, "pause a draft")
		c.expect(c.json("POST", send+"/resume", sendAt(sid, "/resume"), press, ""), 409, "resume a draft")
		c.expect(c.json("POST", send+"/retry-failed", sendAt(sid, "/retry-failed"), press, ""), 409, "retry a draft")
		c.expect(c.json("POST", send+"/repoint", sendAt(sid, "/repoint"), press, ""), 409, "re-point a send that carries the approved revision")
		c.expect(c.json("POST", send+"/repoint", sendAt(sid, "/repoint"), viewer, ""), 403, "viewer re-points")
		c.expect(c.json("POST", send+"/repoint", sendAt(sid, "/repoint"), camp, ""), 403, "campaigner re-points a press release's send")
		c.expect(c.json("POST", send+"/repoint", sendAt("nosuchsend", "/repoint"), press, ""), 404, "re-point a missing send")
		c.expect(c.json("POST", send+"/repoint", sendAt(sid, "/repoint"), "", ""), 401, "re-point without token")
		c.expect(c.json("POST", send+"/test", sendAt(sid, "/test"), viewer, ""), 403, "viewer tests a send")
		c.expect(c.json("POST", send+"/test", sendAt(sid, "/test"), "", ""), 401, "test without token")
		c.expect(c.json("POST", send+"/test", sendAt("nosuchsend", "/test"), press, ""), 404, "test a missing send")
		c.expect(c.json("POST", send+"/test", sendAt(sid, "/test"), press, `{"emails":["not an address"]}`), 422, "test to a bad address")
		c.expect(c.json("POST", send+"/test", sendAt(sid, "/test"), press, `{"emails":["desk@example.org"]}`), 202, "test a send")
		c.expect(c.json("POST", send+"/dispatch", sendAt(sid, "/dispatch"), viewer, ""), 403, "viewer dispatches")
		c.expect(c.json("POST", send+"/dispatch", sendAt(sid, "/dispatch"), camp, ""), 403, "campaigner dispatches a press release")
		c.expect(c.json("POST", send+"/dispatch", sendAt(sid, "/dispatch"), "", ""), 401, "dispatch without token")
		c.expect(c.json("POST", send+"/dispatch", sendAt("nosuchsend", "/dispatch"), press, ""), 404, "dispatch a missing send")
		if q := c.expect(c.json("POST", send+"/dispatch", sendAt(sid, "/dispatch"), press, ""), 202, "dispatch"); q["status"] != "queued" || q["dispatched_at"] == nil {
			t.Errorf("dispatched send: %v / %v, want queued with dispatched_at", q["status"], q["dispatched_at"])
		}
		c.expect(c.json("POST", send+"/dispatch", sendAt(sid, "/dispatch"), press, ""), 409, "dispatch twice")
		c.expect(c.json("POST", send+"/pause", sendAt(sid, "/pause"), viewer, ""), 403, "viewer pauses")
		c.expect(c.json("POST", send+"/pause", sendAt("nosuchsend", "/pause"), press, ""), 404, "pause a missing send")
		c.expect(c.json("POST", send+"/pause", sendAt(sid, "/pause"), "", ""), 401, "pause without token")
		if p := c.expect(c.json("POST", send+"/pause", sendAt(sid, "/pause"), press, ""), 200, "pause"); p["status"] != "paused" {
			t.Errorf("paused send is %v", p["status"])
		}
		c.expect(c.json("POST", send+"/resume", sendAt(sid, "/resume"), viewer, ""), 403, "viewer resumes")
		c.expect(c.json("POST", send+"/resume", sendAt("nosuchsend", "/resume"), press, ""), 404, "resume a missing send")
		c.expect(c.json("POST", send+"/resume", sendAt(sid, "/resume"), "", ""), 401, "resume without token")
		if r := c.expect(c.json("POST", send+"/resume", sendAt(sid, "/resume"), press, ""), 200, "resume"); r["status"] != "queued" {
			t.Errorf("resumed send is %v, want queued (its recipients are not worked out yet)", r["status"])
		}
		// The worker's part, done here: recipients worked out, the one batch refused.
		if _, err := models.MaterialiseSend(ctx, env.db.Gorm, sid, env.clock.Now(), nil); err != nil {
			t.Fatal(err)
		}
		var batchNos []int
		env.db.Gorm.Table("send_batches").Where("send_id = ?", sid).Pluck("batch_no", &batchNos)
		if len(batchNos) != 1 {
			t.Fatalf("send has batches %v, want one", batchNos)
		}
		if err := models.MarkBatchFailed(ctx, env.db.Gorm, sid, batchNos[0], "Invalid from address", nil, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := models.CompleteSendIfDone(ctx, env.db.Gorm, sid, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		failed := c.expect(c.json("GET", send, sendAt(sid, ""), viewer, ""), 200, "failed send")
		if failed["status"] != "failed" || len(failed["errors"].([]any)) != 1 || failed["completed_at"] == nil {
			t.Errorf("failed send: %v", failed)
		}
		c.expect(c.json("POST", send+"/retry-failed", sendAt(sid, "/retry-failed"), viewer, ""), 403, "viewer retries")
		c.expect(c.json("POST", send+"/retry-failed", sendAt("nosuchsend", "/retry-failed"), press, ""), 404, "retry a missing send")
		c.expect(c.json("POST", send+"/retry-failed", sendAt(sid, "/retry-failed"), "", ""), 401, "retry without token")
		if r := c.expect(c.json("POST", send+"/retry-failed", sendAt(sid, "/retry-failed"), press, ""), 202, "retry failed"); r["requeued_batches"] != 1.0 {
			t.Errorf("retry-failed = %v, want one batch re-queued", r)
		}
		c.expect(c.json("GET", send, sendAt(sid, ""), viewer, ""), 200, "sending again")
		c.expect(c.json("POST", send+"/cancel", sendAt(sid, "/cancel"), viewer, ""), 403, "viewer cancels")
		c.expect(c.json("POST", send+"/cancel", sendAt("nosuchsend", "/cancel"), press, ""), 404, "cancel a missing send")
		c.expect(c.json("POST", send+"/cancel", sendAt(sid, "/cancel"), "", ""), 401, "cancel without token")
		if r := c.expect(c.json("POST", send+"/cancel", sendAt(sid, "/cancel"), press, ""), 200, "cancel"); r["status"] != "cancelled" {
			t.Errorf("cancelled send is %v", r["status"])
		}
		c.expect(c.json("POST", send+"/cancel", sendAt(sid, "/cancel"), press, ""), 409, "cancel twice")
		c.expect(c.json("POST", send+"/cancel", sendAt(later["id"].(string), "/cancel"), press, ""), 200, "cancel a draft")
		all := c.expect(c.json("GET", sends, sends, viewer, ""), 200, "list sends")
		if n := len(all["items"].([]any)); n != 2 || all["next_cursor"] != nil {
			t.Errorf("sends list = %v, want both sends on one page", all)
		}
		first := c.expect(c.json("GET", sends, sends+"?limit=1&release_id="+forestsID, viewer, ""), 200, "first page of sends")
		cur, _ := first["next_cursor"].(string)
		if cur == "" {
			t.Fatalf("first page of sends has no next_cursor: %v", first)
		}
		second := c.expect(c.json("GET", sends, sends+"?limit=1&cursor="+cur, viewer, ""), 200, "second page of sends")
		if items := second["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] == first["items"].([]any)[0].(map[string]any)["id"] {
			t.Errorf("second page of sends = %v after %v", second, first)
		}
		c.expect(c.json("GET", sends, sends+"?limit=0", viewer, ""), 400, "sends, bad limit")
		c.expect(c.json("GET", sends, sends, "", ""), 401, "sends without token")

		// The SendGrid Event Webhook, signed with the key this env is configured with.
		hook := "/webhooks/sendgrid"
		events := []byte(`[{"email":"ana@example.org","timestamp":` + fmt.Sprint(env.clock.Now().Unix()) + `,"event":"delivered","sg_event_id":"ev-1","send_id":"` + sid + `","recipient_id":"1"}]`)
		signed := func(s *sendgridfake.Signer, at time.Time) map[string]string {
			ts := fmt.Sprint(at.Unix())
			sig, err := s.Sign(ts, events)
			if err != nil {
				t.Fatal(err)
			}
			return map[string]string{sendgridfake.SignatureHeader: sig, sendgridfake.TimestampHeader: ts}
		}
		c.expect(c.call("POST", hook, hook, "", "application/json", string(events), nil), 401, "unsigned webhook")
		forger, err := sendgridfake.NewSigner()
		if err != nil {
			t.Fatal(err)
		}
		c.expect(c.call("POST", hook, hook, "", "application/json", string(events), signed(forger, env.clock.Now())), 403, "forged webhook")
		c.expect(c.call("POST", hook, hook, "", "application/json", string(events), signed(webhookSigner, env.clock.Now().Add(-10*time.Minute))), 403, "stale webhook")
		if r := c.expect(c.call("POST", hook, hook, "", "application/json", string(events), signed(webhookSigner, env.clock.Now())), 200, "signed webhook"); r["stored"] != 1.0 {
			t.Errorf("webhook = %v, want one event stored", r)
		}
		if r := c.expect(c.call("POST", hook, hook, "", "application/json", string(events), signed(webhookSigner, env.clock.Now())), 200, "same events again"); r["stored"] != 0.0 {
			t.Errorf("repeated webhook = %v, want nothing stored", r)
		}
		c.expect(c.call("POST", hook, hook, "", "application/json", "{}", map[string]string{
			sendgridfake.SignatureHeader: func() string { s, _ := webhookSigner.Sign("1", []byte("{}")); return s }(), sendgridfake.TimestampHeader: "x"}), 403, "webhook with a bad timestamp")
		// The same installation without SENDGRID_WEBHOOK_PUBLIC_KEY accepts nothing.
		unkeyed := *env.cfg
		unkeyed.SendGridWebhookPublicKey = ""
		bare, err := app.New(app.Deps{Config: &unkeyed, DB: env.db, Jobs: env.jobs, Clock: env.clock})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(bare.Handler())
		defer ts.Close()
		bareEnv := *env
		bareEnv.http = ts
		bc := &contract{t: t, env: &bareEnv, o: c.o, seen: c.seen}
		bc.expect(bc.call("POST", hook, hook, "", "application/json", string(events), signed(webhookSigner, env.clock.Now())), 503, "webhook without a configured key")
		for i := 0; ; i++ {
			r := c.json("POST", subscribe, subscribe, "", `{`)
			if r.Status == http.StatusTooManyRequests {
				break
			}
			if i == 50 {
				t.Fatal("the subscribe endpoint never rate-limited")
			}
		}

		// Campaigns and petitions.
		campaigns, campaign := "/api/v1/campaigns", "/api/v1/campaigns/{id}"
		cmp := c.expect(c.json("POST", campaigns, campaigns, camp, `{"name":"Arms embargo","description":"Stop the arms."}`), 201, "create campaign")["id"].(string)
		c.expect(c.json("POST", campaigns, campaigns, press, `{"name":"x"}`), 403, "press officer creates a campaign")
		c.expect(c.json("POST", campaigns, campaigns, camp, `{"name":`), 400, "bad campaign JSON")
		c.expect(c.json("POST", campaigns, campaigns, camp, `{"name":""}`), 422, "campaign without a name")
		c.expect(c.json("GET", campaigns, campaigns, viewer, ""), 200, "campaigns")
		petitions, petition := "/api/v1/petitions", "/api/v1/petitions/{id}"
		pet := c.expect(c.json("POST", petitions, petitions, camp, `{"title":"Halt the sales","target":"The Foreign Secretary","demand":"Halt arms sales now.","goal":10,
			"campaign_id":"`+cmp+`","release_id":"`+id+`","open_on_embargo_lift":true}`), 201, "create petition")
		pid, pslug := pet["id"].(string), pet["slug"].(string)
		c.expect(c.json("POST", petitions, petitions, viewer, `{"title":"x"}`), 403, "viewer creates a petition")
		c.expect(c.json("POST", petitions, petitions, camp, `{"title":`), 400, "bad petition JSON")
		c.expect(c.json("POST", petitions, petitions, camp, `{"title":"x","status":"open"}`), 422, "petition read-only field")
		pat := func(pid, suffix string) string { return "/api/v1/petitions/" + pid + suffix }
		c.expect(c.json("GET", petition, pat(pid, ""), viewer, ""), 200, "get petition")
		c.expect(c.json("GET", petition, pat("nosuchpetition", ""), viewer, ""), 404, "get missing petition")
		c.expect(c.json("PATCH", petition, pat(pid, ""), camp, `{"release_id":null,"open_on_embargo_lift":false}`), 200, "patch petition")
		c.expect(c.json("PATCH", petition, pat(pid, ""), camp, `{"goal":"ten"}`), 422, "patch petition, bad goal")
		c.expect(c.json("PATCH", petition, pat(pid, ""), camp, `{`), 400, "patch petition, bad JSON")
		c.expect(c.json("PATCH", petition, pat("nosuchpetition", ""), camp, `{"goal":1}`), 404, "patch missing petition")
		c.expect(c.json("PATCH", petition, pat(pid, ""), viewer, `{"goal":1}`), 403, "viewer patches a petition")
		c.expect(c.json("POST", petition+"/close", pat(pid, "/close"), camp, ""), 409, "close a draft")
		c.expect(c.json("POST", petition+"/open", pat(pid, "/open"), camp, ""), 200, "open petition")
		c.expect(c.json("POST", petition+"/open", pat(pid, "/open"), camp, ""), 409, "open twice")
		c.expect(c.json("POST", petition+"/open", pat("nosuchpetition", "/open"), camp, ""), 404, "open missing petition")
		c.expect(c.json("POST", petition+"/open", pat(pid, "/open"), viewer, ""), 403, "viewer opens")
		c.expect(c.json("PATCH", petition, pat(pid, ""), camp, `{"demand":"Something else."}`), 409, "unconfirmed demand change")
		c.expect(c.json("GET", petitions, petitions+"?status=open", viewer, ""), 200, "list petitions")
		c.expect(c.json("GET", petitions, petitions+"?status=happy", viewer, ""), 400, "list petitions, bad status")
		// Rapid-response package from the published "Forests recover".
		pkg := release + "/package"
		c.expect(c.json("POST", pkg, at(id, "/package"), press, `{"demand":"Halt arms sales now."}`), 403, "press officer launches a package")
		c.expect(c.json("POST", pkg, at(id, "/package"), camp, `{"demand":""}`), 422, "package without a demand")
		c.expect(c.json("POST", pkg, at(id, "/package"), camp, `{`), 400, "package, bad JSON")
		c.expect(c.json("POST", pkg, at("nosuchrelease", "/package"), camp, `{"demand":"Halt arms sales now."}`), 404, "package of a missing release")
		c.expect(c.json("POST", pkg, at(id, "/package"), camp, `{"demand":"Halt arms sales now."}`), 409, "package of a withdrawn release")
		c.expect(c.json("POST", pkg, at(forestsID, "/package"), camp, `{"alert":true,"petition":true,"targets":[],"demand":"Halt arms sales now."}`), 201, "launch package")
		c.expect(c.json("GET", pkg, at(forestsID, "/package"), viewer, ""), 200, "package parts")
		c.expect(c.json("GET", pkg, at("nosuchrelease", "/package"), viewer, ""), 404, "package of a missing release")
		c.expect(c.json("GET", campaign, "/api/v1/campaigns/"+cmp, viewer, ""), 200, "campaign with parts")
		c.expect(c.json("GET", campaign, "/api/v1/campaigns/nosuchcampaign", viewer, ""), 404, "missing campaign")
		sign := "/api/v1/public/petitions/{slug}/signatures"
		signAt := "/api/v1/public/petitions/" + pslug + "/signatures"
		c.expect(c.call("OPTIONS", sign, signAt, "", "", "", map[string]string{"Origin": "https://www.example.org", "Access-Control-Request-Method": "POST"}), 204, "signing preflight")
		c.expect(c.json("POST", sign, signAt, "", `{"name":"Ada","email":"ada@example.org","country":"GB","opt_in":true}`), 202, "sign")
		c.expect(c.json("POST", sign, signAt, "", `{"name":"Ada","email":"ADA+x@example.org","country":"GB"}`), 202, "sign again")
		c.expect(c.json("POST", sign, signAt, "", `{"name":"","email":"nope","country":"GB"}`), 422, "sign, bad address")
		c.expect(c.json("POST", sign, signAt, "", `{`), 400, "sign, bad JSON")
		c.expect(c.json("POST", sign, "/api/v1/public/petitions/nosuchpetition/signatures", "", `{}`), 404, "sign a missing petition")
		c.expect(c.json("GET", petition+"/signatures.csv", pat(pid, "/signatures.csv"), viewer, ""), 403, "viewer exports signatures")
		c.expect(c.json("GET", petition+"/signatures.csv", pat("nosuchpetition", "/signatures.csv"), camp, ""), 404, "export a missing petition")
		c.expect(c.json("GET", petition+"/handin.pdf", pat(pid, "/handin.pdf"), viewer, ""), 403, "viewer exports the hand-in pack")
		c.expect(c.json("GET", petition+"/handin.pdf", pat("nosuchpetition", "/handin.pdf"), camp, ""), 404, "hand-in pack of a missing petition")
		c.expect(c.json("POST", petition+"/invalidations/preview", pat(pid, "/invalidations/preview"), camp, `{"domain":"example.org"}`), 200, "invalidation preview")
		c.expect(c.json("POST", petition+"/invalidations/preview", pat(pid, "/invalidations/preview"), camp, `{}`), 422, "invalidation without criteria")
		c.expect(c.json("POST", petition+"/invalidations/preview", pat(pid, "/invalidations/preview"), camp, `{"colour":1}`), 400, "invalidation, unknown field")
		c.expect(c.json("POST", petition+"/invalidations/preview", pat("nosuchpetition", "/invalidations/preview"), camp, `{"domain":"x.org"}`), 404, "preview on a missing petition")
		c.expect(c.json("POST", petition+"/invalidations/preview", pat(pid, "/invalidations/preview"), viewer, `{"domain":"x.org"}`), 403, "viewer previews")
		inv := c.expect(c.json("POST", petition+"/invalidations", pat(pid, "/invalidations"), camp, `{"domain":"example.org","state":"pending"}`), 202, "apply invalidation")["id"].(string)
		c.expect(c.json("POST", petition+"/invalidations", pat(pid, "/invalidations"), camp, `{"cidr":"nonsense"}`), 422, "apply a bad invalidation")
		c.expect(c.json("POST", petition+"/invalidations", pat(pid, "/invalidations"), camp, `{`), 400, "apply, bad JSON")
		c.expect(c.json("POST", petition+"/invalidations", pat("nosuchpetition", "/invalidations"), camp, `{"domain":"x.org"}`), 404, "apply on a missing petition")
		c.expect(c.json("POST", petition+"/invalidations", pat(pid, "/invalidations"), viewer, `{"domain":"x.org"}`), 403, "viewer applies")
		c.expect(c.json("GET", "/api/v1/invalidations/{id}", "/api/v1/invalidations/"+inv, viewer, ""), 200, "invalidation progress")
		c.expect(c.json("GET", "/api/v1/invalidations/{id}", "/api/v1/invalidations/nosuchinvalidation", viewer, ""), 404, "missing invalidation")
		c.expect(c.json("POST", "/api/v1/invalidations/{id}/reverse", "/api/v1/invalidations/"+inv+"/reverse", camp, ""), 409, "reverse before it ran")
		c.expect(c.json("POST", "/api/v1/invalidations/{id}/reverse", "/api/v1/invalidations/nosuchinvalidation/reverse", camp, ""), 404, "reverse a missing invalidation")
		c.expect(c.json("POST", "/api/v1/invalidations/{id}/reverse", "/api/v1/invalidations/"+inv+"/reverse", viewer, ""), 403, "viewer reverses")
		if err := models.RunInvalidation(ctx, env.db.Gorm, inv, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		c.expect(c.json("POST", "/api/v1/invalidations/{id}/reverse", "/api/v1/invalidations/"+inv+"/reverse", camp, ""), 200, "reverse invalidation")
		c.expect(c.json("POST", petition+"/close", pat(pid, "/close"), camp, ""), 200, "close petition")
		c.expect(c.json("POST", sign, signAt, "", `{"name":"Late","email":"late@example.org","country":"GB"}`), 409, "sign a closed petition")
		// Media: upload (and its refusals), search, one item; a release that
		// carries them.
		mediaCall := func(token, filename string, data []byte, fields map[string]string) response {
			ct, body := multipartForm(t, fields, filename, data)
			return c.call("POST", "/api/v1/media", "/api/v1/media", token, ct, body.String(), nil)
		}
		photo := c.expect(mediaCall(press, "p.jpg", exifJPEG(t, 64, 48), map[string]string{"title": "Photo", "alt_text": "A photo"}), 201, "upload a photo")
		doc := c.expect(mediaCall(press, "r.pdf", []byte(testPDF), map[string]string{"title": "Report"}), 201, "upload a PDF")
		c.expect(mediaCall(press, "p.jpg", []byte("not an image"), map[string]string{"title": "x"}), 422, "upload of a wrong type")
		c.expect(mediaCall(press, "p.jpg", exifJPEG(t, 64, 48), map[string]string{"title": "No alt"}), 422, "upload without alt text")
		c.expect(mediaCall(press, "big.pdf", append([]byte("%PDF-1.4\n"), make([]byte, 21<<20)...), nil), 413, "upload too large")
		c.expect(mediaCall(viewer, "p.jpg", exifJPEG(t, 8, 8), map[string]string{"alt_text": "a"}), 403, "viewer upload")
		c.expect(mediaCall("", "p.jpg", exifJPEG(t, 8, 8), map[string]string{"alt_text": "a"}), 401, "upload without a token")
		c.expect(c.json("GET", "/api/v1/media", "/api/v1/media?q=photo", viewer, ""), 200, "search media")
		c.expect(c.json("GET", "/api/v1/media", "/api/v1/media", "", ""), 401, "media without a token")
		c.expect(c.json("GET", "/api/v1/media/{id}", "/api/v1/media/"+photo["id"].(string), viewer, ""), 200, "one media item")
		c.expect(c.json("GET", "/api/v1/media/{id}", "/api/v1/media/nosuchitem", viewer, ""), 404, "no such media item")
		withMedia := c.expect(c.json("POST", releases, releases, press, `{"headline":"With a photo","lead_image_id":"`+photo["id"].(string)+`","attachment_ids":["`+doc["id"].(string)+`"]}`), 201, "release with media")
		if withMedia["lead_image"] == nil || len(withMedia["attachments"].([]any)) != 1 {
			t.Errorf("release with media: %v", withMedia)
		}
		c.expect(c.json("POST", releases, releases, press, `{"headline":"Bad photo","lead_image_id":"`+doc["id"].(string)+`"}`), 422, "a PDF as lead image")

		// Urgent Actions: the targets directory.
		tgt := c.expect(c.json("POST", "/api/v1/targets", "/api/v1/targets", camp, `{"name":"Omar Marwan","salutation":"Dear Minister","email":"minister@justice.example.gov","country":"EG"}`), 201, "create target")["id"].(string)
		c.expect(c.json("POST", "/api/v1/targets", "/api/v1/targets", camp, `{"name":""}`), 422, "create a bad target")
		c.expect(c.json("POST", "/api/v1/targets", "/api/v1/targets", camp, `{`), 400, "create target, bad JSON")
		c.expect(c.json("POST", "/api/v1/targets", "/api/v1/targets", viewer, `{"name":"x"}`), 403, "viewer creates a target")
		c.expect(c.json("GET", "/api/v1/targets", "/api/v1/targets?q=omar", camp, ""), 200, "search targets")
		c.expect(c.json("GET", "/api/v1/targets", "/api/v1/targets?limit=0", camp, ""), 400, "targets, bad limit")
		c.expect(c.json("GET", "/api/v1/targets/{id}", "/api/v1/targets/"+tgt, camp, ""), 200, "one target")
		c.expect(c.json("GET", "/api/v1/targets/{id}", "/api/v1/targets/nosuchtarget", camp, ""), 404, "missing target")
		c.expect(c.json("PATCH", "/api/v1/targets/{id}", "/api/v1/targets/"+tgt, camp, `{"title":"Minister of Justice"}`), 200, "change target")
		c.expect(c.json("PATCH", "/api/v1/targets/{id}", "/api/v1/targets/"+tgt, camp, `{"email":"broken"}`), 422, "change target, bad address")
		c.expect(c.json("PATCH", "/api/v1/targets/{id}", "/api/v1/targets/nosuchtarget", camp, `{"title":"x"}`), 404, "change a missing target")
		c.expect(c.json("PATCH", "/api/v1/targets/{id}", "/api/v1/targets/"+tgt, camp, `{`), 400, "change target, bad JSON")
		c.expect(c.call("POST", "/api/v1/targets/import", "/api/v1/targets/import", camp, "text/csv", "name,email,salutation\nAmina Diallo,amina@embassy.example.org,Your Excellency\nBad,nope,\n", nil), 200, "import targets")
		c.expect(c.call("POST", "/api/v1/targets/import", "/api/v1/targets/import", camp, "text/csv", "name,salutation\nAmina,Dear\n", nil), 422, "import targets without an email column")

		// Urgent Actions: an action with the target, a letter, the counts.
		ua := c.expect(c.json("POST", releases, releases, camp, `{"kind":"action_alert","headline":"Free Sara Ahmed","body":"Sara Ahmed, a lawyer, was arrested on 2 June.","targets":["`+tgt+`"],
			"appeal_deadline":"2026-08-01T00:00:00Z","appeal_timezone":"Africa/Cairo","letter_subject":"Release her","letter_body":"Release her."}`), 201, "create an action")
		uaID := ua["id"].(string)
		c.expect(c.json("POST", release+"/submit", at(uaID, "/submit"), camp, ""), 200, "submit action")
		c.expect(c.json("POST", release+"/approve", at(uaID, "/approve"), approver, `{}`), 200, "desk approves action")
		uaSlug := c.expect(c.json("POST", release+"/approve", at(uaID, "/approve"), legal, `{}`), 200, "legal approves action")["slug"].(string)
		letters := "/api/v1/public/actions/{slug}/letters"
		lettersAt := "/api/v1/public/actions/" + uaSlug + "/letters"
		c.expect(c.call("OPTIONS", letters, lettersAt, "", "", "", map[string]string{"Origin": "https://www.example.org", "Access-Control-Request-Method": "POST"}), 204, "letter preflight")
		c.expect(c.json("POST", letters, lettersAt, "", `{"name":"Ana","email":"ana@example.org","country":"BR","subject":"Release her","body":"Release her, please."}`), 202, "write a letter")
		c.expect(c.json("POST", letters, lettersAt, "", `{"name":"Ana","email":"ana@example.org","country":"BR","subject":"Again","body":"Again."}`), 202, "write again before confirming")
		c.expect(c.json("POST", letters, lettersAt, "", `{"name":"","email":"nope","country":"BR","subject":"x","body":"x"}`), 422, "letter, bad fields")
		c.expect(c.json("POST", letters, lettersAt, "", `{`), 400, "letter, bad JSON")
		c.expect(c.json("POST", letters, "/api/v1/public/actions/nosuchaction/letters", "", `{}`), 404, "letter to a missing action")
		c.expect(c.json("GET", release+"/letters", at(uaID, "/letters"), viewer, ""), 200, "letters of an action")
		c.expect(c.json("GET", release+"/letters", at("nosuchrelease", "/letters"), viewer, ""), 404, "letters of a missing action")

		// Every documented operation was exercised.
		paths := c.o.doc["paths"].(map[string]any)
		for _, path := range sortedKeys(paths) {
			for _, method := range openAPIMethods {
				if _, ok := paths[path].(map[string]any)[method]; ok && !c.seen[method+" "+path] {
					t.Errorf("%s %s is documented but TestOpenAPIMatchesResponses never calls it: add a request for it", strings.ToUpper(method), path)
				}
			}
		}
	})
}
