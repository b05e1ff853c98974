package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"egovpm/internal/audit"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/workflows"
)

// The OpenAPI tests check server/openapi.yaml (the bytes GET /api/v1/openapi.yaml serves)
// against the route table, the handlers' request and response types and the fixed vocabulary
// of API.md, so that a route, field or id added in code without documenting it fails here.

type oaDoc struct {
	OpenAPI    string                          `yaml:"openapi"`
	Info       struct{ Title, Version string } `yaml:"info"`
	Security   []map[string][]string           `yaml:"security"`
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components struct {
		SecuritySchemes map[string]map[string]any `yaml:"securitySchemes"`
		Parameters      map[string]oaParameter    `yaml:"parameters"`
		Responses       map[string]oaResponse     `yaml:"responses"`
		Schemas         map[string]map[string]any `yaml:"schemas"`
	} `yaml:"components"`
}

type oaParameter struct {
	Ref      string `yaml:"$ref"`
	Name     string `yaml:"name"`
	In       string `yaml:"in"`
	Required bool   `yaml:"required"`
}

type oaMedia struct {
	Schema map[string]any `yaml:"schema"`
}

type oaResponse struct {
	Ref         string             `yaml:"$ref"`
	Description string             `yaml:"description"`
	Content     map[string]oaMedia `yaml:"content"`
}

type oaRequestBody struct {
	Required bool               `yaml:"required"`
	Content  map[string]oaMedia `yaml:"content"`
}

type oaOperation struct {
	OperationID string                 `yaml:"operationId"`
	Summary     string                 `yaml:"summary"`
	Security    *[]map[string][]string `yaml:"security"`
	XRoles      []string               `yaml:"x-roles"`
	Parameters  []oaParameter          `yaml:"parameters"`
	RequestBody *oaRequestBody         `yaml:"requestBody"`
	Responses   map[string]oaResponse  `yaml:"responses"`
}

// oaOp is one operation of the document with the path-level parameters merged in.
type oaOp struct {
	method, path string
	op           oaOperation
	params       []oaParameter // resolved, path-level then operation-level
}

var oaMethods = map[string]string{"get": http.MethodGet, "put": http.MethodPut, "post": http.MethodPost,
	"delete": http.MethodDelete, "options": http.MethodOptions, "head": http.MethodHead,
	"patch": http.MethodPatch, "trace": http.MethodTrace}

// loadOpenAPI parses the served document, typed and untyped.
func loadOpenAPI(t *testing.T) (oaDoc, map[string]any) {
	t.Helper()
	require.NotEmpty(t, openapiYAML, "openapi.yaml is empty")
	var doc oaDoc
	require.NoError(t, yaml.Unmarshal(openapiYAML, &doc), "openapi.yaml does not parse")
	var raw map[string]any
	require.NoError(t, yaml.Unmarshal(openapiYAML, &raw))
	return doc, raw
}

// operations lists the document's operations keyed by "METHOD /path".
func operations(t *testing.T, doc oaDoc) map[string]oaOp {
	t.Helper()
	out := map[string]oaOp{}
	for path, item := range doc.Paths {
		var pathParams []oaParameter
		if n, ok := item["parameters"]; ok {
			require.NoError(t, n.Decode(&pathParams), "%s parameters", path)
		}
		for key, node := range item {
			if key == "parameters" || key == "summary" || key == "description" || key == "servers" {
				continue
			}
			method, ok := oaMethods[key]
			require.True(t, ok, "%s: unknown key %q in a path item", path, key)
			var op oaOperation
			require.NoError(t, node.Decode(&op), "%s %s", key, path)
			o := oaOp{method: method, path: path, op: op}
			for _, p := range append(slices.Clone(pathParams), op.Parameters...) {
				o.params = append(o.params, resolveParam(t, doc, p))
			}
			out[method+" "+path] = o
		}
	}
	return out
}

