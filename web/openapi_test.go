package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/surgedesk/surgedesk"
	"github.com/surgedesk/surgedesk/config"
)

// errorSchemaRef is what every error response must point at.
const errorSchemaRef = "#/components/schemas/Error"

// notErrorShaped lists error responses that deliberately carry another body,
// so the Error-schema check below knows them; an entry that no longer
// matches a documented response fails the test, so the list cannot go stale.
var notErrorShaped = map[string]string{
	"GET /readyz 503":           "readyz reports its checks, not an Error",
	"POST /dashboard/login 400": "a browser's form post gets the form again, saying why",
	"POST /dashboard/login 401": "a browser's form post gets the form again, saying why",
	"POST /dashboard/login 403": "a browser's form post gets the form again, saying why",
}

// openAPIDoc is the part of an OpenAPI document these tests read.
type openAPIDoc struct {
	OpenAPI    string                          `yaml:"openapi"`
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components struct {
		Responses       map[string]openAPIResponse `yaml:"responses"`
		Schemas         map[string]openAPISchema   `yaml:"schemas"`
		SecuritySchemes map[string]yaml.Node       `yaml:"securitySchemes"`
	} `yaml:"components"`
}

type openAPIOperation struct {
	Responses map[string]openAPIResponse `yaml:"responses"`
	Security  []map[string][]string      `yaml:"security"`
	Role      string                     `yaml:"x-required-role"`
}

type openAPIResponse struct {
	Ref     string `yaml:"$ref"`
	Content map[string]struct {
		Schema openAPISchema `yaml:"schema"`
	} `yaml:"content"`
}

type openAPISchema struct {
	Ref        string                   `yaml:"$ref"`
	Required   []string                 `yaml:"required"`
	Properties map[string]openAPISchema `yaml:"properties"`
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loadOpenAPI parses the embedded document: the one GET /openapi.yaml serves.
func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := yaml.Unmarshal(surgedesk.OpenAPI, &doc); err != nil {
		t.Fatalf("web: openapi.yaml does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("web: openapi.yaml declares version %q, want 3.1.x", doc.OpenAPI)
	}
	return doc
}

// operations returns every documented operation keyed "METHOD /path".
func (d openAPIDoc) operations(t *testing.T) map[string]openAPIOperation {
	t.Helper()
	ops := map[string]openAPIOperation{}
	for path, item := range d.Paths {
		for key, node := range item {
			if !slices.Contains(httpMethods, key) {
				continue // summary, parameters and the like
			}
			var op openAPIOperation
			if err := node.Decode(&op); err != nil {
				t.Fatalf("web: openapi.yaml: %s %s: %v", key, path, err)
			}
			ops[strings.ToUpper(key)+" "+path] = op
		}
	}
	return ops
}

// resolve follows a response's $ref into components/responses.
func (d openAPIDoc) resolve(r openAPIResponse) (openAPIResponse, bool) {
	if r.Ref == "" {
		return r, true
	}
	name, ok := strings.CutPrefix(r.Ref, "#/components/responses/")
	if !ok {
		return r, false
	}
	got, ok := d.Components.Responses[name]
	return got, ok
}

func newTestServer(cfg config.Config) *Server {
	// No handler past authentication is called, so nil dependencies do.
	return New(Options{Config: cfg, Registry: prometheus.NewRegistry(), Log: slog.New(slog.DiscardHandler)})
}

// registeredRoutes returns routeTable's patterns as "METHOD /path", in
// OpenAPI's path syntax, without the catch-all.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, rt := range newTestServer(config.Default()).routeTable() {
		if rt.pattern == "/" {
			continue // the JSON 404 for everything else
		}
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			// A method-less pattern answers every method and cannot be
			// described one operation at a time.
			t.Errorf("web: route %q has no method", rt.pattern)
			continue
		}
		// ServeMux wildcards: {name...} is {name} in OpenAPI; {$} is nothing.
		path = strings.ReplaceAll(strings.ReplaceAll(path, "...}", "}"), "{$}", "")
		out = append(out, method+" "+path)
	}
	return out
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	routes := registeredRoutes(t)
	ops := loadOpenAPI(t).operations(t)
	for _, r := range routes {
		if _, ok := ops[r]; !ok {
			t.Errorf("web: route %s is registered but not in openapi.yaml", r)
		}
	}
	for op := range ops {
		if !slices.Contains(routes, op) {
			t.Errorf("web: openapi.yaml documents %s, which routes() does not register", op)
		}
	}
	if len(routes) == 0 {
		t.Fatal("web: routeTable returned no routes")
	}
}

