// Package openapi30 down-converts an OpenAPI 3.1 document to OpenAPI 3.0.3, for the client
// generators that read only 3.0 (oapi-codegen, many others). server/openapi.yaml stays the 3.1
// contract; the 3.0 copy describes the same JSON on the wire.
//
// What changes (3.1 → 3.0):
//
//   - `openapi: 3.1.x` becomes `3.0.3`; `jsonSchemaDialect`, `webhooks` and
//     `components.pathItems` (3.1 only) are dropped; `info.summary` becomes the first paragraph
//     of `info.description`; `info.license.identifier` is dropped.
//   - A Reference Object outside a schema loses its `summary` and `description` (3.0 allows no
//     siblings of `$ref` there).
//   - In every schema: `type: [T, "null"]` becomes `type: T` with `nullable: true` (several
//     non-null types become an `anyOf` of them); a `{type: "null"}` alternative of `oneOf` or
//     `anyOf` is removed and makes the schema `nullable` (a single remaining alternative
//     becomes `allOf: [it]`); `const: v` becomes `enum: [v]`; `examples: [a, …]` becomes
//     `example: a`; a numeric `exclusiveMinimum`/`exclusiveMaximum` becomes
//     `minimum`/`maximum` with the boolean form; `contentMediaType` becomes `format: binary`
//     and `contentEncoding: base64` `format: byte`; a `$ref` with sibling keywords that constrain becomes
//     `allOf: [{$ref}]` beside them, and loses siblings that only annotate (3.0 ignores a
//     `$ref`'s siblings); JSON Schema keywords 3.0
//     does not have (`$schema`, `$id`, `$comment`, `$defs`, `prefixItems`, `if`/`then`/`else`,
//     `dependentSchemas`, `dependentRequired`, `patternProperties`, `propertyNames`,
//     `unevaluatedProperties`, `unevaluatedItems`, `contains`, `minContains`, `maxContains`)
//     are dropped: the copy may then accept more than the contract, never less.
package openapi30

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Convert reads an OpenAPI 3.1 document (YAML or JSON) and returns its OpenAPI 3.0.3 form as
// YAML (keys sorted).
func Convert(doc []byte) ([]byte, error) {
	var root map[string]any
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, fmt.Errorf("openapi30: parse: %w", err)
	}
	v, _ := root["openapi"].(string)
	if !strings.HasPrefix(v, "3.1.") {
		return nil, fmt.Errorf("openapi30: the document is OpenAPI %q, want 3.1.x", v)
	}
	root["openapi"] = "3.0.3"
	delete(root, "jsonSchemaDialect")
	delete(root, "webhooks")
	if info, ok := root["info"].(map[string]any); ok {
		if s, ok := info["summary"].(string); ok {
			d, _ := info["description"].(string)
			info["description"] = strings.TrimSpace(s + "\n\n" + d)
			delete(info, "summary")
		}
		if l, ok := info["license"].(map[string]any); ok {
			delete(l, "identifier")
		}
	}
	var c conv
	comps, _ := root["components"].(map[string]any)
	c.schemas, _ = comps["schemas"].(map[string]any)
	if comps != nil {
		delete(comps, "pathItems")
		eachValue(comps["parameters"], c.parameter)
		eachValue(comps["headers"], c.parameter)
		eachValue(comps["responses"], c.response)
		eachValue(comps["requestBodies"], c.requestBody)
	}
	eachValue(root["paths"], c.pathItem)
	// The component schemas last: a schema's type is looked up in them before conversion.
	if comps != nil {
		eachValue(comps["schemas"], c.schema)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("openapi30: write: %w", err)
	}
	return out.Bytes(), enc.Close()
}

func eachValue(v any, fn func(any)) {
	if m, ok := v.(map[string]any); ok {
		for _, x := range m {
			fn(x)
		}
	}
}

func eachItem(v any, fn func(any)) {
	if l, ok := v.([]any); ok {
		for _, x := range l {
			fn(x)
		}
	}
}

// conv converts one document.
type conv struct {
	// schemas are the document's components.schemas, for the type of a referenced schema.
	schemas map[string]any
}