func resolveParam(t *testing.T, doc oaDoc, p oaParameter) oaParameter {
	t.Helper()
	if p.Ref == "" {
		return p
	}
	name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/")
	require.True(t, ok, "parameter $ref %q", p.Ref)
	r, ok := doc.Components.Parameters[name]
	require.True(t, ok, "parameter $ref %q does not resolve", p.Ref)
	return r
}

func resolveResponse(t *testing.T, doc oaDoc, r oaResponse) oaResponse {
	t.Helper()
	if r.Ref == "" {
		return r
	}
	name, ok := strings.CutPrefix(r.Ref, "#/components/responses/")
	require.True(t, ok, "response $ref %q", r.Ref)
	res, ok := doc.Components.Responses[name]
	require.True(t, ok, "response $ref %q does not resolve", r.Ref)
	return res
}

// resolveSchema follows $ref (to components/schemas) until a schema without one.
func resolveSchema(t *testing.T, doc oaDoc, s map[string]any) map[string]any {
	t.Helper()
	for i := 0; s != nil && i < 10; i++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		name, ok := strings.CutPrefix(ref, "#/components/schemas/")
		require.True(t, ok, "schema $ref %q", ref)
		s, ok = doc.Components.Schemas[name]
		require.True(t, ok, "schema $ref %q does not resolve", ref)
	}
	return s
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// openAPIPath converts a Gin path (/projects/:id) to OpenAPI syntax (/projects/{id}).
func openAPIPath(ginPath string) string { return ginParam.ReplaceAllString(ginPath, "{$1}") }

func ginParams(ginPath string) []string {
	var out []string
	for _, m := range ginParam.FindAllStringSubmatch(ginPath, -1) {
		out = append(out, m[1])
	}
	return out
}

func routeKey(r route) string { return r.method + " " + openAPIPath(r.path) }

// routeDiff returns the routes missing from the document and the operations of the document
// that no route serves.
func routeDiff(routes []route, ops map[string]oaOp) (missing, extra []string) {
	inTable := map[string]bool{}
	for _, r := range routes {
		k := routeKey(r)
		inTable[k] = true
		if _, ok := ops[k]; !ok {
			missing = append(missing, k+" (Gin "+r.path+")")
		}
	}
	for k := range ops {
		if !inTable[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

// expectedRoles is what x-roles must say for an access rule.
func expectedRoles(a access) []string {
	switch {
	case a.public:
		return []string{"public"}
	case len(a.roles) == 0:
		return []string{"signed-in"}
	}
	return a.roles
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}

// routeHandlers reads the handler method name of every routeTable entry from the source
// (the table holds closures, whose names reflection cannot recover), keyed like routeKey.
func routeHandlers(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	out := map[string]string{}
	found := false
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err, f)
		ast.Inspect(file, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if name.Name != "routeTable" || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.CompositeLit)
				require.True(t, ok, "routeTable is not a composite literal")
				found = true
				for _, e := range lit.Elts {
					k, h := routeEntry(t, fset, e)
					out[k] = h
				}
			}
			return false
		})
	}
	require.True(t, found, "routeTable not found in the package source")
	return out
}

func routeEntry(t *testing.T, fset *token.FileSet, e ast.Expr) (key, handler string) {
	t.Helper()
	lit, ok := e.(*ast.CompositeLit)
	require.True(t, ok, "%s: routeTable entry is not a literal", fset.Position(e.Pos()))
	var method, path, hdl ast.Expr
	for i, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			switch kv.Key.(*ast.Ident).Name {
			case "method":
				method = kv.Value
			case "path":
				path = kv.Value
			case "handler":
				hdl = kv.Value
			}
			continue
		}
		switch i {
		case 0:
			method = el
		case 1:
			path = el
		case 3:
			hdl = el
		}
	}
	pos := fset.Position(e.Pos())
	var m string
	switch v := method.(type) {
	case *ast.SelectorExpr: // http.MethodGet
		m = strings.ToUpper(strings.TrimPrefix(v.Sel.Name, "Method"))
	case *ast.BasicLit:
		m, _ = strconv.Unquote(v.Value)
	}
	pl, ok := path.(*ast.BasicLit)
	require.True(t, ok && m != "", "%s: cannot read the method and path of the route", pos)
	p, err := strconv.Unquote(pl.Value)
	require.NoError(t, err)
	// h((*Server).name) or (*Server).name
	if call, ok := hdl.(*ast.CallExpr); ok && len(call.Args) == 1 {
		hdl = call.Args[0]
	}
	sel, ok := hdl.(*ast.SelectorExpr)
	require.True(t, ok, "%s: cannot read the handler name of %s %s (expected h((*Server).name))", pos, m, p)
	return m + " " + openAPIPath(p), sel.Sel.Name
}

