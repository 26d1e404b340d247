package lead

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// Issue codes for problems found in a raw value.
const (
	IssueControlChars    = "control_chars_removed"
	IssueMojibakeFixed   = "mojibake_repaired"
	IssueMojibake        = "mojibake"
	IssueInvalidUTF8     = "invalid_utf8"
	IssueTooLong         = "value_truncated"
	IssueEmailInvalid    = "email_invalid"
	IssueEmailDisposable = "email_disposable"
	IssuePhoneUnparsed   = "phone_unparsed"
	IssuePhoneUnverified = "phone_unverified_format"
	IssueCountry         = "country_unresolved"
	IssueCompanyHolder   = "company_placeholder"
	IssueDomainFreeMail  = "domain_free_mail"
	IssueDomainPlatform  = "domain_platform_host"
	IssueDomainInvalid   = "domain_invalid"
	IssueWebsiteInvalid  = "website_invalid"
	IssueLinkedInInvalid = "linkedin_invalid"
	IssueNumberInvalid   = "number_invalid"
	IssueYearInvalid     = "founded_year_invalid"
	IssueBoolInvalid     = "bool_invalid"
)

// Issue is one problem normalisation found in a source value. The value is
// kept as it was received (after cleaning) so a person can see it.
type Issue struct {
	Field string `json:"field"`
	Code  string `json:"code"`
	Value string `json:"value,omitempty"`
}

func (i Issue) String() string { return i.Field + ": " + i.Code }

// maxValueBytes bounds one cleaned value; longer input is cut.
const maxValueBytes = 4096

// cleanText makes a raw value safe and canonical: invalid UTF-8 and control
// characters are removed, double-encoded UTF-8 ("MÃ¼ller") is repaired,
// white space (including no-break and zero-width spaces) is collapsed, and
// the result is trimmed and put in Unicode NFC. The codes say what was
// changed beyond white space.
func cleanText(s string) (string, []string) {
	var codes []string
	if len(s) > maxValueBytes {
		s = s[:maxValueBytes]
		codes = append(codes, IssueTooLong)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
		codes = append(codes, IssueInvalidUTF8)
	}
	if fixed, ok := repairMojibake(s); ok {
		s = fixed
		codes = append(codes, IssueMojibakeFixed)
	}
	var b strings.Builder
	b.Grow(len(s))
	space, ctrl, bad := false, false, false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == '\u00a0' || r == '\u202f':
			space = true
		case r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff':
			// zero-width characters carry nothing
		case r == utf8.RuneError:
			bad = true
		case unicode.IsControl(r) || unicode.Is(unicode.Cs, r) || unicode.Is(unicode.Co, r) ||
			r == '\u2028' || r == '\u2029' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'):
			ctrl = true
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	if ctrl {
		codes = append(codes, IssueControlChars)
	}
	if bad {
		codes = append(codes, IssueMojibake)
	}
	out := b.String()
	if !norm.NFC.IsNormalString(out) {
		out = norm.NFC.String(out)
	}
	return out, codes
}

// repairMojibake undoes the most common corruption in CRM exports: UTF-8
// bytes that were decoded as Windows-1252 (or Latin-1) and encoded again.
// It only accepts a repair that re-encodes cleanly into valid UTF-8 with
// fewer characters, so correct text such as "Ångström" is left alone.
func repairMojibake(s string) (string, bool) {
	if !strings.ContainsAny(s, "ÃÂâÅÄÆÐÑ") {
		return "", false
	}
	enc, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		return "", false
	}
	if !utf8.ValidString(enc) || enc == s || utf8.RuneCountInString(enc) >= utf8.RuneCountInString(s) {
		return "", false
	}
	return enc, true
}

// isAllUpperOrLower reports whether s has letters and they are all of one
// case. Letters without case (CJK, …) make it false.
func isAllUpperOrLower(s string) bool {
	upper, lower := 0, 0
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			upper++
		case unicode.IsLower(r):
			lower++
		case unicode.IsLetter(r):
			return false
		}
	}
	return (upper == 0) != (lower == 0)
}

// letterCount counts letters in s.
func letterCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// capitalise upper-cases the first letter of w and lower-cases the rest.
func capitalise(w string) string {
	var b strings.Builder
	first := true
	for _, r := range w {
		if first && unicode.IsLetter(r) {
			b.WriteRune(unicode.ToTitle(r))
			first = false
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