// reference strips the siblings 3.0 does not allow beside a $ref outside schemas, and reports
// whether v is a Reference Object.
func reference(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if _, ok := m["$ref"]; !ok {
		return false
	}
	delete(m, "summary")
	delete(m, "description")
	return true
}

var operationKeys = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func (c *conv) pathItem(v any) {
	m, ok := v.(map[string]any)
	if !ok || reference(v) {
		return
	}
	eachItem(m["parameters"], c.parameter)
	for _, k := range operationKeys {
		op, ok := m[k].(map[string]any)
		if !ok {
			continue
		}
		eachItem(op["parameters"], c.parameter)
		c.requestBody(op["requestBody"])
		eachValue(op["responses"], c.response)
		eachValue(op["callbacks"], func(cb any) {
			if !reference(cb) {
				eachValue(cb, c.pathItem)
			}
		})
	}
}

// parameter converts a Parameter or Header Object.
func (c *conv) parameter(v any) {
	m, ok := v.(map[string]any)
	if !ok || reference(v) {
		return
	}
	c.schema(m["schema"])
	eachValue(m["content"], c.mediaType)
}

func (c *conv) requestBody(v any) {
	m, ok := v.(map[string]any)
	if !ok || reference(v) {
		return
	}
	eachValue(m["content"], c.mediaType)
}

func (c *conv) response(v any) {
	m, ok := v.(map[string]any)
	if !ok || reference(v) {
		return
	}
	eachValue(m["headers"], c.parameter)
	eachValue(m["content"], c.mediaType)
}

func (c *conv) mediaType(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	c.schema(m["schema"])
	eachValue(m["encoding"], func(e any) {
		if em, ok := e.(map[string]any); ok {
			eachValue(em["headers"], c.parameter)
		}
	})
}

// dropped are the JSON Schema keywords of 3.1 that a 3.0 Schema Object does not have.
var dropped = []string{"$schema", "$id", "$anchor", "$dynamicAnchor", "$dynamicRef", "$comment", "$defs",
	"prefixItems", "if", "then", "else", "dependentSchemas", "dependentRequired", "patternProperties",
	"propertyNames", "unevaluatedProperties", "unevaluatedItems", "contains", "minContains", "maxContains"}

// schema converts a Schema Object in place, and its subschemas.
func (c *conv) schema(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	// Subschemas first, so that a {type: "null"} alternative is seen as one.
	eachValue(m["properties"], c.schema)
	c.schema(m["items"])
	c.schema(m["additionalProperties"])
	c.schema(m["not"])
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		eachItem(m[k], c.schema)
	}
	for _, k := range dropped {
		delete(m, k)
	}

	byType := typeNullable(m)
	if byAlt := c.altsNullable(m); byType || byAlt {
		c.nullable(m)
	}
	keywords30(m)
	refSiblings(m)
}

// typeNullable rewrites a type list (3.1) as 3.0 says it: the one type, or anyOf the types;
// it reports whether the list (or the type) admitted null.
func typeNullable(m map[string]any) bool {
	nullable := false
	switch t := m["type"].(type) {
	case []any:
		var types []string
		for _, x := range t {
			if s, _ := x.(string); s == "null" {
				nullable = true
			} else if s != "" {
				types = append(types, s)
			}
		}
		switch len(types) {
		case 0:
			delete(m, "type")
		case 1:
			m["type"] = types[0]
		default:
			delete(m, "type")
			alts := make([]any, len(types))
			for i, s := range types {
				alts[i] = map[string]any{"type": s}
			}
			m["anyOf"] = alts
		}
	case string:
		if t == "null" {
			delete(m, "type")
			nullable = true
		}
	}
	return nullable
}

// altsNullable drops the {type: "null"} alternatives of oneOf and anyOf; it reports whether
// there was one.
func (c *conv) altsNullable(m map[string]any) bool {
	nullable := false
	for _, k := range []string{"oneOf", "anyOf"} {
		alts, ok := m[k].([]any)
		if !ok {
			continue
		}
		var keep []any
		for _, a := range alts {
			if isNullSchema(a) {
				nullable = true
			} else {
				keep = append(keep, a)
			}
		}
		switch {
		case len(keep) == len(alts):
		case len(keep) == 1 && m["allOf"] == nil:
			delete(m, k)
			m["allOf"] = keep
		default:
			m[k] = keep
		}
	}
	return nullable
}

