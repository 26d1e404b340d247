package normalize

import "github.com/leadstream/leadstream/internal/lead"

// DefaultPhoneCache is how many parsed phone numbers a partition's
// processor remembers: parsing (libphonenumber's metadata regexps) was half
// of normalize's CPU, and the records of one company or one person repeat
// their numbers.
const DefaultPhoneCache = 4096

// phoneKey is one lead.NormalizePhone call.
type phoneKey struct{ raw, region, kind string }

// phoneCache remembers lead.NormalizePhone's answers in two generations of
// at most size entries each: when the current one is full it becomes the
// old one and the old one is dropped, so the cache holds at most 2×size
// entries and keeps the numbers seen recently. It is not safe for
// concurrent use; each partition's processor has its own.
type phoneCache struct {
	size     int
	cur, old map[phoneKey]lead.Phone
}

func newPhoneCache(size int) *phoneCache {
	return &phoneCache{size: size, cur: make(map[phoneKey]lead.Phone)}
}

// parse is lead.NormalizePhone through the cache.
func (c *phoneCache) parse(raw, region, kind string) lead.Phone {
	k := phoneKey{raw, region, kind}
	if p, ok := c.cur[k]; ok {
		return p
	}
	p, ok := c.old[k]
	if !ok {
		p = lead.NormalizePhone(raw, region, kind)
	}
	if len(c.cur) >= c.size {
		c.old, c.cur = c.cur, make(map[phoneKey]lead.Phone, c.size)
	}
	c.cur[k] = p
	return p
}
