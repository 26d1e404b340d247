package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/leadstream/leadstream/internal/api"
	"github.com/leadstream/leadstream/internal/api/openapitest"
)

// The document is valid OpenAPI 3.1, and the validator refuses answers it
// does not describe (so the tests that use it mean something).
func TestOpenAPIDocumentIsValid(t *testing.T) {
	v, err := openapitest.New(context.Background(), api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	req := httptest.NewRequest("GET", "/health", nil)
	if err := v.Check(context.Background(), req, 200, h, []byte(`{"status":"ok","version":"dev","checks":{"kafka":"ok","badger":"ok","bleve":"ok","halopsa":"ok"}}`)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		status int
		body   string
	}{{418, `{}`}, {200, `{"status":"fine","version":"dev","checks":{}}`}} {
		if err := v.Check(context.Background(), req, bad.status, h, []byte(bad.body)); err == nil {
			t.Errorf("%d %s accepted", bad.status, bad.body)
		}
	}
}
