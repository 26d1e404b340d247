package match

import (
	"sort"
	"strings"
)

// Keys returns the blocking keys of a record: a store that maps each key
// to the leads carrying it returns the candidates of §4.1 and more. Every
// key combines two pieces of evidence (except the exact email and phone
// keys), so a key shared by many leads stays rare; the store still caps
// the leads per key (see [Index]). The keys, by prefix:
//
//	e:   email match key
//	p:   E.164 phone
//	l:   email local part without . _ - (5+ characters, not a role
//	     address): survives a corrupted or changed domain
//	l1:  for a record with no organisation (no company, no domain), that
//	     local part (6+ characters) and each of it less one character:
//	     mailboxes one typo apart share a key
//	d:   organisation domain (or non-free email domain) + Soundex of
//	     either name part
//	c:   company key + Soundex of either name part
//	n:   the Soundex codes of first and last name, sorted (survives a
//	     first/last swap and most typos)
//	ni:  Soundex of one name part + initial of the other (both ways)
//	pc:  postcode + initial of either name part
//	ps:  postcode + Soundex of the street's main word
//	sc:  Soundex of the street's main word + Soundex of the city
//	nc:  Soundex of either name part + Soundex of the city
//	pn:  postcode digits in sorted order + house number (survives a
//	     transposed postcode and any typo in the names, street or city)
//
// Soundex codes are of the name with spaces removed, so "ree s" and
// "rees" share keys.
func Keys(r Record) []string {
	p := prepare(&r)
	return blockingKeys(&r, &p)
}

// Keys returns the blocking keys of the prepared record (see [Keys]).
func (x *Prepared) Keys() []string {
	p := x.p
	return blockingKeys(&x.rec, &p)
}

func blockingKeys(r *Record, p *prep) []string {
	var keys []string
	if r.Organisation {
		keys = orgKeys(r, p)
	} else {
		keys = personKeys(r, p)
	}
	sort.Strings(keys)
	out := keys[:0]
	for i, k := range keys {
		if i == 0 || k != keys[i-1] {
			out = append(out, k)
		}
	}
	return out
}

// sortedDigits returns the digits of s in ascending order, or "" when s
// has fewer than four.
func sortedDigits(s string) string {
	var d []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			d = append(d, s[i])
		}
	}
	if len(d) < 4 {
		return ""
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return string(d)
}

func initial(s string) string {
	if s == "" {
		return ""
	}
	return s[:1]
}

// mainWord is the longest alphabetic word of a street (the street name
// rather than the number or the type), the first of equals.
func mainWord(street string) string {
	best := ""
	for _, w := range strings.Fields(street) {
		if w[0] >= '0' && w[0] <= '9' {
			continue
		}
		if len(w) > len(best) {
			best = w
		}
	}
	return best
}

// personKeys are the blocking keys of a person record (see [Keys]).
func personKeys(r *Record, p *prep) []string {
	var keys []string
	add := func(parts ...string) {
		for _, x := range parts[1:] {
			if x == "" {
				return
			}
		}
		keys = append(keys, strings.Join(parts, "|"))
	}
	sf, sl := Soundex(p.firstNS), Soundex(p.lastNS)
	if sf == "" && sl == "" && p.full != "" {
		sl = Soundex(nospace(p.full))
	}
	fi, li := initial(p.firstNS), initial(p.lastNS)

	add("e", r.Email)
	add("p", r.Phone)
	if len(p.localPlain) >= 5 && !r.EmailRole {
		add("l", p.localPlain)
		if p.company == "" && r.Domain == "" && len(p.localPlain) >= 6 {
			for i := range len(p.localPlain) {
				add("l1", p.localPlain[:i]+p.localPlain[i+1:])
			}
			add("l1", p.localPlain)
		}
	}
	dom := r.Domain
	if dom == "" && !r.EmailFreeMail {
		dom = p.domain
	}
	add("d", dom, sl)
	add("d", dom, sf)
	add("c", p.company, sl)
	add("c", p.company, sf)
	if sf != "" && sl != "" {
		x, y := sf, sl
		if y < x {
			x, y = y, x
		}
		add("n", x, y)
	}
	add("ni", sl, fi)
	add("ni", sf, li)
	add("pc", p.postcode, li)
	add("pc", p.postcode, fi)
	sw := Soundex(mainWord(p.street))
	add("ps", p.postcode, sw)
	add("sc", sw, Soundex(p.cityNS))
	sc := Soundex(p.cityNS)
	add("nc", sl, sc)
	add("nc", sf, sc)
	add("pn", sortedDigits(p.postcode), p.streetNum)
	return keys
}
