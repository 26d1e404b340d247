package system

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
)

// TestEnrichSignalsReachHaloPSA: a company waterfall on Apollo brings the
// funding rounds and headcount growth its organizations/enrich answers,
// one on ZoomInfo the companies' intent; the lead tickets in HaloPSA carry
// them as CF_103 (growth signals) and CF_111 (intent signals).
func TestEnrichSignalsReachHaloPSA(t *testing.T) {
	for _, tc := range []struct {
		provider string
		field    int
		prefix   string
	}{
		{"apollo", 103, ""},
		{"zoominfo", 111, "ZoomInfo "},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			f := newEnrichFixture(t, 80, 13)
			h := newHaloEnv(t, halosandbox.Options{})
			opts := testOptions(t)
			opts.StageConfig.Halo = h.c
			st := f.stage(t, `{"attributes": {"company": {"providers": ["`+tc.provider+`"], "when": {"missing": true}}},
  "providers": {"`+tc.provider+`": {"per_second": 500}}}`, opts.Partitions)
			opts.StageConfig.Enrich = st
			sum := importOnce(ctx, t, opts, f.blanked)
			if err := sum.Check(); err != nil {
				t.Fatal(err)
			}
			tickets := h.rows("Tickets")
			with := 0
			for _, tk := range tickets {
				v := customField(tk, tc.field)
				if v == "" {
					continue
				}
				with++
				if !strings.HasPrefix(v, tc.prefix) || strings.Contains(v, "Not available") {
					t.Errorf("ticket %v: CF_%d = %q", tk["id"], tc.field, v)
				}
			}
			t.Logf("%d of %d tickets carry CF_%d; credits %v", with, len(tickets), tc.field, f.sb.Credits())
			if with == 0 {
				t.Errorf("no ticket carries CF_%d", tc.field)
			}
		})
	}
}
