package leadgen

import (
	"fmt"
	"strings"
)

// AccountHeader is the header of an account file (Options.Accounts): the
// canonical header plus org_id, the true organisation. entity_id is the
// true site (an organisation at one address).
var AccountHeader = append(append([]string{}, Header...), "org_id")

// org is one true organisation with its sites.
type org struct {
	id, name, suffix, domain, country string
	sites                             []site
}

// site is one address of an organisation.
type site struct {
	id, street, city, postcode, phone string
	// director is the person some rows of the site name (-1: none), an
	// index into Generator.directors.
	director int
}

// director is a person who sits on the sites of several organisations.
type director struct {
	first, last string
	sites       int
}

// Directors (Options.Directors): a site has a director with probability
// Directors/directorRowShare, and each row of it names the director with
// probability directorRowShare, so that Directors of the rows name one. A
// site's director is a new one with probability 1/directorSites, else
// one of the recent directors or the director of a recent directed site,
// so that a director sits on directorSites sites on average (of as many
// organisations, mostly) and a few sit on many (up to maxDirectorSites).
const (
	directorRowShare = 0.8
	directorSites    = 5
	maxDirectorSites = 25
	recentSites      = 4096
)

// assignDirectors gives each site of o a director or none.
func (g *Generator) assignDirectors(o org) {
	siteShare := min(1, g.opts.Directors/directorRowShare)
	for i := range o.sites {
		o.sites[i].director = -1
		if g.drng.Float64() >= siteShare {
			continue
		}
		d := -1
		switch {
		case len(g.dirSites) == 0 || g.drng.IntN(directorSites) == 0:
		case g.drng.IntN(2) == 0:
			d = g.dirSites[g.drng.IntN(len(g.dirSites))] // busy directors get busier
		default:
			d = len(g.directors) - 1 - g.drng.IntN(min(len(g.directors), recentSites))
		}
		if d < 0 || g.directors[d].sites >= maxDirectorSites {
			g.directors = append(g.directors, g.newDirector())
			d = len(g.directors) - 1
		}
		g.directors[d].sites++
		o.sites[i].director = d
		if len(g.dirSites) < recentSites {
			g.dirSites = append(g.dirSites, d)
		} else {
			g.dirSites[g.drng.IntN(recentSites)] = d
		}
	}
}

// newDirector makes up a director whose name no earlier one has, while
// the names last.
func (g *Generator) newDirector() director {
	if g.dirNames == nil {
		g.dirNames = map[string]bool{}
	}
	var d director
	for tries := 0; tries < 20; tries++ {
		d = director{first: firstNames[g.drng.IntN(len(firstNames))], last: lastNames[g.drng.IntN(len(lastNames))]}
		if !g.dirNames[d.first+" "+d.last] {
			break
		}
	}
	g.dirNames[d.first+" "+d.last] = true
	return d
}

// withDirector puts the director of site s on row, on directorRowShare of
// its rows.
func (g *Generator) withDirector(row []string, s site) []string {
	if s.director < 0 || s.director >= len(g.directors) || g.drng.Float64() >= directorRowShare {
		return row
	}
	d := g.directors[s.director]
	row[2], row[3] = d.first, d.last
	return row
}

// accountWords are company words with the variants real lists use.
var accountWords = []string{"International", "Group", "Holding", "& Partners", "Technologies", "Services"}

func (g *Generator) newOrg() org {
	c := g.pick(countries)
	if g.orgNames == nil {
		g.orgNames = map[string]bool{}
	}
	// One organisation per brand: namesakes are rare in real lists, and a
	// record that drops its domain could not be told from one.
	a := g.brand()
	for tries := 0; g.orgNames[a] && tries < 100; tries++ {
		a = g.brand()
	}
	g.orgNames[a] = true
	b := g.pick(companyB)
	name := a + " " + b
	if g.rng.IntN(3) == 0 {
		name += " " + g.pick(accountWords)
	}
	slug := strings.ToLower(a + strings.ReplaceAll(b, " ", ""))
	o := org{
		id: fmt.Sprintf("o%010x", g.rng.Uint64()&0xffffffffff), name: name, suffix: g.pick(suffixes[c]),
		domain: fmt.Sprintf("%s%d%s", slug, g.rng.IntN(500), tlds[c]), country: c,
	}
	for range 1 + g.rng.IntN(4) {
		o.sites = append(o.sites, site{
			id:       fmt.Sprintf("s%010x", g.rng.Uint64()&0xffffffffff),
			street:   fmt.Sprintf("%d %s Street", 1+g.rng.IntN(300), g.pick(lastNames)),
			city:     g.pick(cities[c]),
			postcode: fmt.Sprintf("%05d", g.rng.IntN(99999)),
			phone:    fmt.Sprintf("+%s %d %d", dialCodes[c], 100+g.rng.IntN(899), 1000000+g.rng.IntN(8999999)),
		})
	}
	return o
}

// nextAccount returns the next row of an account file: a site of a new
// organisation, or another record of a known site with the name variants
// company lists have.
func (g *Generator) nextAccount(rid string) []string {
	if len(g.orgs) > 0 && g.rng.Float64() < g.opts.DuplicateRate {
		o := g.orgs[g.rng.IntN(len(g.orgs))]
		return g.accountRow(rid, o, o.sites[g.rng.IntN(len(o.sites))], true)
	}
	o := g.newOrg()
	if g.drng != nil {
		g.assignDirectors(o)
	}
	if len(g.orgs) < 4096 {
		g.orgs = append(g.orgs, o)
	} else {
		g.orgs[g.rng.IntN(len(g.orgs))] = o
	}
	return g.accountRow(rid, o, o.sites[0], false)
}

// accountRow is one record of site s of organisation o; noisy adds one
// variant of the name or a missing or reformatted field.
func (g *Generator) accountRow(rid string, o org, s site, noisy bool) []string {
	name := o.name + " " + o.suffix
	domain, phone, street, city, postcode := o.domain, s.phone, s.street, s.city, s.postcode
	if noisy {
		switch g.rng.IntN(9) {
		case 0:
			name = strings.ToUpper(name)
		case 1:
			name = o.name // no legal form
		case 2:
			name = strings.NewReplacer("&", "and", "International", "Intl", "Technologies", "Tech.").Replace(name)
		case 3:
			w := strings.Fields(o.name)
			w[0], w[len(w)-1] = w[len(w)-1], w[0] // word order
			name = strings.Join(w, " ") + ", " + o.suffix
		case 4:
			name = typo(g.rng, o.name) + " " + o.suffix
		case 5:
			domain = ""
		case 6:
			phone = strings.NewReplacer(" ", "-", "+", "00").Replace(phone)
		case 7:
			name = strings.ReplaceAll(name, ".", "")
		case 8:
			street, postcode = "", ""
		}
	}
	row := []string{rid, s.id, "", "", "", phone, "", name, domain, street, city, "", postcode, o.country, o.id}
	if g.drng != nil {
		row = g.withDirector(row, s)
	}
	return row
}

// brand makes up a brand word of two or three syllables ("Zorvik").
func (g *Generator) brand() string {
	const cons, vows = "bcdfghklmnprstvz", "aeiou"
	var b []byte
	for range 2 + g.rng.IntN(2) {
		b = append(b, cons[g.rng.IntN(len(cons))], vows[g.rng.IntN(len(vows))])
	}
	b = append(b, cons[g.rng.IntN(len(cons))])
	b[0] -= 'a' - 'A'
	return string(b)
}
