package normalize

import (
	"testing"

	"github.com/leadstream/leadstream/internal/lead"
)

func TestPhoneCacheAnswersAsNormalizePhone(t *testing.T) {
	c := newPhoneCache(2)
	calls := []struct{ raw, region, kind string }{
		{"+1 594 6354905", "US", ""},
		{"020 7946 0958", "GB", "mobile"},
		{"+1 594 6354905", "US", ""},       // from the current generation
		{"020 7946 0958", "", ""},          // another region: another answer
		{"+44 20 7946 0958 x12", "", "hq"}, // rolls the generations
		{"+1 594 6354905", "US", ""},       // from the old generation
		{"not a number", "US", ""},
		{"020 7946 0958", "GB", "mobile"},
	}
	for _, tc := range calls {
		if got, want := c.parse(tc.raw, tc.region, tc.kind), lead.NormalizePhone(tc.raw, tc.region, tc.kind); got != want {
			t.Errorf("parse(%q, %q, %q) = %+v, want %+v", tc.raw, tc.region, tc.kind, got, want)
		}
		if n := len(c.cur) + len(c.old); n > 2*c.size {
			t.Fatalf("cache holds %d entries, bound %d", n, 2*c.size)
		}
	}
}
