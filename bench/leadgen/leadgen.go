// Package leadgen generates realistic synthetic B2B leads in the canonical
// CSV format, with a known duplicate structure: each entity (entity_id) is
// one person at one company, and its extra records carry the noise real
// provider data has — changed letter case, typos, nicknames, missing
// values, swapped name fields and provider-style formatting.
//
// In account mode (Options.Accounts) the rows are company-only records, as
// company exports and provider organisation searches give them: each
// organisation has one to four sites (entity_id is the site, the extra
// org_id column the organisation), and extra records of a site carry the
// name variants of company lists — legal form missing or changed, upper
// case, "&"/"and", Intl/International, word order, punctuation, typos —
// or a missing domain or address. With Options.Directors some rows also
// name a director of the site, one person on the sites of several
// organisations (an organisation list where some rows name a director).
package leadgen

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

// Header is the canonical CSV header, ground truth included.
var Header = []string{"record_id", "entity_id", "first_name", "last_name", "email", "phone", "title", "company", "domain", "street", "city", "state", "postcode", "country"}

// Options configures a generated file.
type Options struct {
	// Records is the number of rows (default 1000).
	Records int
	// DuplicateRate is the share of rows that are extra records of an
	// entity already written (default 0.3).
	DuplicateRate float64
	// Seed makes the output reproducible.
	Seed uint64
	// Accounts writes organisation records (see the package doc) with
	// AccountHeader instead of persons.
	Accounts bool
	// Directors, in account mode, is the share of rows that also name a
	// person: a director of the site, who sits on the sites of several
	// organisations (see accounts.go). The other columns are those of the
	// file without directors, row for row.
	Directors float64
}

var (
	firstNames = []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Priya", "Wei", "Fatima", "Mohammed", "Sven", "Ingrid", "Hiroshi", "Yuki", "Olga", "Dmitri", "Aisha", "Kwame", "Lucía", "José", "François", "Zoë", "Seán", "Niamh", "Björn", "Chloé"}
	nicknames  = map[string]string{"James": "Jim", "Robert": "Bob", "William": "Bill", "Richard": "Dick", "Joseph": "Joe", "Thomas": "Tom", "Charles": "Chuck", "Michael": "Mike", "David": "Dave", "Elizabeth": "Liz", "Jennifer": "Jen", "Patricia": "Pat", "Jessica": "Jess", "Susan": "Sue"}
	lastNames  = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "O'Neil", "McDonald", "van der Berg", "de la Cruz", "Nguyen", "Kim", "Patel", "Singh", "Müller", "Schmidt", "Kowalski", "Novak", "Rossi", "Dubois", "Tanaka", "Suzuki", "Okafor", "Mensah", "Larsen", "Johansson", "Murphy", "Kelly", "Ivanova", "Haddad", "Costa", "Silva"}
	companyA   = []string{"North", "Blue", "Bright", "Iron", "Silver", "Quantum", "Summit", "Harbor", "Pioneer", "Vertex", "Evergreen", "Atlas", "Beacon", "Cobalt", "Granite", "Horizon", "Keystone", "Lumen", "Meridian", "Nimbus"}
	companyB   = []string{"Networks", "Systems", "IT", "Cloud", "Data", "Tech", "Solutions", "Logic", "Works", "Labs", "Managed Services", "Consulting", "Digital", "Security", "Computing"}
	suffixes   = map[string][]string{"US": {"Inc", "LLC", "Corp."}, "GB": {"Ltd", "Limited", "PLC"}, "DE": {"GmbH", "AG"}, "AU": {"Pty Ltd"}, "FR": {"S.A.", "SARL"}, "NL": {"B.V."}}
	tlds       = map[string]string{"US": ".com", "GB": ".co.uk", "DE": ".de", "AU": ".com.au", "FR": ".fr", "NL": ".nl"}
	cities     = map[string][]string{"US": {"Austin", "Denver", "Seattle", "Boston"}, "GB": {"London", "Leeds", "Bristol"}, "DE": {"Berlin", "Munich", "Hamburg"}, "AU": {"Sydney", "Melbourne"}, "FR": {"Paris", "Lyon"}, "NL": {"Amsterdam", "Utrecht"}}
	dialCodes  = map[string]string{"US": "1", "GB": "44", "DE": "49", "AU": "61", "FR": "33", "NL": "31"}
	countries  = []string{"US", "US", "US", "GB", "GB", "DE", "AU", "FR", "NL"}
	titles     = []string{"Chief Executive Officer", "CEO", "IT Director", "Head of IT", "VP Operations", "Managing Director", "CTO", "Service Desk Manager", "Procurement Manager", "Office Manager", "Founder", "Network Engineer", "Finance Director"}
)

// entity is one true person at one company.
type entity struct {
	id                     string
	first, last, email     string
	phone, title           string
	company, domain        string
	street, city, postcode string
	country                string
}