var (
	hanRE   = regexp.MustCompile(`\p{Han}`)
	latinRE = regexp.MustCompile(`[A-Za-z]{2,}`)
)

// requiredErrors lists the error statuses an operation must document, derived from its
// route: authentication, the role check, path lookups and request decoding.
func requiredErrors(r route, o oaOp) []string {
	var req []string
	if !r.access.public {
		req = append(req, "401")
	}
	if len(r.access.roles) > 0 {
		req = append(req, "403")
	}
	for _, p := range ginParams(r.path) {
		if p == "year" { // validated, not looked up
			req = append(req, "400")
		} else {
			req = append(req, "404")
		}
	}
	for _, p := range o.params {
		if p.In == "query" {
			req = append(req, "400")
			break
		}
	}
	if o.op.RequestBody != nil {
		req = append(req, "400", "413", "415")
	}
	if r.limited {
		req = append(req, "429")
	}
	slices.Sort(req)
	return slices.Compact(req)
}

func TestOpenAPIDocumentHeader(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	require.Equal(t, "3.1.0", doc.OpenAPI)
	require.Equal(t, "egovpm API", doc.Info.Title)
	require.Equal(t, "1", doc.Info.Version)
	bearer := doc.Components.SecuritySchemes["bearerAuth"]
	require.Equal(t, "http", bearer["type"])
	require.Equal(t, "bearer", bearer["scheme"])
	require.Equal(t, "JWT", bearer["bearerFormat"])
	require.Equal(t, []map[string][]string{{"bearerAuth": {}}}, doc.Security, "default security must be bearerAuth")
}

// TestOpenAPICoversRouteTable fails when a route is added without documenting it, or a
// documented operation is served by no route.
func TestOpenAPICoversRouteTable(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	ops := operations(t, doc)

	seen := map[string]bool{}
	for _, r := range routeTable {
		require.False(t, seen[routeKey(r)], "route %s listed twice in routeTable", routeKey(r))
		seen[routeKey(r)] = true
	}
	missing, extra := routeDiff(routeTable, ops)
	require.Empty(t, missing, "routes in routeTable missing from openapi.yaml")
	require.Empty(t, extra, "operations in openapi.yaml that routeTable does not serve")
}

// TestOpenAPIRouteDiffDetects shows that the coverage check notices an undocumented route and
// a documented operation without a route.
func TestOpenAPIRouteDiffDetects(t *testing.T) {
	require.Equal(t, "/api/v1/projects/{id}/documents/{doc_id}", openAPIPath("/api/v1/projects/:id/documents/:doc_id"))
	ops := map[string]oaOp{"GET /a/{id}": {}, "POST /b": {}}
	routes := []route{{method: http.MethodGet, path: "/a/:id"}, {method: http.MethodPut, path: "/c/:x"}}
	missing, extra := routeDiff(routes, ops)
	require.Equal(t, []string{"PUT /c/{x} (Gin /c/:x)"}, missing)
	require.Equal(t, []string{"POST /b"}, extra)
}

