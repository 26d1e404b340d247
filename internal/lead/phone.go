package lead

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// maxPhoneInput bounds what is handed to the parser; libphonenumber itself
// refuses anything longer than 250 characters.
const maxPhoneInput = 250

// NormalizePhone parses raw per spec §2.2 with region as the default
// region (an ISO alpha-2 code, or "" for none) and kind as the provider's
// label ("" when there is none). The result is Valid, Possible only, or
// neither (unparsed); E164 and E123 are set for valid and possible numbers.
func NormalizePhone(raw, region, kind string) Phone {
	s, _ := cleanText(raw)
	p := Phone{Raw: s, Kind: phoneKind(kind)}
	if s == "" || len(s) > maxPhoneInput {
		return p
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "tel:"), "TEL:")
	region = strings.ToUpper(region)
	if region == "" {
		// Without a region only an international form can be read: "+" or
		// one of the common international prefixes.
		t := strings.TrimLeft(s, " (")
		switch {
		case strings.HasPrefix(t, "+"):
		case strings.HasPrefix(t, "00"):
			s = "+" + t[2:]
		case strings.HasPrefix(t, "011"):
			s = "+" + t[3:]
		default:
			return p
		}
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil || num == nil {
		return p
	}
	// IsValidNumber is IsValidNumberForRegion of the number's region;
	// finding that region (a walk over every region of the calling code,
	// 25 for +1) is the dearest step, so it is done once.
	numRegion := phonenumbers.GetRegionCodeForNumber(num)
	p.Valid = phonenumbers.IsValidNumberForRegion(num, numRegion)
	p.Possible = !p.Valid && phonenumbers.IsPossibleNumber(num)
	if !p.Valid && !p.Possible {
		return p
	}
	p.Extension = num.GetExtension()
	p.E123 = phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
	num.Extension = nil
	p.E164 = phonenumbers.Format(num, phonenumbers.E164)
	p.Region = numRegion
	if p.Kind == "" {
		switch phonenumbers.GetNumberType(num) {
		case phonenumbers.MOBILE:
			p.Kind = PhoneMobile
		case phonenumbers.FIXED_LINE:
			p.Kind = PhoneDirect
		default:
			p.Kind = PhoneOther
		}
	}
	return p
}

// phoneKind maps a provider's phone label to a kind, or "" to let the
// number type decide.
func phoneKind(label string) string {
	l := strings.ToLower(label)
	switch {
	case l == "":
		return ""
	case strings.Contains(l, "mobile") || strings.Contains(l, "cell"):
		return PhoneMobile
	case strings.Contains(l, "direct"):
		return PhoneDirect
	case strings.Contains(l, "hq") || strings.Contains(l, "company") || strings.Contains(l, "corporate") ||
		strings.Contains(l, "switchboard") || strings.Contains(l, "main"):
		return PhoneCompany
	case l == "work":
		return PhoneDirect
	}
	return ""
}
