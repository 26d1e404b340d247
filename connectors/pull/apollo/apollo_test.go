package apollo_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/connectors/pull/apollo"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/apollo"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	"github.com/leadstream/leadstream/connectors/pull/pulltest"
)

const key = "apollo-test-key-123"

func start(enrich bool) func(testing.TB, emukit.Config, string, int) (pull.Puller, *emukit.Kit) {
	return func(t testing.TB, cfg emukit.Config, k string, perPage int) (pull.Puller, *emukit.Kit) {
		e := emu.New(cfg)
		t.Cleanup(e.Close)
		p, err := apollo.New(apollo.Options{APIKey: k, BaseURL: e.BaseURL(), PerPage: perPage, Enrich: enrich,
			Query: apollo.Query{PersonTitles: []string{"VP Sales"}, OrganizationDomains: []string{"example.com"}}})
		if err != nil {
			t.Fatal(err)
		}
		return p, e.Kit
	}
}

func TestConformanceSearch(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "apollo", Start: start(false), Key: key, PerPage: 10, PagePath: emu.SearchPath})
}

func TestConformanceEnrich(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "apollo", Start: start(true), Key: key, PerPage: 10, PagePath: emu.SearchPath, PageCredits: 10})
}

func TestForbiddenAndCredits(t *testing.T) {
	tests := []struct {
		name    string
		cfg     emukit.Config
		useKey  string
		want    error
		wantMsg string
	}{
		{"403 API_INACCESSIBLE", emukit.Config{Key: key, Records: 25}, "forbidden-key-1", pull.ErrAuth, "API_INACCESSIBLE"},
		{"out of credits", emukit.Config{Key: key, Records: 25, Credits: 12}, key, pull.ErrQuota, "insufficient credits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := emu.New(tc.cfg)
			defer e.Close()
			e.ForbiddenKey = "forbidden-key-1"
			p, _ := apollo.New(apollo.Options{APIKey: tc.useKey, BaseURL: e.BaseURL(), PerPage: 10, Enrich: true})
			var col pulltest.Collector
			var buf bytes.Buffer
			_, err := pull.Run(context.Background(), p, col.Handle, pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tc.want, tc.wantMsg)
			}
			if strings.Contains(err.Error(), tc.useKey) {
				t.Errorf("key leaked: %v", err)
			}
		})
	}
}

func TestRateHeaders(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	h := http.Header{}
	h.Set("x-rate-limit-minute", "200")
	h.Set("x-minute-requests-left", "150")
	h.Set("x-rate-limit-24-hour", "2000")
	h.Set("x-24-hour-requests-left", "0")
	ri := apollo.Rate(h, now)
	if ri.Remaining != 0 || ri.Limit != 2000 || ri.ResetAfter != 24*time.Hour {
		t.Fatalf("got %+v", ri)
	}
}