func TestOpenAPIOperations(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	ops := operations(t, doc)
	handlers := routeHandlers(t)
	require.Len(t, handlers, len(routeTable), "routeTable entries read from source vs at run time")

	opIDs := map[string]string{}
	for _, r := range routeTable {
		k := routeKey(r)
		o, ok := ops[k]
		if !ok {
			continue // reported by TestOpenAPICoversRouteTable
		}
		t.Run(k, func(t *testing.T) {
			op := o.op
			// operationId: present, unique, the handler's name.
			require.NotEmpty(t, op.OperationID, "operationId")
			handler, ok := handlers[k]
			require.True(t, ok, "handler of %s not found in the routeTable source", k)
			require.Equal(t, handler, op.OperationID, "operationId must be the handler name")
			if prev, dup := opIDs[op.OperationID]; dup {
				require.Failf(t, "duplicate operationId", "%s also used by %s", op.OperationID, prev)
			}
			opIDs[op.OperationID] = k

			// Summary in Chinese and English.
			require.Regexp(t, hanRE, op.Summary, "summary must have Chinese")
			require.Regexp(t, latinRE, op.Summary, "summary must have English")

			// Security: public routes opt out, every other inherits bearerAuth.
			if r.access.public {
				require.NotNil(t, op.Security, "public route needs security: []")
				require.Empty(t, *op.Security, "public route needs security: []")
			} else if op.Security != nil {
				require.Contains(t, *op.Security, map[string][]string{"bearerAuth": {}}, "signed-in route must use bearerAuth")
			}

			// x-roles: the route's access rule, as a set without repeats.
			require.NotEmpty(t, op.XRoles, "x-roles")
			require.Len(t, slices.Compact(sortedCopy(op.XRoles)), len(op.XRoles), "x-roles has repeats")
			require.Equal(t, sortedCopy(expectedRoles(r.access)), sortedCopy(op.XRoles), "x-roles vs routeTable access")

			// Path parameters: exactly the Gin ones, required.
			var inPath []string
			for _, p := range o.params {
				if p.In == "path" {
					require.True(t, p.Required, "path parameter %s must be required", p.Name)
					inPath = append(inPath, p.Name)
				}
			}
			require.ElementsMatch(t, ginParams(r.path), inPath, "path parameters")

			// JSON request bodies reject unknown fields.
			if op.RequestBody != nil {
				require.NotEmpty(t, op.RequestBody.Content, "requestBody content")
				for ct, m := range op.RequestBody.Content {
					s := resolveSchema(t, doc, m.Schema)
					require.NotNil(t, s, "requestBody %s schema", ct)
					if ct == "application/json" {
						require.Equal(t, false, s["additionalProperties"], "JSON body schema must be additionalProperties: false")
					}
				}
			}

			// Responses: a 2xx; every error is the Error body; the errors the route can give.
			var success []string
			for code, resp := range op.Responses {
				res := resolveResponse(t, doc, resp)
				require.NotEmpty(t, res.Description, "response %s description", code)
				n, err := strconv.Atoi(code)
				require.NoError(t, err, "response code %q", code)
				switch {
				case n >= 200 && n < 300:
					success = append(success, code)
				case n >= 400:
					m, ok := res.Content["application/json"]
					require.True(t, ok, "error response %s must be application/json", code)
					require.Equal(t, "#/components/schemas/Error", m.Schema["$ref"], "error response %s must use Error", code)
				}
			}
			require.NotEmpty(t, success, "no 2xx response")
			for _, code := range requiredErrors(r, o) {
				_, ok := op.Responses[code]
				require.True(t, ok, "missing error response %s", code)
			}
		})
	}
}

// TestOpenAPIRefsResolve checks every $ref in the document points at something.
func TestOpenAPIRefsResolve(t *testing.T) {
	_, raw := loadOpenAPI(t)
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$ref" {
					ref, ok := x.(string)
					require.True(t, ok, "%s: $ref is not a string", at)
					require.True(t, strings.HasPrefix(ref, "#/"), "%s: only local $ref: %s", at, ref)
					var cur any = raw
					for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
						part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
						m, ok := cur.(map[string]any)
						require.True(t, ok, "%s: $ref %s does not resolve", at, ref)
						cur, ok = m[part]
						require.True(t, ok, "%s: $ref %s does not resolve", at, ref)
					}
					continue
				}
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(raw, "#")
}