func TestOpenAPIResponses(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	if _, ok := doc.Components.Schemas["Error"]; !ok {
		t.Fatalf("web: openapi.yaml has no components.schemas.Error")
	}
	used := map[string]bool{}
	for name, op := range doc.operations(t) {
		t.Run(name, func(t *testing.T) {
			if len(op.Responses) == 0 {
				t.Fatalf("web: %s documents no response", name)
			}
			for status, r := range op.Responses {
				if !strings.HasPrefix(status, "4") && !strings.HasPrefix(status, "5") && status != "default" {
					continue
				}
				key := name + " " + status
				if _, ok := notErrorShaped[key]; ok {
					used[key] = true
					continue
				}
				res, ok := doc.resolve(r)
				if !ok {
					t.Errorf("web: %s: $ref %q does not resolve", key, r.Ref)
					continue
				}
				media, ok := res.Content["application/json"]
				if !ok {
					t.Errorf("web: %s has no application/json content", key)
					continue
				}
				if media.Schema.Ref != errorSchemaRef {
					t.Errorf("web: %s schema is %q, want $ref %s", key, media.Schema.Ref, errorSchemaRef)
				}
			}
		})
	}
	for key := range notErrorShaped {
		if !used[key] {
			t.Errorf("web: notErrorShaped lists %s, which openapi.yaml no longer documents", key)
		}
	}
}

// TestOpenAPIErrorSchema checks the documented Error shape against what
// writeError actually sends.
func TestOpenAPIErrorSchema(t *testing.T) {
	t.Parallel()
	schema := loadOpenAPI(t).Components.Schemas["Error"]
	rec := httptest.NewRecorder()
	newTestServer(config.Default()).writeError(rec, newError(http.StatusBadRequest, "missing_field", "text"))
	var body map[string]map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("web: writeError wrote %q: %v", rec.Body.String(), err)
	}
	tests := []struct {
		name     string
		required []string
		written  []string
	}{
		{"top level", schema.Required, []string{"error"}},
		{"error object", schema.Properties["error"].Required, keys(body["error"])},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			slices.Sort(tc.required)
			slices.Sort(tc.written)
			if !slices.Equal(tc.required, tc.written) {
				t.Errorf("web: Error schema requires %v, writeError writes %v", tc.required, tc.written)
			}
		})
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestOpenAPIRoles checks each operation's documented bearer role against
// the server: no credentials is a 401, and a token holding every role but
// that one (and admin) is a 403. Neither reaches a handler.
func TestOpenAPIRoles(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	tokens := map[string]string{} // role → a token lacking it
	for _, role := range config.AllRoles {
		var roles []string
		for _, r := range config.AllRoles {
			if r != role && r != config.RoleAdmin {
				roles = append(roles, r)
			}
		}
		tok := "test-token-without-" + role
		tokens[role] = tok
		cfg.Auth.Tokens = append(cfg.Auth.Tokens, config.Token{Name: "no-" + role, Token: tok, Roles: roles})
	}
	srv := newTestServer(cfg)
	doc := loadOpenAPI(t)
	for _, scheme := range []string{"bearerAuth", "sourceSignature"} {
		if _, ok := doc.Components.SecuritySchemes[scheme]; !ok {
			t.Errorf("web: components.securitySchemes lacks %s", scheme)
		}
	}

	checked := 0
	for name, op := range doc.operations(t) {
		var role string
		for _, req := range op.Security {
			if r, ok := req["bearerAuth"]; ok && len(r) == 1 {
				role = r[0]
			}
		}
		if role != op.Role {
			t.Errorf("web: %s: x-required-role %q, but security names %q", name, op.Role, role)
		}
		if role == "" {
			continue // public; calling it would reach a handler
		}
		checked++
		for _, status := range []string{"401", "403"} {
			if _, ok := op.Responses[status]; !ok {
				t.Errorf("web: %s needs the %s role but does not document %s", name, role, status)
			}
		}
		method, path, _ := strings.Cut(name, " ")
		path = strings.ReplaceAll(path, "{id}", "iq_000000000000000000000000")
		tests := []struct {
			name   string
			token  string
			status int
		}{
			{"no credentials", "", http.StatusUnauthorized},
			{"unknown token", "not-a-configured-token", http.StatusUnauthorized},
			{"token without " + role, tokens[role], http.StatusForbidden},
		}
		for _, tc := range tests {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				req := httptest.NewRequest(method, path, strings.NewReader("{}"))
				if tc.token != "" {
					req.Header.Set("Authorization", "Bearer "+tc.token)
				}
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != tc.status {
					t.Errorf("web: %s: status %d, want %d (body %s)", name, rec.Code, tc.status, rec.Body)
				}
			})
		}
	}
	if checked == 0 {
		t.Fatal("web: no operation in openapi.yaml requires a bearer role")
	}
}
