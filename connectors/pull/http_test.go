package pull

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestExchangeClassifies(t *testing.T) {
	special := func(op string, r *Response) error {
		if r.Status == http.StatusUnavailableForLegalReasons {
			return &Error{Provider: "p", Kind: KindPermanent, Op: op, Status: r.Status, Msg: "special"}
		}
		return nil
	}
	tests := []struct {
		name   string
		status int
		check  func(string, *Response) error
		fails  bool
		kind   Kind
	}{
		{"ok", http.StatusOK, nil, false, 0},
		{"auth", http.StatusUnauthorized, nil, true, KindAuth},
		{"rate limited", http.StatusTooManyRequests, nil, true, KindRateLimited},
		{"server error", http.StatusBadGateway, nil, true, KindTransient},
		{"provider status before the common ones", http.StatusUnavailableForLegalReasons, special, true, KindPermanent},
		{"check passes, common rules apply", http.StatusServiceUnavailable, special, true, KindTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotBody, gotType string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				gotBody, gotType = string(b), r.Header.Get("Content-Type")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(`{"x":1}`))
			}))
			defer srv.Close()
			c := NewClient("p", srv.Client(), "secret-key")
			req, err := c.NewJSONRequest(context.Background(), http.MethodPost, srv.URL+"/v1/search", map[string]int{"page": 2})
			if err != nil {
				t.Fatal(err)
			}
			resp, op, err := c.Exchange(req, time.Now(), tt.check)
			if op != "POST /v1/search" {
				t.Errorf("op = %q", op)
			}
			if gotBody != `{"page":2}` || gotType != "application/json" {
				t.Errorf("sent %q as %q", gotBody, gotType)
			}
			if resp == nil || resp.Status != tt.status {
				t.Fatalf("response %+v, want status %d (also with an error)", resp, tt.status)
			}
			var pe *Error
			switch {
			case !tt.fails && err != nil:
				t.Fatalf("err = %v", err)
			case tt.fails && (!errors.As(err, &pe) || pe.Kind != tt.kind):
				t.Fatalf("err = %v, want kind %v", err, tt.kind)
			}
		})
	}
}

func TestNewJSONRequestWithoutBody(t *testing.T) {
	c := NewClient("p", nil)
	req, err := c.NewJSONRequest(context.Background(), http.MethodGet, "http://example.invalid/x?api_key=k", nil)
	if err != nil {
		t.Fatal(err)
	}
	if req.Body != nil || req.Header.Get("Content-Type") != "" || req.Header.Get("Accept") != "application/json" {
		t.Fatalf("body %v, headers %v", req.Body, req.Header)
	}
	if _, err := c.NewJSONRequest(context.Background(), http.MethodPost, "http://x", func() {}); err == nil {
		t.Fatal("a value JSON cannot encode must fail")
	}
}
