// Package textsafe neutralises text that a spreadsheet would run as a
// formula (CSV or formula injection). HaloPSA exports its records to Excel
// and CSV, so a User named "=HYPERLINK(…)" written by leadstream becomes a
// live formula on whoever opens the export. Following OWASP's rule, a value
// whose first character is "=", "+", "-", "@", a tab or a carriage return
// (after any leading spaces) is prefixed with a single quote, which
// spreadsheets show as text. The canonical lead keeps the original value,
// so matching and deduplication never see the quote; only what is written
// out is changed.
//
// Phone numbers are the one exception: a phone field holding a plain
// E.164 number ("+" and 7 to 15 digits, nothing else) is left as it is. A
// spreadsheet reads "+14155550100" as the number 14155550100, which runs
// nothing, and HaloPSA's phone fields expect E.164. Any other text in a
// phone field is neutralised like the rest.
package textsafe

// trigger reports whether c makes a spreadsheet read a cell as a formula.
func trigger(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// Risky reports whether s would be read as a formula.
func Risky(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			return trigger(s[i])
		}
	}
	return false
}

// Cell returns s, prefixed with a single quote when a spreadsheet would
// read it as a formula.
func Cell(s string) string {
	if Risky(s) {
		return "'" + s
	}
	return s
}

// IsE164 reports whether s is "+" followed by 7 to 15 digits, the first
// not 0.
func IsE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Phone returns an E.164 number unchanged and neutralises anything else.
func Phone(s string) string {
	if IsE164(s) {
		return s
	}
	return Cell(s)
}

// Body neutralises, in place, every string of a JSON request body: the
// values of b and of the maps, slices and custom fields nested in it. Keys
// named in phones hold phone numbers (see Phone). It returns b.
func Body(b map[string]any, phones ...string) map[string]any {
	for k, v := range b {
		isPhone := false
		for _, p := range phones {
			isPhone = isPhone || p == k
		}
		if s, ok := v.(string); ok && isPhone {
			b[k] = Phone(s)
			continue
		}
		b[k] = value(v, phones)
	}
	return b
}

func value(v any, phones []string) any {
	switch t := v.(type) {
	case string:
		return Cell(t)
	case map[string]any:
		return Body(t, phones...)
	case []any:
		for i := range t {
			t[i] = value(t[i], phones)
		}
	case []map[string]any:
		for _, m := range t {
			Body(m, phones...)
		}
	}
	return v
}
