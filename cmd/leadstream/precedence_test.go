package main

import (
	"slices"
	"strings"
	"testing"
)

func TestMergePrecedence(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"zoominfo, Apollo", []string{"zoominfo", "apollo"}, ""},
		{"apollo,nosuch", nil, `unknown provider "nosuch"`},
		{"apollo,apollo", nil, "listed twice"},
	} {
		p, err := mergePrecedence(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(p.Providers, tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.in, p.Providers, err, tc.want)
		}
	}
}
