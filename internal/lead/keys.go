package lead

import (
	"crypto/sha256"
	"strings"
	"time"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// RegistrableDomain reduces a host name, URL or e-mail domain to its
// registrable domain (eTLD+1) using the public suffix list. It returns ""
// when nothing registrable is left.
func RegistrableDomain(host string) string {
	h := strings.ToLower(strings.TrimSpace(host))
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	}
	if i := strings.LastIndexByte(h, '@'); i >= 0 {
		h = h[i+1:]
	}
	if i := strings.IndexAny(h, "/?#:"); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimPrefix(strings.TrimSuffix(h, "."), "www.")
	if a, err := idna.Lookup.ToASCII(h); err == nil {
		h = a
	}
	if !validDomain(h) {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(h)
	if err != nil {
		return ""
	}
	return d
}

// EmailDomain returns the registrable domain of an e-mail address.
func EmailDomain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	return RegistrableDomain(email[i+1:])
}

// PartitionKey is the Kafka key that sends every record that could match
// this lead to the same partition: the registrable company domain (from
// the domain field, else a non-free-mail e-mail), else the normalised
// company name, else the normalised e-mail, else the person: their name,
// postcode and country, so that person-only records spread over every
// partition (dedupe's global candidate view finds a duplicate whatever
// partition it is on).
func (l *Lead) PartitionKey() string {
	if d := RegistrableDomain(l.Domain); d != "" {
		return "d:" + d
	}
	if d := EmailDomain(l.Email); d != "" && !IsFreeMail(d) {
		return "d:" + d
	}
	if c := CompanyKey(l.Company); c != "" {
		return "c:" + c
	}
	if l.Email != "" {
		return "e:" + strings.ToLower(l.Email)
	}
	return "p:" + strings.ToLower(l.Country) + ":" + strings.ToLower(strings.TrimSpace(l.FirstName)+" "+strings.TrimSpace(l.LastName)+" "+strings.TrimSpace(l.FullName)) + ":" + strings.ToLower(strings.TrimSpace(l.Postcode))
}

// crockford is the ULID alphabet.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID mints a ULID-shaped id with a type prefix ("ld_", "org_", …) whose
// time part is t and whose random part is derived from seed. The same seed
// and time always give the same id, which is what makes replays and
// restarts mint the same lead id instead of a second lead.
func NewID(prefix string, t time.Time, seed string) string {
	var raw [16]byte
	ms := uint64(t.UnixMilli())
	for i := 5; i >= 0; i-- {
		raw[i] = byte(ms)
		ms >>= 8
	}
	sum := sha256.Sum256([]byte(seed))
	copy(raw[6:], sum[:10])
	// 128 bits as 26 base32 characters: the first carries 3 bits.
	out := make([]byte, 26)
	var acc uint64
	var bits uint
	j := 0
	out[j] = crockford[raw[0]>>5]
	j++
	acc = uint64(raw[0] & 0x1f)
	bits = 5
	for i := 1; i < 16; i++ {
		acc = acc<<8 | uint64(raw[i])
		bits += 8
		for bits >= 5 {
			bits -= 5
			out[j] = crockford[(acc>>bits)&0x1f]
			j++
		}
	}
	return prefix + string(out[:j])
}
