package openapi30

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func convert(t *testing.T, doc string) map[string]any {
	t.Helper()
	out, err := Convert([]byte(doc))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, yaml.Unmarshal(out, &m))
	return m
}

func at(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, p := range path {
		m, ok := v.(map[string]any)
		require.True(t, ok, "%s: not an object in %v", p, v)
		v, ok = m[p]
		require.True(t, ok, "%s: missing in %v", p, m)
	}
	return v
}

const header = "openapi: 3.1.0\ninfo: {title: t, version: '1', summary: S, description: D, license: {name: L, identifier: MIT}}\n"

func TestConvertDocument(t *testing.T) {
	m := convert(t, header+"jsonSchemaDialect: x\nwebhooks: {}\npaths: {}\ncomponents: {pathItems: {}}\n")
	require.Equal(t, "3.0.3", m["openapi"])
	require.NotContains(t, m, "jsonSchemaDialect")
	require.NotContains(t, m, "webhooks")
	require.NotContains(t, at(t, m, "components"), "pathItems")
	require.NotContains(t, at(t, m, "info"), "summary")
	require.Equal(t, "S\n\nD", at(t, m, "info", "description"))
	require.Equal(t, map[string]any{"name": "L"}, at(t, m, "info", "license"))

	_, err := Convert([]byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"))
	require.ErrorContains(t, err, "want 3.1")
	_, err = Convert([]byte("{"))
	require.Error(t, err)
}

// Every place a schema can sit is converted: components, parameters (path item and
// operation), headers, request and response bodies, and nested subschemas.
func TestConvertSchemasEverywhere(t *testing.T) {
	m := convert(t, header+`
paths:
  /a/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: [string, "null"]}}
    post:
      parameters:
        - {name: q, in: query, schema: {type: integer, exclusiveMinimum: 0}}
        - {$ref: "#/components/parameters/P", description: d}
      requestBody:
        content:
          application/json: {schema: {type: object, properties: {x: {const: 1}}}}
      responses:
        "200":
          description: ok
          headers:
            H: {schema: {type: string, const: nosniff}}
          content:
            application/pdf: {schema: {type: string, contentMediaType: application/pdf}}
        "400": {$ref: "#/components/responses/R", summary: s}
components:
  parameters:
    P: {name: p, in: query, schema: {type: [integer, "null"]}}
  responses:
    R: {description: r, content: {application/json: {schema: {type: string, examples: [a, b]}}}}
  schemas:
    S:
      type: object
      properties:
        list: {type: array, items: {type: [string, "null"]}}
        map: {type: object, additionalProperties: {type: [number, "null"], exclusiveMaximum: 1}}
        one: {oneOf: [{$ref: "#/components/schemas/E"}, {type: "null"}]}
        two: {anyOf: [{type: string}, {type: integer}, {type: "null"}]}
        notnull: {not: {type: [boolean, "null"]}}
        all: {allOf: [{$schema: x, type: string, contentEncoding: base64}]}
        many: {type: [string, integer, "null"]}
        ref: {$ref: "#/components/schemas/E", description: only annotates}
        refc: {$ref: "#/components/schemas/E", nullable: true}
    E: {type: string, enum: [a]}
`)
	op := at(t, m, "paths", "/a/{id}", "post")
	require.Equal(t, map[string]any{"type": "string", "nullable": true},
		at(t, m, "paths", "/a/{id}", "parameters").([]any)[0].(map[string]any)["schema"])
	params := at(t, op, "parameters").([]any)
	require.Equal(t, map[string]any{"type": "integer", "minimum": 0, "exclusiveMinimum": true}, at(t, params[0], "schema"))
	require.Equal(t, map[string]any{"$ref": "#/components/parameters/P"}, params[1], "no siblings beside a $ref outside schemas")
	require.Equal(t, map[string]any{"enum": []any{1}}, at(t, op, "requestBody", "content", "application/json", "schema", "properties", "x"))
	require.Equal(t, []any{"nosniff"}, at(t, op, "responses", "200", "headers", "H", "schema", "enum"))
	require.Equal(t, map[string]any{"type": "string", "format": "binary"}, at(t, op, "responses", "200", "content", "application/pdf", "schema"))
	require.Equal(t, map[string]any{"$ref": "#/components/responses/R"}, at(t, op, "responses", "400"))

	require.Equal(t, map[string]any{"type": "integer", "nullable": true}, at(t, m, "components", "parameters", "P", "schema"))
	require.Equal(t, map[string]any{"type": "string", "example": "a"}, at(t, m, "components", "responses", "R", "content", "application/json", "schema"))
	props := at(t, m, "components", "schemas", "S", "properties")
	require.Equal(t, map[string]any{"type": "string", "nullable": true}, at(t, props, "list", "items"))
	require.Equal(t, map[string]any{"type": "number", "nullable": true, "maximum": 1, "exclusiveMaximum": true}, at(t, props, "map", "additionalProperties"))
	// nullable goes with a type in 3.0: the referenced schema's, or each alternative's.
	require.Equal(t, map[string]any{"allOf": []any{map[string]any{"$ref": "#/components/schemas/E"}}, "type": "string", "nullable": true}, at(t, props, "one"))
	nullableAlts := map[string]any{"anyOf": []any{map[string]any{"type": "string", "nullable": true}, map[string]any{"type": "integer", "nullable": true}}}
	require.Equal(t, nullableAlts, at(t, props, "two"))
	require.Equal(t, map[string]any{"type": "boolean", "nullable": true}, at(t, props, "notnull", "not"))
	require.Equal(t, map[string]any{"type": "string", "format": "byte"}, at(t, props, "all", "allOf").([]any)[0])
	require.Equal(t, nullableAlts, at(t, props, "many"))
	require.Equal(t, map[string]any{"$ref": "#/components/schemas/E"}, at(t, props, "ref"))
	require.Equal(t, map[string]any{"allOf": []any{map[string]any{"$ref": "#/components/schemas/E"}}, "nullable": true}, at(t, props, "refc"))
}
