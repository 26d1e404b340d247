// Package ledger is the enrich stage's per-partition memory of what it
// paid for, kept in the stage's table (Badger, restored from the compacted
// changelog like dedupe's state):
//
//   - the cache: each provider's answer for a person (keyed by a hash of
//     the person's name and domain, or e-mail) and for a company domain,
//     reused until its TTL passes, misses included;
//   - the ledger: an entry written and made durable before every paid
//     call, completed when the answer is stored, so that after a crash an
//     entry still open means "paid, answer lost" and the stage reconciles
//     (Apollo's free webhook_result) or moves on instead of paying again;
//   - the spend: credits per provider per UTC day and month, checked
//     against the partition's share of each budget before a call.
//
// Keys hold no personal data in clear: people and domains are SHA-256
// digests.
package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/internal/lead"
)

// Table is the part of pipeline.Table the ledger uses.
type Table interface {
	Get(key string) ([]byte, bool, error)
	Put(key string, value []byte)
}

// Ledger reads and writes one partition's cache, ledger and spend.
type Ledger struct {
	T   Table
	TTL time.Duration
}

// PersonKey is the cache key of a lead's person: a digest of the
// normalised first and last name with the registrable domain (else the
// company), or of the e-mail when the name is unknown; "" when the lead
// cannot be looked up.
func PersonKey(l *lead.Lead) string {
	first, last := norm(l.FirstName), norm(l.LastName)
	org := norm(l.Domain)
	if org == "" {
		org = norm(l.CompanyKey)
	}
	if org == "" {
		org = norm(l.Company)
	}
	var s string
	switch {
	case first != "" && last != "" && org != "":
		s = "n|" + first + "|" + last + "|" + org
	case l.Email != "":
		s = "e|" + norm(l.Email)
	default:
		return ""
	}
	return digest(s)
}

// VerifyKey is the cache (and ledger) key of a verification of one
// address: a verification is about the address, whoever holds it, so two
// leads with one unverified address are paid for once.
func VerifyKey(address string) string {
	if address = norm(address); address == "" {
		return ""
	}
	return digest("v|" + address)
}

// LeadKey is the cache key of a lead: dedupe gives a lead its id for
// life, so the lead's later records (a name spelt another way, a reimport
// in another order) find the answers its first one paid for.
func LeadKey(leadID string) string {
	if leadID == "" {
		return ""
	}
	return digest("l|" + leadID)
}

