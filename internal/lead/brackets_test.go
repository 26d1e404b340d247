package lead

import (
	"testing"
	"time"
)

func TestParseRangeAndBrackets(t *testing.T) {
	tests := []struct {
		in         string
		employees  string
		revenueCF  string
		wantMinMax [2]int64
	}{
		{"1", "1-10", "<$1M", [2]int64{1, 1}},
		{"10", "1-10", "<$1M", [2]int64{10, 10}},
		{"11", "11-50", "<$1M", [2]int64{11, 11}},
		{"1,200", "1001-5000", "<$1M", [2]int64{1200, 1200}},
		{"5000", "1001-5000", "<$1M", [2]int64{5000, 5000}},
		{"5001", "5000+", "<$1M", [2]int64{5001, 5001}},
		{"51-200", "51-200", "<$1M", [2]int64{51, 200}},
		{"51 to 200", "51-200", "<$1M", [2]int64{51, 200}},
		{"11-200", "51-200", "<$1M", [2]int64{11, 200}},   // midpoint 105
		{"1-1000", "201-1000", "<$1M", [2]int64{1, 1000}}, // midpoint 500
		{"10001+", "5000+", "<$1M", [2]int64{10001, 0}},
		{"$1M", "5000+", "$1M-$5M", [2]int64{1_000_000, 1_000_000}},
		{"$999,999", "5000+", "<$1M", [2]int64{999_999, 999_999}},
		{"$4.99M", "5000+", "$1M-$5M", [2]int64{4_990_000, 4_990_000}},
		{"5000000", "5000+", "$5M-$25M", [2]int64{5_000_000, 5_000_000}},
		{"$1M-$5M", "5000+", "$1M-$5M", [2]int64{1_000_000, 5_000_000}},
		{"1-5M", "5000+", "$1M-$5M", [2]int64{1_000_000, 5_000_000}},
		{"$25M - $100M", "5000+", "$25M-$100M", [2]int64{25_000_000, 100_000_000}},
		{"2.3B", "5000+", "$100M+", [2]int64{2_300_000_000, 2_300_000_000}},
		{"500K", "5000+", "<$1M", [2]int64{500_000, 500_000}},
		{"$100M+", "5000+", "$100M+", [2]int64{100_000_000, 0}},
	}
	for _, tt := range tests {
		r, ok := ParseRange(tt.in)
		if !ok || r == nil {
			t.Errorf("ParseRange(%q) failed", tt.in)
			continue
		}
		if r.Min != tt.wantMinMax[0] || r.Max != tt.wantMinMax[1] {
			t.Errorf("ParseRange(%q) = %+v, want %v", tt.in, *r, tt.wantMinMax)
		}
		if got := EmployeeBracket(r); got != tt.employees {
			t.Errorf("EmployeeBracket(%q) = %q, want %q", tt.in, got, tt.employees)
		}
		if got := RevenueBracket(r); got != tt.revenueCF {
			t.Errorf("RevenueBracket(%q) = %q, want %q", tt.in, got, tt.revenueCF)
		}
	}
	for _, bad := range []string{"lots", "-", "1e400", "NaN"} {
		if r, ok := ParseRange(bad); ok && r != nil {
			t.Errorf("ParseRange(%q) = %+v, want failure", bad, *r)
		}
	}
	if got := EmployeeBracket(&Range{}); got != "" {
		t.Errorf("0 employees gave %q, want unknown", got)
	}
	if got := EmployeeBracket(nil); got != "" {
		t.Errorf("nil gave %q", got)
	}
}

func TestParseFoundedYear(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]int{"1998": 1998, "1799": 0, "3000": 0, "nineteen": 0, "": 0} {
		if got, _ := ParseFoundedYear(in, now); got != want {
			t.Errorf("ParseFoundedYear(%q) = %d, want %d", in, got, want)
		}
	}
}
