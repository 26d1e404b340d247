package main

import "testing"

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"800MiB": 800 << 20, "1GiB": 1 << 30, "1.5G": 3 << 29, "4096": 4096, " 64 kb ": 64 << 10} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1GiB", "1TiB", "x"} {
		if _, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q): want an error", in)
		}
	}
}
