package providers

import (
	"fmt"
	"slices"
	"strings"
)

// Detect picks the provider of an export from its header names (CSV/XLSX
// header row, or the flattened field names of a JSON record) using the
// default mappings' signatures. See Set.Detect.
func Detect(header []string) (string, error) {
	s, err := DefaultSet()
	if err != nil {
		return "", err
	}
	return s.Detect(header)
}

// Detect picks the provider of an export from its header names.
//
// A provider whose marker names (columns only its exports carry, e.g.
// "Apollo Contact Id", "ZoomInfo Contact ID", "Email 1 Total AI") appear
// wins outright; markers of two providers make the file ambiguous. With no
// marker, the providers whose usual columns (Signature.Fields) reach their
// MinFields are candidates and the one matching the most wins; a tie is
// ambiguous (BookYourData and LeadsBlue share one assumed layout, so their
// files always need an explicit provider). Ambiguous and unknown headers
// are refused with advice to pass --provider.
func (s *Set) Detect(header []string) (string, error) {
	names := headerSet(header)
	var marked []string
	for _, key := range Keys() {
		m := s.m[key]
		for _, mk := range m.Signature.Markers {
			if names[fold(mk)] {
				marked = append(marked, key)
				break
			}
		}
	}
	switch len(marked) {
	case 1:
		return marked[0], nil
	case 0:
	default:
		return "", fmt.Errorf("the header matches %s; pass --provider with one of them", orList(marked))
	}
	best, bestN := []string(nil), 0
	for _, key := range Keys() {
		sig := s.m[key].Signature
		if len(sig.Fields) == 0 {
			continue
		}
		n := 0
		for _, f := range sig.Fields {
			if names[fold(f)] {
				n++
			}
		}
		if n < max(sig.MinFields, 1) {
			continue
		}
		switch {
		case n > bestN:
			best, bestN = []string{key}, n
		case n == bestN:
			best = append(best, key)
		}
	}
	switch len(best) {
	case 1:
		return best[0], nil
	case 0:
		// The names are not shown: in a file without a header row they
		// are a person's name, e-mail and phone.
		return "", fmt.Errorf("no provider's header signature matches the %d columns of the first row (is it a header?); pass --provider with one of %s, or csv for the canonical columns (and a mapping file for a new layout)",
			len(header), strings.Join(Keys(), ", "))
	default:
		return "", fmt.Errorf("the header matches both %s equally (%d known columns each); pass --provider", orList(best), bestN)
	}
}

// headerSet folds the names and adds, for dotted JSON paths, the path with
// array indexes as "*" and each of its dotted suffixes.
func headerSet(header []string) map[string]bool {
	set := make(map[string]bool, len(header)*3)
	for _, h := range header {
		h = fold(strings.TrimPrefix(h, "\ufeff"))
		set[h] = true
		if !strings.Contains(h, ".") {
			continue
		}
		parts := strings.Split(h, ".")
		for i, p := range parts {
			if p != "" && strings.Trim(p, "0123456789") == "" {
				parts[i] = "*"
			}
		}
		for i := range parts {
			set[strings.Join(parts[i:], ".")] = true
		}
	}
	return set
}

func orList(keys []string) string {
	switch len(keys) {
	case 0:
		return ""
	case 1:
		return keys[0]
	}
	return strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1]
}

// IsCanonical reports whether a header is in the canonical format: at least
// two canonical column names (Canonical, and the datasets' entity_id), and
// no column that a provider's mapping reads but the canonical format does
// not (BookYourData's "Full Name" beside "Email" and "Phone" makes an
// export, not a canonical file).
func (s *Set) IsCanonical(header []string) bool {
	known := 0
	for _, h := range header {
		n := fold(strings.TrimPrefix(h, "\ufeff"))
		if slices.Contains(canonical, n) || n == "entity_id" {
			known++
			continue
		}
		if s.providerColumn(n) {
			return false
		}
	}
	return known >= 2
}

// providerColumn reports whether some provider's signature or mapping
// names the (folded) column.
func (s *Set) providerColumn(name string) bool {
	for _, m := range s.m {
		for _, n := range append(slices.Clone(m.Signature.Markers), m.Signature.Fields...) {
			if fold(n) == name {
				return true
			}
		}
		for _, r := range m.rules {
			for _, p := range r.paths {
				if fold(p.text) == name {
					return true
				}
			}
		}
	}
	return false
}
