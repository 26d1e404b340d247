package lead

import "testing"

func TestNormalizeCountry(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"GB", "GB", true}, {"gb", "GB", true}, {"GBR", "GB", true}, {"UK", "GB", true},
		{"United Kingdom", "GB", true}, {"Great Britain", "GB", true}, {"England", "GB", true},
		{"Scotland", "GB", true}, {"Northern Ireland", "GB", true},
		{"USA", "US", true}, {"U.S.A.", "US", true}, {"United States of America", "US", true},
		{"america", "US", true}, {"the United States", "US", true},
		{"Deutschland", "DE", true}, {"Germany", "DE", true}, {"DEU", "DE", true},
		{"UAE", "AE", true}, {"United Arab Emirates", "AE", true},
		{"France", "FR", true}, {"Netherlands", "NL", true}, {"The Netherlands", "NL", true},
		{"Korea, Republic of", "KR", true}, {"Czech Republic", "CZ", true}, {"Türkiye", "TR", true},
		{"Côte d’Ivoire", "CI", true}, {"Viet Nam", "VN", true}, {"AUS", "AU", true},
		{"  australia ", "AU", true}, {"", "", true},
		{"Europe", "", false}, {"Nordic Countries", "", false}, {"EMEA", "", false},
		{"EU", "", false}, {"Narnia", "", false}, {"ZZ", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeCountry(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeCountry(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCountryName(t *testing.T) {
	for in, want := range map[string]string{"US": "United States", "GB": "United Kingdom", "DE": "Germany"} {
		if got := CountryName(in); got != want {
			t.Errorf("CountryName(%q) = %q, want %q", in, got, want)
		}
	}
}
