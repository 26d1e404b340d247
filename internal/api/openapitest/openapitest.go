// Package openapitest checks real API answers against the OpenAPI 3.1
// document the API serves (GET /api/openapi.json), for tests: every
// answer's status must be documented for its operation and its body must
// match the documented schema.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Validator checks answers against one document.
type Validator struct {
	doc *openapi3.T
}

// New loads and validates the document.
func New(ctx context.Context, document []byte) (*Validator, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("openapi: load: %w", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		return nil, fmt.Errorf("openapi: version %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("openapi: invalid document: %w", err)
	}
	return &Validator{doc: doc}, nil
}

// route finds the documented operation of a request.
func (v *Validator) route(req *http.Request) (*routers.Route, map[string]string, error) {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	for tmpl, item := range v.doc.Paths.Map() {
		tparts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(tparts) != len(parts) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, tp := range tparts {
			if strings.HasPrefix(tp, "{") && strings.HasSuffix(tp, "}") {
				params[tp[1:len(tp)-1]] = parts[i]
			} else if tp != parts[i] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		op := item.GetOperation(req.Method)
		if op == nil {
			return nil, nil, fmt.Errorf("openapi: %s %s: method not documented", req.Method, tmpl)
		}
		return &routers.Route{Spec: v.doc, Path: tmpl, PathItem: item, Method: req.Method, Operation: op}, params, nil
	}
	return nil, nil, fmt.Errorf("openapi: %s: path not documented", req.URL.Path)
}

// Check validates one answer to req.
func (v *Validator) Check(ctx context.Context, req *http.Request, status int, header http.Header, body []byte) error {
	rt, params, err := v.route(req)
	if err != nil {
		return err
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: rt,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("openapi: %s %s → %d: %w", req.Method, req.URL.Path, status, err)
	}
	return nil
}