func schemaEnum(t *testing.T, doc oaDoc, name string) []string {
	t.Helper()
	s, ok := doc.Components.Schemas[name]
	require.True(t, ok, "schema %s", name)
	var out []string
	for _, v := range s["enum"].([]any) {
		out = append(out, v.(string))
	}
	return out
}

func oneOfTag(t *testing.T, typ reflect.Type, field string) []string {
	t.Helper()
	f, ok := typ.FieldByName(field)
	require.True(t, ok, "%s.%s", typ, field)
	for _, part := range strings.Split(f.Tag.Get("validate"), ",") {
		if v, ok := strings.CutPrefix(part, "oneof="); ok {
			return strings.Fields(v)
		}
	}
	require.Failf(t, "no oneof", "%s.%s", typ, field)
	return nil
}

// TestOpenAPIVocabulary checks the enums against API.md's fixed vocabulary as the code has it.
func TestOpenAPIVocabulary(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	stages := make([]string, 0, len(domain.Stages))
	for _, s := range domain.Stages {
		stages = append(stages, string(s))
	}
	require.Equal(t, stages, schemaEnum(t, doc, "Stage"))
	require.Equal(t, domain.ProjectTypes, schemaEnum(t, doc, "ProjectType"))
	require.Equal(t, oneOfTag(t, reflect.TypeFor[createProjectReq](), "Type"), schemaEnum(t, doc, "ProjectType"))
	require.Equal(t, domain.TaskKinds, schemaEnum(t, doc, "TaskKind"))
	require.Equal(t, domain.DocKinds, schemaEnum(t, doc, "DocumentKind"))
	require.Equal(t, []string(domain.Roles), schemaEnum(t, doc, "Role"))
	require.Equal(t, []string{domain.DecisionApprove, domain.DecisionReturn, domain.DecisionReject, domain.DecisionPass,
		domain.DecisionFail}, schemaEnum(t, doc, "Decision"))
	require.Equal(t, oneOfTag(t, reflect.TypeFor[decisionReq](), "Decision"), schemaEnum(t, doc, "Decision"))
}

// TestOpenAPISchemasMatchCode checks the documented bodies field by field against the Go types
// the handlers decode and encode: request properties and required fields against the json and
// validate tags, response properties against the json tags (required = not omitempty).
func TestOpenAPISchemasMatchCode(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	requests := map[string]reflect.Type{
		"CreateProjectRequest":  reflect.TypeFor[createProjectReq](),
		"PatchProjectRequest":   reflect.TypeFor[patchProjectReq](),
		"DecisionRequest":       reflect.TypeFor[decisionReq](),
		"ExpertSessionRequest":  reflect.TypeFor[sessionReq](),
		"CompileRequest":        reflect.TypeFor[compileReq](),
		"BundleRequest":         reflect.TypeFor[bundleReq](),
		"ContractRequest":       reflect.TypeFor[contractReq](),
		"OMReportRequest":       reflect.TypeFor[omReportReq](),
		"RecordPaymentRequest":  reflect.TypeFor[recordPaymentReq](),
		"ConfirmPaymentRequest": reflect.TypeFor[confirmPaymentReq](),
		"ReassignRequest":       reflect.TypeFor[reassignReq](),
		"ChangePasswordRequest": reflect.TypeFor[changePasswordReq](),
	}
	responses := map[string]reflect.Type{
		"Error":               reflect.TypeFor[errorBody](),
		"Project":             reflect.TypeFor[projectJSON](),
		"Task":                reflect.TypeFor[taskJSON](),
		"Document":            reflect.TypeFor[store.DocumentRow](),
		"TimelineEntry":       reflect.TypeFor[store.TimelineEntry](),
		"SimilarProject":      reflect.TypeFor[store.SimilarRow](),
		"Notification":        reflect.TypeFor[store.Notification](),
		"PlanItem":            reflect.TypeFor[store.PlanItemRow](),
		"Bundle":              reflect.TypeFor[store.BundleRow](),
		"AuditRow":            reflect.TypeFor[store.AuditListRow](),
		"AuditVerifyResult":   reflect.TypeFor[audit.Result](),
		"DecisionResult":      reflect.TypeFor[workflows.DecideResult](),
		"ConveneResult":       reflect.TypeFor[workflows.ConveneResult](),
		"CompileResult":       reflect.TypeFor[workflows.CompileResult](),
		"BundleCreated":       reflect.TypeFor[bundleCreatedJSON](),
		"Payment":             reflect.TypeFor[paymentJSON](),
		"FundsRow":            reflect.TypeFor[fundsRowJSON](),
		"SubmissionWindow":    reflect.TypeFor[submissionWindowJSON](),
		"UnreadCount":         reflect.TypeFor[unreadJSON](),
		"NotificationsMarked": reflect.TypeFor[readAllJSON](),
		"Dashboard":           reflect.TypeFor[dashboardJSON](),
		"PlanTotals":          reflect.TypeFor[planTotalsJSON](),
		"CompileCandidates":   reflect.TypeFor[compileCandidatesJSON](),
		"OpsConfig":           reflect.TypeFor[opsConfigJSON](),
		"BundleCandidates":    reflect.TypeFor[bundleCandidatesJSON](),
		"Panel":               reflect.TypeFor[panelJSON](),
		"Checklist":           reflect.TypeFor[checklistJSON](),
	}
	for name, typ := range requests {
		t.Run(name, func(t *testing.T) {
			compareSchema(t, doc, name, doc.Components.Schemas[name], typ, true)
		})
	}
	for name, typ := range responses {
		t.Run(name, func(t *testing.T) {
			compareSchema(t, doc, name, doc.Components.Schemas[name], typ, false)
		})
	}
}

