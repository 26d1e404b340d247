package system

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/internal/textsafe"
	"github.com/leadstream/leadstream/pipeline"
)

// TestNoFormulaReachesHaloPSA imports leads whose every text value starts
// with a formula character and checks that no text field of any HaloPSA
// User, Client, Site or Ticket (custom fields included) would run as a
// formula, that phone fields hold plain E.164 numbers, and that the
// original text is still there behind the quote.
func TestNoFormulaReachesHaloPSA(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{})
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	file := writeCSV(t, "formulas.csv", "record_id,first_name,last_name,email,phone,title,company,domain,street,city,state,postcode,country,industry\n"+
		`f1,"=HYPERLINK(""http://evil.example/"";""x"")",+Cmd,ann@evil-one.example,+1 415 555 0100,@Sum1+1,@Sum(a1:a9),evil-one.example,=1+2 Main St,-Berlin,+BE,=10115,DE,=cmd|' /C calc'!A0`+"\n"+
		"f2,-Bob,@Ray,bob@evil-two.example,+44 20 7183 8750,=Chief,=Acme,evil-two.example,@Road 1,=London,,-SW1,GB,+Software\n"+
		"f3,\"  =Tab\",-Cr,cy@evil-three.example,,-CTO,-Minus Corp,evil-three.example,,+Paris,,,FR,-x\n")
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum := importAll(ctx, t, s, file)
	if err := sum.Check(); err != nil {
		t.Fatal(err)
	}
	if sum.Counts[pipeline.OutcomeSynced] != 3 {
		t.Fatalf("outcomes %+v, want 3 synced", sum.Counts)
	}
	phones := map[string]bool{"phonenumber": true, "mobilenumber": true, "main_phonenumber": true}
	seen := map[string]int{}
	for _, res := range []string{"Users", "Client", "Site", "Tickets"} {
		for _, rec := range h.rows(res) {
			walkStrings(rec, "", func(path, key, v string) {
				seen[res]++
				if phones[key] {
					if v != "" && !textsafe.IsE164(v) {
						t.Errorf("%s %v %s = %q is not E.164", res, rec["id"], path, v)
					}
					return
				}
				if textsafe.Risky(v) {
					t.Errorf("%s %v %s = %q would run as a formula", res, rec["id"], path, v)
				}
			})
		}
	}
	for _, res := range []string{"Users", "Client", "Site", "Tickets"} {
		if seen[res] == 0 {
			t.Errorf("no text fields checked in %s", res)
		}
	}
	var names []string
	for _, u := range h.rows("Users") {
		names = append(names, fmt.Sprint(u["surname"]))
	}
	want := map[string]bool{"'+Cmd": false, "'@Ray": false}
	for _, n := range names {
		if _, ok := want[n]; ok {
			want[n] = true
		}
	}
	for n, ok := range want {
		if !ok {
			t.Errorf("no user surname %q (the original behind a quote) among %q", n, names)
		}
	}
}

// walkStrings calls fn for every string in a decoded JSON value.
func walkStrings(v any, path string, fn func(path, key, v string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok {
				fn(path+"."+k, k, s)
				continue
			}
			walkStrings(x, path+"."+k, fn)
		}
	case []any:
		for i, x := range t {
			if s, ok := x.(string); ok {
				fn(fmt.Sprintf("%s[%d]", path, i), "", s)
				continue
			}
			walkStrings(x, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	}
}
