package system

import "testing"

func TestDedupeViewBudget(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		limit                int64
		blocks, leads, bloom int
	}{
		{"1 GiB", 1 << 30, 335544, 26843, 32212254},
		{"4 GiB", 4 << 30, 1342177, 107374, 128849018},
		{"small limit keeps the floors", 32 << 20, 16 << 10, 4 << 10, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The view is one per process: the partition count does not
			// divide it.
			for _, parts := range []int32{1, 6, 24} {
				blocks, leads, bloom := newMemoryBudget(tc.limit, parts).dedupeView()
				if blocks != tc.blocks || leads != tc.leads || bloom != tc.bloom {
					t.Errorf("%d partitions: blocks %d, leads %d, bloom %d; want %d, %d, %d", parts, blocks, leads, bloom, tc.blocks, tc.leads, tc.bloom)
				}
			}
		})
	}
}
