package lead

import (
	"slices"
	"testing"
)

func TestCleanText(t *testing.T) {
	tests := []struct {
		in, want string
		code     string
	}{
		{"  a \t b\n\nc  ", "a b c", ""},
		{"Acme\u00a0Ltd", "Acme Ltd", ""},
		{"zero\u200bwidth", "zerowidth", ""},
		{"MÃ¼ller", "Müller", IssueMojibakeFixed},
		{"Ã‰cole", "École", IssueMojibakeFixed},
		{"donâ€™t", "don’t", IssueMojibakeFixed},
		{"Ångström", "Ångström", ""},
		{"São Paulo", "São Paulo", ""},
		{"bell\x07ring", "bellring", IssueControlChars},
		{"bad\xffbyte", "badbyte", IssueInvalidUTF8},
		{"rep\ufffdlaced", "replaced", IssueMojibake},
		{"e\u0301", "é", ""}, // NFC
		{"\u202egnp.exe", "gnp.exe", IssueControlChars},
	}
	for _, tt := range tests {
		got, codes := cleanText(tt.in)
		if got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if tt.code != "" && !slices.Contains(codes, tt.code) {
			t.Errorf("cleanText(%q) codes %v, want %s", tt.in, codes, tt.code)
		}
		if tt.code == "" && len(codes) > 0 {
			t.Errorf("cleanText(%q) codes %v, want none", tt.in, codes)
		}
	}
}
