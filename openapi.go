// Package surgedesk holds what belongs to the repository as a whole: the
// HTTP API description, served by the web package at /openapi.yaml.
package surgedesk

import _ "embed"

// OpenAPI is openapi.yaml, the description of the HTTP API.
//
//go:embed openapi.yaml
var OpenAPI []byte