// keywords30 rewrites the 3.1 keywords 3.0 says otherwise: const, examples, the numeric
// exclusive bounds, contentMediaType and contentEncoding.
func keywords30(m map[string]any) {
	if c, ok := m["const"]; ok {
		delete(m, "const")
		m["enum"] = []any{c}
	}
	if ex, ok := m["examples"].([]any); ok {
		delete(m, "examples")
		if len(ex) > 0 {
			m["example"] = ex[0]
		}
	}
	for _, b := range [][2]string{{"exclusiveMinimum", "minimum"}, {"exclusiveMaximum", "maximum"}} {
		switch x := m[b[0]].(type) {
		case int, int64, uint64, float64:
			m[b[1]] = x
			m[b[0]] = true
		}
	}
	if _, ok := m["contentMediaType"]; ok {
		delete(m, "contentMediaType")
		if _, has := m["format"]; !has {
			m["format"] = "binary"
		}
	}
	if e, ok := m["contentEncoding"]; ok {
		delete(m, "contentEncoding")
		if e == "base64" {
			m["format"] = "byte"
		}
	}
}

// refSiblings moves the constraints beside a $ref into an allOf with it (3.0 ignores a $ref's
// siblings), and drops the annotations there.
func refSiblings(m map[string]any) {
	if ref, ok := m["$ref"]; ok && len(m) > 1 {
		constrained := false
		for k := range m {
			if k != "$ref" && !annotation[k] {
				constrained = true
			}
		}
		if !constrained {
			// 3.0 ignores the siblings of a $ref; annotations lose nothing on the wire.
			for k := range m {
				if k != "$ref" {
					delete(m, k)
				}
			}
			return
		}
		delete(m, "$ref")
		all, _ := m["allOf"].([]any)
		m["allOf"] = append([]any{map[string]any{"$ref": ref}}, all...)
	}
}

// nullable marks m as admitting null. 3.0 gives `nullable` a meaning only beside `type`: a
// schema without one takes the type its alternatives share (a referenced schema's included),
// and alternatives of different types each admit null instead.
func (c *conv) nullable(m map[string]any) {
	if _, ok := m["type"]; ok {
		m["nullable"] = true
		return
	}
	var alts []any
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		l, _ := m[k].([]any)
		alts = append(alts, l...)
	}
	shared := ""
	for i, a := range alts {
		t := c.typeOf(a)
		if t == "" || i > 0 && t != shared {
			shared = ""
			break
		}
		shared = t
	}
	if shared != "" {
		m["type"] = shared
		m["nullable"] = true
		return
	}
	if all, _ := m["allOf"].([]any); len(all) == 0 {
		each := true
		for _, a := range alts {
			am, _ := a.(map[string]any)
			if _, ref := am["$ref"]; ref || am["type"] == nil {
				each = false
			}
		}
		if each && len(alts) > 0 {
			for _, a := range alts {
				a.(map[string]any)["nullable"] = true
			}
			return
		}
	}
	m["nullable"] = true // no type to go with it: the best 3.0 can say
}

// typeOf returns the single non-null type of schema v, following a $ref into the document's
// component schemas; "" when there is none.
func (c *conv) typeOf(v any) string {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			break
		}
		name, ok := strings.CutPrefix(ref, "#/components/schemas/")
		if !ok {
			return ""
		}
		v = c.schemas[name]
	}
	m, _ := v.(map[string]any)
	switch t := m["type"].(type) {
	case string:
		if t != "null" {
			return t
		}
	case []any:
		one := ""
		for _, x := range t {
			if s, _ := x.(string); s != "null" {
				if one != "" {
					return ""
				}
				one = s
			}
		}
		return one
	}
	return ""
}

// isNullSchema reports whether v is the schema {type: "null"} (once converted: {nullable: true}
// and nothing else that constrains).
func isNullSchema(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || m["nullable"] != true {
		return false
	}
	for k := range m {
		if k != "nullable" && !annotation[k] {
			return false
		}
	}
	return true
}

// annotation are the keywords that describe a schema without constraining it.
var annotation = map[string]bool{"title": true, "description": true, "example": true, "deprecated": true}
