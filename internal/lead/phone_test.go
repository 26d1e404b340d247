package lead

import "testing"

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		raw, region, label string
		e164, e123, ext    string
		valid, possible    bool
		kind               string
	}{
		// Spec §2.2 reference cases.
		{"020 7946 0123", "GB", "", "+442079460123", "+44 20 7946 0123", "", true, false, "direct"},
		{"0044 20 7946 0123", "DE", "", "+442079460123", "+44 20 7946 0123", "", true, false, "direct"},
		{"030 12345678", "DE", "", "+493012345678", "+49 30 12345678", "", true, false, "direct"},
		{"01 42 68 53 00", "FR", "", "+33142685300", "+33 1 42 68 53 00", "", true, false, "direct"},
		{"02 12345678", "IT", "", "+390212345678", "+39 02 1234 5678", "", true, false, "direct"},
		{"0412 345 678", "AU", "", "+61412345678", "+61 412 345 678", "", true, false, "mobile"},
		{"22 12 34 56", "NO", "", "+4722123456", "+47 22 12 34 56", "", true, false, "direct"},
		{"(212) 555-0123", "US", "", "+12125550123", "+1 212-555-0123", "", true, false, "other"},
		{"(555) 123-4567", "US", "", "+15551234567", "+1 555-123-4567", "", false, true, ""},
		{"12345", "US", "", "", "", "", false, false, ""},
		{"5551234567", "", "", "", "", "", false, false, ""},
		// United Kingdom.
		{"+44 (0)20 7946 0123", "", "", "+442079460123", "+44 20 7946 0123", "", true, false, "direct"},
		{"07911 123456", "GB", "", "+447911123456", "+44 7911 123456", "", true, false, "mobile"},
		{"07700 900123", "GB", "", "+447700900123", "+44 7700 900123", "", false, true, ""},
		{"0161-496-0000", "GB", "", "+441614960000", "+44 161 496 0000", "", true, false, "direct"},
		{"tel:+44-20-7946-0123", "US", "", "+442079460123", "+44 20 7946 0123", "", true, false, "direct"},
		// United States and Canada.
		{"+1 (212) 555-0123 ext. 42", "", "", "+12125550123", "+1 212-555-0123 ext. 42", "42", true, false, "other"},
		{"212.555.0123", "US", "", "+12125550123", "+1 212-555-0123", "", true, false, "other"},
		{"1-212-555-0123", "US", "", "+12125550123", "+1 212-555-0123", "", true, false, "other"},
		{"011 44 20 7946 0123", "", "", "+442079460123", "+44 20 7946 0123", "", true, false, "direct"},
		{"212 555 0123", "US", "mobile", "+12125550123", "+1 212-555-0123", "", true, false, "mobile"},
		{"(416) 555-0199", "CA", "Direct Dial", "+14165550199", "+1 416-555-0199", "", true, false, "direct"},
		{"+1 268 464 1234", "", "", "+12684641234", "+1 268-464-1234", "", true, false, ""},
		// Germany.
		{"+49 (0) 30 12345678", "", "", "+493012345678", "+49 30 12345678", "", true, false, "direct"},
		{"0151 23456789", "DE", "", "+4915123456789", "+49 1512 3456789", "", true, false, "mobile"},
		{"089/1234567", "DE", "HQ", "+49891234567", "+49 89 1234567", "", true, false, "company"},
		// France.
		{"06 12 34 56 78", "FR", "", "+33612345678", "+33 6 12 34 56 78", "", true, false, "mobile"},
		{"+33 (0)1 42 68 53 00", "", "", "+33142685300", "+33 1 42 68 53 00", "", true, false, "direct"},
		{"0033 1 42 68 53 00", "", "", "+33142685300", "+33 1 42 68 53 00", "", true, false, "direct"},
		// Italy: the leading 0 is part of the number.
		{"+39 02 1234 5678", "", "", "+390212345678", "+39 02 1234 5678", "", true, false, "direct"},
		{"347 123 4567", "IT", "", "+393471234567", "+39 347 123 4567", "", true, false, "mobile"},
		// Australia.
		{"(02) 9876 5432", "AU", "", "+61298765432", "+61 2 9876 5432", "", true, false, "direct"},
		{"+61 412 345 678", "", "", "+61412345678", "+61 412 345 678", "", true, false, "mobile"},
		// Spain, Netherlands, Sweden, Japan, India, Brazil, Kazakhstan.
		{"912 34 56 78", "ES", "", "+34912345678", "+34 912 34 56 78", "", true, false, "direct"},
		{"020-123 4567", "NL", "", "+31201234567", "+31 20 123 4567", "", true, false, "direct"},
		{"06-12345678", "NL", "", "+31612345678", "+31 6 12345678", "", true, false, "mobile"},
		{"08-123 456 78", "SE", "", "+46812345678", "+46 8 123 456 78", "", true, false, "direct"},
		{"03-1234-5678", "JP", "", "+81312345678", "+81 3-1234-5678", "", true, false, "direct"},
		{"090-1234-5678", "JP", "", "+819012345678", "+81 90-1234-5678", "", true, false, "mobile"},
		{"098765 43210", "IN", "", "+919876543210", "+91 98765 43210", "", true, false, "mobile"},
		{"(11) 91234-5678", "BR", "", "+5511912345678", "+55 11 91234-5678", "", true, false, "mobile"},
		{"+7 701 123 4567", "", "", "+77011234567", "+7 701 123 4567", "", true, false, "mobile"},
		// Garbage.
		{"n/a", "GB", "", "", "", "", false, false, ""},
		{"call reception", "US", "", "", "", "", false, false, ""},
		{"", "GB", "", "", "", "", false, false, ""},
		{"+", "", "", "", "", "", false, false, ""},
		{"00", "", "", "", "", "", false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.region+"/"+tt.raw, func(t *testing.T) {
			p := NormalizePhone(tt.raw, tt.region, tt.label)
			if p.E164 != tt.e164 || p.E123 != tt.e123 || p.Valid != tt.valid || p.Possible != tt.possible || p.Extension != tt.ext {
				t.Errorf("NormalizePhone(%q, %q) = e164 %q e123 %q ext %q valid %v possible %v; want %q %q %q %v %v",
					tt.raw, tt.region, p.E164, p.E123, p.Extension, p.Valid, p.Possible, tt.e164, tt.e123, tt.ext, tt.valid, tt.possible)
			}
			if (tt.valid || tt.possible) && tt.kind != "" && p.Kind != tt.kind {
				t.Errorf("kind = %q, want %q", p.Kind, tt.kind)
			}
		})
	}
}

func TestNormalizePhoneRegion(t *testing.T) {
	for raw, want := range map[string]string{
		"+1 268 464 1234": "AG", "+7 701 123 4567": "KZ", "+7 495 123 4567": "RU",
		"+1 416 555 0199": "CA", "+44 20 7946 0123": "GB",
	} {
		if got := NormalizePhone(raw, "", "").Region; got != want {
			t.Errorf("region of %q = %q, want %q", raw, got, want)
		}
	}
}