// Generator writes rows one at a time in bounded memory (it remembers a
// window of recent entities to duplicate).
type Generator struct {
	opts     Options
	rng      *rand.Rand
	recent   []entity
	orgs     []org           // account mode
	orgNames map[string]bool // account mode: names given so far
	// Account mode with directors: their own random source (the rows
	// stay those of the file without them), and the recent directors.
	drng      *rand.Rand
	directors []director
	dirSites  []int // the directors of recent directed sites
	dirNames  map[string]bool
	n         int
}

// New returns a generator.
func New(opts Options) *Generator {
	if opts.Records <= 0 {
		opts.Records = 1000
	}
	if opts.DuplicateRate <= 0 {
		opts.DuplicateRate = 0.3
	}
	g := &Generator{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))}
	if opts.Directors > 0 {
		g.drng = rand.New(rand.NewPCG(opts.Seed^0xd1ec7075, opts.Seed))
	}
	return g
}

// Write writes the whole file to w.
func Write(w io.Writer, opts Options) error {
	g := New(opts)
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	header := Header
	if opts.Accounts {
		header = AccountHeader
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("leadgen: %w", err)
	}
	for i := 0; i < g.opts.Records; i++ {
		if err := cw.Write(g.Next()); err != nil {
			return fmt.Errorf("leadgen: row %d: %w", i+1, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("leadgen: %w", err)
	}
	return bw.Flush()
}

// Next returns the next row in Header order (AccountHeader in account
// mode).
func (g *Generator) Next() []string {
	g.n++
	rid := fmt.Sprintf("r%012x", g.rng.Uint64()&0xffffffffffff)
	if g.opts.Accounts {
		return g.nextAccount(rid)
	}
	if len(g.recent) > 0 && g.rng.Float64() < g.opts.DuplicateRate {
		e := g.recent[g.rng.IntN(len(g.recent))]
		return g.noisy(rid, e)
	}
	e := g.newEntity()
	if len(g.recent) < 4096 {
		g.recent = append(g.recent, e)
	} else {
		g.recent[g.rng.IntN(len(g.recent))] = e
	}
	return row(rid, e)
}

func (g *Generator) pick(s []string) string { return s[g.rng.IntN(len(s))] }

func (g *Generator) newEntity() entity {
	c := g.pick(countries)
	a, b := g.pick(companyA), g.pick(companyB)
	company := a + " " + b + " " + g.pick(suffixes[c])
	slug := strings.ToLower(a + strings.ReplaceAll(b, " ", ""))
	domain := fmt.Sprintf("%s%d%s", slug, g.rng.IntN(500), tlds[c])
	first, last := g.pick(firstNames), g.pick(lastNames)
	local := strings.ToLower(asciiOnly(first) + "." + asciiOnly(last))
	return entity{
		id:    fmt.Sprintf("e%010x", g.rng.Uint64()&0xffffffffff),
		first: first, last: last,
		email:   fmt.Sprintf("%s%d@%s", local, g.rng.IntN(100), domain),
		phone:   fmt.Sprintf("+%s %d %d", dialCodes[c], 100+g.rng.IntN(899), 1000000+g.rng.IntN(8999999)),
		title:   g.pick(titles),
		company: company, domain: domain,
		street:   fmt.Sprintf("%d %s Street", 1+g.rng.IntN(300), g.pick(lastNames)),
		city:     g.pick(cities[c]),
		postcode: fmt.Sprintf("%05d", g.rng.IntN(99999)),
		country:  c,
	}
}

// noisy returns another record of e with provider-style noise.
func (g *Generator) noisy(rid string, e entity) []string {
	switch g.rng.IntN(8) {
	case 0:
		e.email = strings.ToUpper(e.email)
	case 1:
		if n, ok := nicknames[e.first]; ok {
			e.first = n
		}
	case 2:
		e.last = typo(g.rng, e.last)
	case 3:
		e.phone, e.title = "", ""
	case 4:
		e.first, e.last = e.last, e.first
	case 5:
		e.company = strings.ToUpper(e.company)
	case 6:
		e.phone = strings.NewReplacer(" ", "-", "+", "00").Replace(e.phone)
	case 7:
		e.street, e.city, e.postcode = "", "", ""
	}
	return row(rid, e)
}

func row(rid string, e entity) []string {
	return []string{rid, e.id, e.first, e.last, e.email, e.phone, e.title, e.company, e.domain, e.street, e.city, "", e.postcode, e.country}
}

// typo swaps two neighbouring letters.
func typo(rng *rand.Rand, s string) string {
	r := []rune(s)
	if len(r) < 3 {
		return s
	}
	i := 1 + rng.IntN(len(r)-2)
	r[i], r[i+1] = r[i+1], r[i]
	return string(r)
}

func asciiOnly(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			return r
		case r == 'ü':
			return 'u'
		case r == 'é' || r == 'ë':
			return 'e'
		case r == 'ö':
			return 'o'
		case r == 'í':
			return 'i'
		case r == 'ç':
			return 'c'
		case r == 'á':
			return 'a'
		}
		return -1
	}, s)
}
