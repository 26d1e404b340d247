package pipeline

import "testing"

func TestSafeText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text: line 3", "plain text: line 3"},
		{"esc \x1b[31mred", `esc \x1b[31mred`},
		{"nul\x00s", `nul\x00s`},
		{"bad \xff byte", `bad \xff byte`},
		{"tab\tand newline\n", `tab\x09and newline\x0a`},
		{"Müller, café", "Müller, café"},
		{"c1 \u0085", `c1 \x85`},
	} {
		if got := SafeText(tc.in); got != tc.want {
			t.Errorf("SafeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := make([]byte, 2000)
	for i := range long {
		long[i] = 'a'
	}
	if got := SafeText(string(long)); len(got) > 510 {
		t.Errorf("long text kept %d bytes", len(got))
	}
}