// PersonKeys are the cache keys of a lead, the lead's own first: answers
// are stored under each and found under any.
func PersonKeys(leadID string, l *lead.Lead) []string {
	var out []string
	for _, k := range []string{LeadKey(leadID), PersonKey(l)} {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// DomainKey is the cache key of a company domain.
func DomainKey(domain string) string {
	if domain = norm(domain); domain == "" {
		return ""
	}
	return digest("d|" + domain)
}

func norm(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

// Answer is a cached provider answer.
type Answer struct {
	At     time.Time     `json:"at"`
	Result enrich.Result `json:"result"`
	// RevealPending: an asynchronous part (Apollo's phones) is still due
	// under Result.RequestID.
	RevealPending bool `json:"reveal_pending,omitempty"`
}

// Company is a cached company answer.
type Company struct {
	At    time.Time           `json:"at"`
	Found bool                `json:"found"`
	Facts enrich.CompanyFacts `json:"facts,omitzero"`
}

// Entry is one ledger line: a paid call for an item at a provider.
type Entry struct {
	State    string    `json:"state"` // open, done
	At       time.Time `json:"at"`
	Reserved float64   `json:"reserved"`
	Credits  float64   `json:"credits,omitempty"`
}

// Ledger states.
const (
	Open = "open"
	Done = "done"
)

func personCacheKey(provider, pk string) string { return "c/p/" + provider + "/" + pk }
func domainCacheKey(provider, dk string) string { return "c/d/" + provider + "/" + dk }
func ledgerKey(provider, item string) string    { return "l/" + provider + "/" + item }

func (lg *Ledger) get(key string, v any) (bool, error) {
	b, ok, err := lg.T.Get(key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("ledger: %s: %w", key, err)
	}
	return true, nil
}

func (lg *Ledger) put(key string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs
	}
	lg.T.Put(key, b)
}

// Person returns the cached answer of provider for person key pk, if fresh.
func (lg *Ledger) Person(provider, pk string, now time.Time) (Answer, bool, error) {
	var a Answer
	ok, err := lg.get(personCacheKey(provider, pk), &a)
	if err != nil || !ok || now.Sub(a.At) > lg.TTL {
		return Answer{}, false, err
	}
	return a, true, nil
}

// PutPerson caches an answer.
func (lg *Ledger) PutPerson(provider, pk string, a Answer) { lg.put(personCacheKey(provider, pk), a) }

// Company returns the cached company answer, if fresh.
func (lg *Ledger) Company(provider, dk string, now time.Time) (Company, bool, error) {
	var c Company
	ok, err := lg.get(domainCacheKey(provider, dk), &c)
	if err != nil || !ok || now.Sub(c.At) > lg.TTL {
		return Company{}, false, err
	}
	return c, true, nil
}

// PutCompany caches a company answer.
func (lg *Ledger) PutCompany(provider, dk string, c Company) { lg.put(domainCacheKey(provider, dk), c) }

// Entry returns the ledger line of item at provider, if any within the TTL.
func (lg *Ledger) Entry(provider, item string, now time.Time) (Entry, bool, error) {
	var e Entry
	ok, err := lg.get(ledgerKey(provider, item), &e)
	if err != nil || !ok || now.Sub(e.At) > lg.TTL {
		return Entry{}, false, err
	}
	return e, true, nil
}

// Begin opens the ledger line of a call about to be paid and reserves its
// credits against the day and month spend. The caller makes it durable
// (Table.Commit) before the call.
func (lg *Ledger) Begin(provider, item string, reserve float64, now time.Time) error {
	if err := lg.addSpend(provider, reserve, now); err != nil {
		return err
	}
	lg.put(ledgerKey(provider, item), Entry{State: Open, At: now, Reserved: reserve})
	return nil
}

// Finish closes a ledger line with what the call actually cost, giving
// back the rest of the reservation.
func (lg *Ledger) Finish(provider, item string, credits float64, now time.Time) error {
	var e Entry
	if _, err := lg.get(ledgerKey(provider, item), &e); err != nil {
		return err
	}
	if diff := credits - e.Reserved; diff != 0 {
		if err := lg.addSpend(provider, diff, e.At); err != nil {
			return err
		}
	}
	lg.put(ledgerKey(provider, item), Entry{State: Done, At: now, Reserved: e.Reserved, Credits: credits})
	return nil
}

func dayKey(provider string, t time.Time) string {
	return "b/" + provider + "/d/" + t.UTC().Format("2006-01-02")
}
func monthKey(provider string, t time.Time) string {
	return "b/" + provider + "/m/" + t.UTC().Format("2006-01")
}

func (lg *Ledger) spend(key string) (float64, error) {
	b, ok, err := lg.T.Get(key)
	if err != nil || !ok {
		return 0, err
	}
	return strconv.ParseFloat(string(b), 64)
}

func (lg *Ledger) addSpend(provider string, n float64, t time.Time) error {
	for _, k := range []string{dayKey(provider, t), monthKey(provider, t)} {
		v, err := lg.spend(k)
		if err != nil {
			return err
		}
		lg.T.Put(k, []byte(strconv.FormatFloat(max(v+n, 0), 'f', -1, 64)))
	}
	return nil
}

// Spent returns the credits spent (or reserved) today and this month.
func (lg *Ledger) Spent(provider string, now time.Time) (day, month float64, err error) {
	if day, err = lg.spend(dayKey(provider, now)); err != nil {
		return 0, 0, err
	}
	month, err = lg.spend(monthKey(provider, now))
	return day, month, err
}

// Allows reports whether cost more credits fit under the day and month
// limits (nil: unlimited).
func (lg *Ledger) Allows(provider string, cost float64, day, month *float64, now time.Time) (bool, error) {
	d, m, err := lg.Spent(provider, now)
	if err != nil {
		return false, err
	}
	if day != nil && d+cost > *day+1e-9 {
		return false, nil
	}
	if month != nil && m+cost > *month+1e-9 {
		return false, nil
	}
	return true, nil
}