type goField struct {
	name     string
	typ      reflect.Type
	required bool
}

// jsonFields lists the JSON fields of a struct type as encoding/json sees them.
func jsonFields(typ reflect.Type, request bool) []goField {
	var out []goField
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type, request)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		if !request && name == "request_hash" && typ.PkgPath() == "egovpm/workflows" {
			continue // the Idempotency-Key check's, cleared before the reply (sameRequest)
		}
		req := !slices.Contains(strings.Split(opts, ","), "omitempty")
		if request {
			first, _, _ := strings.Cut(f.Tag.Get("validate"), ",")
			req = first == "required"
		}
		out = append(out, goField{name: name, typ: f.Type, required: req})
	}
	return out
}

func stringList(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
	}
	sort.Strings(out)
	return out
}

func compareSchema(t *testing.T, doc oaDoc, at string, schema map[string]any, typ reflect.Type, request bool) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	require.NotNil(t, schema, "%s: no schema", at)
	schema = resolveSchema(t, doc, schema)
	switch {
	case typ == reflect.TypeFor[time.Time]():
	case typ.Kind() == reflect.Struct:
		props, ok := schema["properties"].(map[string]any)
		require.True(t, ok, "%s: object schema without properties (for %s)", at, typ)
		if request {
			require.Equal(t, false, schema["additionalProperties"], "%s: request objects must be additionalProperties: false", at)
		}
		var names, required []string
		for _, f := range jsonFields(typ, request) {
			names = append(names, f.name)
			if f.required {
				required = append(required, f.name)
			}
		}
		var documented []string
		for k := range props {
			documented = append(documented, k)
		}
		require.ElementsMatch(t, names, documented, "%s: properties vs json tags of %s", at, typ)
		sort.Strings(required)
		require.Equal(t, required, stringList(schema["required"]), "%s: required vs %s", at, typ)
		for _, f := range jsonFields(typ, request) {
			p, _ := props[f.name].(map[string]any)
			compareSchema(t, doc, at+"."+f.name, p, f.typ, request)
		}
	case typ.Kind() == reflect.Slice:
		elem := typ.Elem()
		for elem.Kind() == reflect.Pointer {
			elem = elem.Elem()
		}
		if elem.Kind() == reflect.Struct && elem != reflect.TypeFor[time.Time]() {
			items, ok := schema["items"].(map[string]any)
			require.True(t, ok, "%s: array schema without items (for %s)", at, typ)
			compareSchema(t, doc, at+"[]", items, elem, request)
		}
	}
}
