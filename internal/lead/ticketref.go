package lead

import (
	"net/url"
	"regexp"
)

// TicketRef is the marker the sink puts in a lead ticket's details so the
// ticket can be found again by search (crm.md §6.4) and a HaloPSA change to
// it routed back to the lead's partition: "(leadstream <lead id> key=<key>)",
// the key query-escaped.
func TicketRef(leadID, key string) string {
	return "(leadstream " + leadID + " key=" + url.QueryEscape(key) + ")"
}

var ticketRef = regexp.MustCompile(`\(leadstream (\S+) key=(\S*)\)`)

// ParseTicketRef finds the marker TicketRef wrote in details.
func ParseTicketRef(details string) (leadID, key string, ok bool) {
	m := ticketRef.FindStringSubmatch(details)
	if m == nil {
		return "", "", false
	}
	k, err := url.QueryUnescape(m[2])
	if err != nil {
		return "", "", false
	}
	return m[1], k, true
}
