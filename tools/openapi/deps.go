// Package openapitools pins, in this module's go.mod and go.sum, the generator of the Go
// client of server/openapi.yaml (oapi-codegen, a `tool` of this module) and the packages the
// generated client imports. server/openapi_client_test.go generates a client from the 3.0
// copy of the contract and builds it in a scratch directory with this module's go.mod and
// go.sum; package.json holds Redocly CLI, which lints the contract.
package openapitools

import (
	_ "github.com/oapi-codegen/runtime"       // the generated client's parameter binding
	_ "github.com/oapi-codegen/runtime/types" // its date, email, file and UUID types
	_ "go.yaml.in/yaml/v3"                    // its decoding of application/yaml responses
)
