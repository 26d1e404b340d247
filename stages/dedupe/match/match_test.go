package match

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSoundex(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Robert", "R163"},
		{"Rupert", "R163"},
		{"Rubin", "R150"},
		{"Ashcraft", "A261"}, // h does not separate s and c
		{"Ashcroft", "A261"},
		{"Tymczak", "T522"},
		{"Pfister", "P236"}, // first letter's code absorbs f
		{"Honeyman", "H555"},
		{"Lee", "L000"},
		{"o'brien", "O165"},
		{"van der berg", "V536"},
		{"", ""},
		{"123", ""},
		{"Müller", "M460"}, // non-ASCII letters are skipped
	}
	for _, tc := range tests {
		if got := Soundex(tc.in); got != tc.want {
			t.Errorf("Soundex(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNameForm(t *testing.T) {
	tests := []struct{ in, want string }{
		{"José  Núñez", "jose nunez"},
		{"Smith-Jones", "smith jones"},
		{"O'Brien", "o brien"},
		{"  ANNE ", "anne"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := NameForm(tc.in); got != tc.want {
			t.Errorf("NameForm(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestJaroWinkler(t *testing.T) {
	if got := jw("martha", "marhta"); math.Abs(got-0.9611) > 0.001 {
		t.Errorf("jw(martha, marhta) = %.4f, want 0.9611", got)
	}
	// Below the 0.7 boost threshold no prefix bonus applies.
	j := jw("abcxyzuvw", "abcqrstlm")
	if j >= 0.7 {
		t.Fatalf("test pair too similar: %.3f", j)
	}
	if jw("", "x") != 0 || jw("x", "x") != 1 {
		t.Error("jw edge cases")
	}
	if got := jwLoose("ree s", "rees"); got != 1 {
		t.Errorf("jwLoose(ree s, rees) = %v, want 1", got)
	}
}

func TestOSA(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"4171", "4117", 1}, {"2621", "2612", 1}, {"3083", "3083", 0}, {"2233", "7018", 4}, {"", "abc", 3},
	}
	for _, tc := range tests {
		if got := osa(tc.a, tc.b); got != tc.want {
			t.Errorf("osa(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func pr(r Record) *prep { p := prepare(&r); return &p }

func TestEmailE(t *testing.T) {
	tests := []struct {
		name string
		a, b Record
		want Component
	}{
		{"equal keys", Record{Email: "a.b@x.com"}, Record{Email: "a.b@x.com"}, Component{1, true}},
		{"punctuation", Record{Email: "john.smith@acme.com"}, Record{Email: "john_smith@acme.com"}, Component{0.9, true}},
		{"name pattern", Record{FirstName: "John", LastName: "Smith", Email: "john.smith@acme.co.uk"},
			Record{FirstName: "Jon", LastName: "Smith", Email: "jsmith@acme.co.uk"}, Component{0.8, true}},
		{"pattern last.first vs flast", Record{FirstName: "Anna", LastName: "Berg", Email: "berg.anna@acme.com"},
			Record{Email: "aberg@acme.com"}, Component{0.8, true}},
		{"different mailbox", Record{Email: "sales.team@acme.com"}, Record{Email: "zoe@acme.com"}, Component{0, true}},
		{"other domain", Record{Email: "john@acme.com"}, Record{Email: "john@other.com"}, Component{0, true}},
		{"free mail", Record{Email: "john.smith@gmail.com", EmailFreeMail: true},
			Record{Email: "johnsmith1@gmail.com", EmailFreeMail: true}, Component{0, true}},
		{"missing", Record{Email: "john@acme.com"}, Record{}, Component{}},
	}
	for _, tc := range tests {
		if got := emailE(pr(tc.a), pr(tc.b)); !near(got.Value, tc.want.Value) || got.Comparable != tc.want.Comparable {
			t.Errorf("%s: E = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// Same domain, similar local parts: 0.6 × JW.
	got := emailE(pr(Record{Email: "jonathan.pike@acme.com"}), pr(Record{Email: "jonathon.pike@acme.com"}))
	want := 0.6 * jw("jonathan.pike", "jonathon.pike")
	if !near(got.Value, want) || want < 0.5 {
		t.Errorf("JW rule: E = %v, want %v", got.Value, want)
	}
}

func TestNameN(t *testing.T) {
	rec := func(f, l string) Record { return Record{FirstName: f, LastName: l} }
	tests := []struct {
		name string
		a, b Record
		want float64
	}{
		{"equal", rec("Anna", "Berg"), rec("ANNA", "berg"), 1},
		{"nickname", rec("Jon", "Smith"), rec("John", "Smith"), 1},
		{"nickname bill", rec("Bill", "Gates"), rec("William", "Gates"), 1},
		{"initial", rec("J", "Smith"), rec("John", "Smith"), 0.4*0.85 + 0.6},
		{"compound surname", rec("Ana", "Garcia"), rec("Ana", "Garcia-Lopez"), 0.4 + 0.6*0.95},
		{"swapped", rec("Smith", "John"), rec("John", "Smith"), 0.9},
		{"accents", rec("José", "Núñez"), rec("Jose", "Nunez"), 1},
		{"missing first", Record{LastName: "Berg"}, rec("Anna", "Berg"), 0.8 * jwLoose("berg", "anna berg")},
		{"missing both firsts", Record{LastName: "Berg"}, Record{LastName: "Berg"}, 0.8},
		{"different", rec("Anna", "Berg"), rec("Otto", "Lund"),
			0.4*jw("anna", "otto") + 0.6*jw("berg", "lund")},
	}
	for _, tc := range tests {
		got := nameN(pr(tc.a), pr(tc.b))
		if !got.Comparable || !near(got.Value, tc.want) {
			t.Errorf("%s: N = %+v, want %v", tc.name, got, tc.want)
		}
	}
	if got := nameN(pr(Record{}), pr(rec("A", "B"))); got.Comparable {
		t.Errorf("no name: N comparable")
	}
	// Typo: plain JW.
	got := nameN(pr(rec("Martha", "Brown")), pr(rec("Marhta", "Brown")))
	if want := 0.4*jw("martha", "marhta") + 0.6; !near(got.Value, want) {
		t.Errorf("typo: N = %v, want %v", got.Value, want)
	}
}

func TestPhoneP(t *testing.T) {
	tests := []struct {
		name   string
		a, b   Record
		shared bool
		want   Component
	}{
		{"direct", Record{Phone: "+442079460123", PhoneKind: "direct"}, Record{Phone: "+442079460123", PhoneKind: "mobile"}, false, Component{1, true}},
		{"company", Record{Phone: "+442079460123", PhoneKind: "company"}, Record{Phone: "+442079460123"}, false, Component{0.5, true}},
		{"shared", Record{Phone: "+442079460123"}, Record{Phone: "+442079460123"}, true, Component{0.5, true}},
		{"different", Record{Phone: "+442079460123"}, Record{Phone: "+442079460124"}, false, Component{0, true}},
		{"missing", Record{Phone: "+442079460123"}, Record{}, false, Component{}},
	}
	for _, tc := range tests {
		if got := phoneP(pr(tc.a), pr(tc.b), tc.shared); got != tc.want {
			t.Errorf("%s: P = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestCompanyC(t *testing.T) {
	tests := []struct {
		name string
		a, b Record
		want Component
	}{
		{"same key", Record{Company: "acme"}, Record{Company: "acme"}, Component{1, true}},
		{"same domain", Record{Company: "acme", Domain: "acme.com"}, Record{Company: "acmecorp", Domain: "acme.com"}, Component{1, true}},
		{"same org id", Record{OrgID: "o1"}, Record{OrgID: "o1"}, Component{1, true}},
		{"dice, no country", Record{Company: "acmesystems"}, Record{Company: "acmesolutions"},
			Component{dice("acmesystems", "acmesolutions"), true}},
		{"name match in one country", Record{Company: "acmesystem", Country: "GB"}, Record{Company: "acmesystems", Country: "GB"}, Component{1, true}},
		{"missing", Record{Company: "acme"}, Record{}, Component{}},
	}
	for _, tc := range tests {
		if got := companyC(pr(tc.a), pr(tc.b)); !near(got.Value, tc.want.Value) || got.Comparable != tc.want.Comparable {
			t.Errorf("%s: C = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// §2.4: Dice keeps "acme systems" and "acme solutions" apart.
	if d := dice("acmesystems", "acmesolutions"); d > 0.6 {
		t.Errorf("dice = %v", d)
	}
}

func TestAddressA(t *testing.T) {
	addr := func(street, city, pc string) Record { return Record{Street: street, City: city, Postcode: pc} }
	tests := []struct {
		name     string
		a, b     Record
		cityOnly bool
		want     Component
	}{
		{"equal", addr("12 High Street", "Leeds", "LS1 1AA"), addr("12 high street", "Leeds", "ls1 1aa"), false, Component{1, true}},
		{"postcode differs", addr("12 High Street", "Leeds", "LS1 1AA"), addr("12 High Street", "Leeds", "LS1 1AB"), false,
			Component{(0.5 + 0.2) / 1.0, true}},
		{"street typo", addr("12 High Street", "", "2000"), addr("12 High Stret", "", "2000"), false,
			Component{(0.5*jw("12 high street", "12 high stret") + 0.3) / 0.8, true}},
		{"postcode only", addr("", "Leeds", "2000"), addr("", "Leeds", "2000"), false, Component{1, true}},
		{"city only (spec)", addr("", "Leeds", ""), addr("", "Leeds", ""), false, Component{}},
		{"city only (option)", addr("", "Leeds", ""), addr("", "Leds", ""), true, Component{1, true}},
		{"missing", addr("1 A St", "", ""), Record{}, false, Component{}},
	}
	for _, tc := range tests {
		if got := addressA(pr(tc.a), pr(tc.b), tc.cityOnly); !near(got.Value, tc.want.Value) || got.Comparable != tc.want.Comparable {
			t.Errorf("%s: A = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// workedExample is the fixture of §4.2.
func workedExample() (existing, incoming Record) {
	existing = Record{FirstName: "John", LastName: "Smith", Email: "john.smith@acme.co.uk",
		Phone: "+442079460123", PhoneKind: "direct", Company: "acme"}
	incoming = Record{FirstName: "Jon", LastName: "Smith", Email: "jsmith@acme.co.uk",
		Phone: "+442079460123", PhoneKind: "direct", Company: "acme"}
	return
}

func TestWorkedExample(t *testing.T) {
	existing, incoming := workedExample()
	cfg := SpecConfig()
	bd := Score(incoming, existing, false, cfg)
	if !near(bd.E.Value, 0.8) || !near(bd.N.Value, 1) || !near(bd.P.Value, 1) || !near(bd.C.Value, 1) || bd.A.Comparable {
		t.Fatalf("components = %+v", bd)
	}
	if !near(bd.Score, 0.92) {
		t.Errorf("S = %v, want 0.92", bd.Score)
	}
	d := Decide(incoming, []Candidate{{LeadID: "L1", Record: existing}}, cfg)
	if d.Outcome != Review || d.Reason != ReasonPossibleDuplicate || d.Target != "L1" || len(d.Matches) != 1 || !near(d.Matches[0].Score, 0.92) {
		t.Errorf("decision = %+v, want review of L1 at 0.92", d)
	}

	incoming.Email = ""
	bd = Score(incoming, existing, false, cfg)
	if bd.E.Comparable || !near(bd.Score, 1) || !near(bd.ComparableWeight, 0.6) || len(bd.Failed) != 0 {
		t.Errorf("without email: %+v", bd)
	}
	d = Decide(incoming, []Candidate{{LeadID: "L1", Record: existing}}, cfg)
	if d.Outcome != AutoMerge || d.Target != "L1" || d.Reason != ReasonFuzzy {
		t.Errorf("without email: decision = %+v, want auto-merge into L1", d)
	}
}

// The Fellegi–Sunter model weighs the same evidence as strong: the same
// direct phone, company, name and a name-pattern address auto-merge.
func TestWorkedExampleFS(t *testing.T) {
	existing, incoming := workedExample()
	d := Decide(incoming, []Candidate{{LeadID: "L1", Record: existing}}, DefaultConfig())
	if d.Outcome != AutoMerge || d.Target != "L1" {
		t.Errorf("decision = %+v", d)
	}
	if m := d.Matches[0]; !near(m.E.Value, 0.8) || m.MatchWeight <= 0 {
		t.Errorf("breakdown = %+v", m)
	}
}

func TestGuards(t *testing.T) {
	person := Record{FirstName: "Anna", LastName: "Berg", Street: "12 High Street", City: "Leeds", Postcode: "LS1 1AA"}
	for _, cfg := range []Config{SpecConfig(), DefaultConfig()} {
		name := []string{"weighted", "fs"}[cfg.Model]

		// G1: name alone never merges.
		nameOnly := Record{FirstName: "Anna", LastName: "Berg"}
		d := Decide(nameOnly, []Candidate{{LeadID: "L1", Record: nameOnly}}, cfg)
		if d.Outcome != Review || len(d.Matches) == 0 || !slices.Contains(d.Matches[0].Failed, "G1") {
			t.Errorf("%s G1: %+v", name, d)
		}
		// G1: comparable weight below 0.5 (N + C = 0.4).
		withCo := Record{FirstName: "Anna", LastName: "Berg", Company: "acme"}
		bd := Score(withCo, withCo, false, cfg)
		if !slices.Contains(bd.Failed, "G1") || !near(bd.ComparableWeight, 0.4) {
			t.Errorf("%s G1 weight: %+v", name, bd)
		}

		// G2: same address, another first name: review, not merge. The
		// default config waives G2 for a close address when nothing else
		// tells the records apart (Config.AddressOverridesName), so there
		// the two records need their own mailboxes to stay apart.
		other := person
		other.FirstName = "Otto"
		p1, p2 := person, other
		if cfg.AddressOverridesName {
			p1.Email, p2.Email = "anna.berg@example.org", "otto.berg@example.org"
		}
		bd = Score(p2, p1, false, cfg)
		if !slices.Contains(bd.Failed, "G2") {
			t.Errorf("%s G2: %+v", name, bd)
		}
		d = Decide(p2, []Candidate{{LeadID: "L1", Record: p1}}, cfg)
		if d.Outcome == AutoMerge {
			t.Errorf("%s G2: merged %+v", name, d)
		}

		// Same person, address known: merges.
		d = Decide(person, []Candidate{{LeadID: "L1", Record: person}}, cfg)
		if d.Outcome != AutoMerge || d.Target != "L1" {
			t.Errorf("%s merge: %+v", name, d)
		}

		// G3: two leads above the threshold go to review, both listed.
		d = Decide(person, []Candidate{{LeadID: "L1", Record: person}, {LeadID: "L2", Record: person}}, cfg)
		if d.Outcome != Review || len(d.Matches) != 2 || !slices.Contains(d.Matches[0].Failed, "G3") {
			t.Errorf("%s G3: %+v", name, d)
		}
		// G3 counts leads, not records: two records of one lead merge.
		typo := person
		typo.Street = "12 High Stret"
		d = Decide(person, []Candidate{{LeadID: "L1", Record: person}, {LeadID: "L1", Record: typo}}, cfg)
		if d.Outcome != AutoMerge || d.Target != "L1" {
			t.Errorf("%s G3 same lead: %+v", name, d)
		}
	}
}

// Two people of one name at one company, with their own mailboxes, are
// not merged by the Fellegi–Sunter model (the weighted model agrees).
func TestNamesakeColleagues(t *testing.T) {
	a := Record{FirstName: "John", LastName: "Smith", Email: "john.smith@acme.com", Company: "acme", Domain: "acme.com"}
	b := Record{FirstName: "John", LastName: "Smith", Email: "jsmith2@acme.com", Company: "acme", Domain: "acme.com"}
	for _, cfg := range []Config{SpecConfig(), DefaultConfig()} {
		if d := Decide(b, []Candidate{{LeadID: "L1", Record: a}}, cfg); d.Outcome == AutoMerge {
			t.Errorf("model %d merged namesakes: %+v", cfg.Model, d)
		}
	}
}

func TestExactEmail(t *testing.T) {
	lead := Record{FirstName: "Anna", LastName: "Berg", Email: "anna@acme.com"}
	tests := []struct {
		name  string
		in    Record
		cands []Candidate
		merge bool // exact-key auto-merge into L1; otherwise the fuzzy path must not merge
	}{
		{"equal key", Record{Email: "anna@acme.com"}, []Candidate{{LeadID: "L1", Record: lead}}, true},
		{"equal key, name typo", Record{FirstName: "Ana", LastName: "Berg", Email: "anna@acme.com"},
			[]Candidate{{LeadID: "L1", Record: lead}}, true},
		{"reassigned mailbox (N < 0.5)", Record{FirstName: "Otto", LastName: "Lund", Email: "anna@acme.com"},
			[]Candidate{{LeadID: "L1", Record: lead}}, false},
		{"role address", Record{Email: "info@acme.com", EmailRole: true, FirstName: "Otto", LastName: "Lund"},
			[]Candidate{{LeadID: "L1", Record: Record{Email: "info@acme.com", EmailRole: true, FirstName: "Anna", LastName: "Berg"}}}, false},
		{"two leads", Record{Email: "anna@acme.com"},
			[]Candidate{{LeadID: "L1", Record: lead}, {LeadID: "L2", Record: lead}}, false},
	}
	for _, cfg := range []Config{SpecConfig(), DefaultConfig()} {
		for _, tc := range tests {
			d := Decide(tc.in, tc.cands, cfg)
			if tc.merge && (d.Outcome != AutoMerge || d.Reason != ReasonExactEmail || d.Target != "L1") {
				t.Errorf("model %d %s: %+v, want exact-key merge into L1", cfg.Model, tc.name, d)
			}
			if !tc.merge && d.Outcome == AutoMerge {
				t.Errorf("model %d %s: merged %+v", cfg.Model, tc.name, d)
			}
		}
	}
	// Equal keys on two leads: review with both.
	d := Decide(Record{Email: "anna@acme.com"}, []Candidate{{LeadID: "L1", Record: lead}, {LeadID: "L2", Record: lead}}, DefaultConfig())
	if d.Outcome != Review || d.Reason != ReasonPossibleDuplicate || len(d.Matches) != 2 {
		t.Errorf("two leads: %+v", d)
	}
}

func TestDecideNew(t *testing.T) {
	for _, cfg := range []Config{SpecConfig(), DefaultConfig()} {
		if d := Decide(Record{FirstName: "A"}, nil, cfg); d.Outcome != New {
			t.Errorf("no candidates: %+v", d)
		}
		a := Record{FirstName: "Anna", LastName: "Berg", Street: "12 High Street", City: "Leeds", Postcode: "LS1 1AA"}
		b := Record{FirstName: "Otto", LastName: "Lund", Street: "9 Mill Lane", City: "York", Postcode: "YO1 7HH"}
		if d := Decide(a, []Candidate{{LeadID: "L1", Record: b}}, cfg); d.Outcome != New || d.Target != "" {
			t.Errorf("model %d: different people: %+v", cfg.Model, d)
		}
	}
}

func TestFSLevels(t *testing.T) {
	fp := DefaultFSParams()
	for name, levels := range map[string][]Level{
		"email": fp.Email, "first": fp.First, "last": fp.Last, "phone": fp.Phone, "company": fp.Company,
		"street": fp.Street, "number": fp.Number, "postcode": fp.Postcode, "city": fp.City, "state": fp.State,
	} {
		var m, u float64
		for _, l := range levels {
			m += l.M
			u += l.U
		}
		if math.Abs(m-1) > 1e-9 || math.Abs(u-1) > 1e-9 {
			t.Errorf("%s: Σm = %v, Σu = %v, want 1", name, m, u)
		}
		if levels[0].weight() <= 0 || levels[len(levels)-1].weight() >= 0 {
			t.Errorf("%s: first level must favour a match and the last disfavour it", name)
		}
	}
	tests := []struct {
		name string
		f    func(a, b *prep) int
		a, b Record
		want int
	}{
		{"email exact", emailLevel, Record{Email: "a@x.com"}, Record{Email: "a@x.com"}, 0},
		{"email typo other domain", emailLevel, Record{Email: "jonathan74@glover.com"}, Record{Email: "jonathn74@gloverc.om"}, 3},
		{"email colleague", emailLevel, Record{Email: "anna@acme.com"}, Record{Email: "otto@acme.com"}, 4},
		{"email free-mail", emailLevel, Record{Email: "anna@gmail.com", EmailFreeMail: true}, Record{Email: "otto@gmail.com", EmailFreeMail: true}, 5},
		{"street reordered", streetLevel, Record{Street: "15 hawkesbury crescent, tathra east"}, Record{Street: "15 tathra est, hawkesbury crescent"}, 2},
		{"street typo", streetLevel, Record{Street: "21 bayly place"}, Record{Street: "21 bayly p lace"}, 0},
		{"postcode transposed", postcodeLevel, Record{Postcode: "4171"}, Record{Postcode: "4117"}, 1},
		{"postcode missing", postcodeLevel, Record{Postcode: "4171"}, Record{}, -1},
		{"number differs", numberLevel, Record{Street: "24 mackenzie street"}, Record{Street: "92 mackenzie street"}, 1},
		{"city typo", cityLevel, Record{City: "London"}, Record{City: "Lndon"}, 1},
		{"street: same number and type, other name", streetLevel, Record{Street: "206 Jones Street"}, Record{Street: "266 Kelly Street"}, 3},
		{"street: same name, typo", streetLevel, Record{Street: "26 yampi place, villa 3"}, Record{Street: "26 yampi plvace, villa 3"}, 1},
		{"city scrambled", cityLevel, Record{City: "London"}, Record{City: "donLn"}, 1},
		{"city other", cityLevel, Record{City: "London"}, Record{City: "Leeds"}, 2},
		{"email moved across @", emailLevel, Record{Email: "watsonthomas@jones-stuart.biz"}, Record{Email: "watsonth@masojones-stuart.iz"}, 3},
		{"email mailbox scrambled", emailLevel, Record{Email: "olsondanielle@martinez.com"}, Record{Email: "oleondanisle@martinez.com"}, 3},
	}
	for _, tc := range tests {
		if got := tc.f(pr(tc.a), pr(tc.b)); got != tc.want {
			t.Errorf("%s: level %d, want %d", tc.name, got, tc.want)
		}
	}
	if firstLevel("ecalstt", "scarlett") != 3 || firstLevel("nhoj", "john") != 3 || lastLevel("rees", "ree s") != 0 ||
		lastLevel("nacsoj", "jackson") != 3 || firstLevel("ann", "nana") != 4 {
		t.Error("name levels")
	}
	if !scrambledAddress("watsonthomas@jones-stuart.biz", "watsonth@masojones-stuart.iz") ||
		scrambledAddress("ann@acme.com", "an@nacme.co") { // too short for three edits to mean a typo
		t.Error("scrambledAddress")
	}
	// Swapped names score about as well as straight ones.
	a, b := pr(Record{FirstName: "Martha", LastName: "Brown"}), pr(Record{FirstName: "Brown", LastName: "Martha"})
	if w, w0 := fsWeight(a, b, false, &fp), fsWeight(a, a, false, &fp); !near(w, w0+fp.Swap) {
		t.Errorf("swapped weight %v, straight %v", w, w0)
	}
}

func TestKeys(t *testing.T) {
	a := Record{FirstName: "Martha", LastName: "Brown", Email: "mb@acme.com", Phone: "+441234567890",
		Street: "12 High Street", City: "Leeds", Postcode: "LS1 1AA"}
	ka := Keys(a)
	for _, want := range []string{"e|mb@acme.com", "p|+441234567890", "n|B650|M630", "pc|ls11aa|b", "pc|ls11aa|m"} {
		if !slices.Contains(ka, want) {
			t.Errorf("missing key %q in %v", want, ka)
		}
	}
	if !slices.IsSorted(ka) || len(slices.Compact(slices.Clone(ka))) != len(ka) {
		t.Errorf("keys not sorted and unique: %v", ka)
	}
	for _, k := range ka {
		if strings.HasSuffix(k, "|") || strings.Contains(k, "||") {
			t.Errorf("key with an empty part: %q", k)
		}
	}
	// A first/last swap and a typo keep the symmetric name key.
	b := Record{FirstName: "Brwon", LastName: "Martha"}
	if !slices.Contains(Keys(b), "n|B650|M630") {
		t.Errorf("swap: %v", Keys(b))
	}
	// Short local parts and role addresses make no local-part key.
	for _, k := range Keys(Record{Email: "info@x.com", EmailRole: true}) {
		if strings.HasPrefix(k, "l|") {
			t.Errorf("role local key %q", k)
		}
	}
	if len(Keys(Record{})) != 0 {
		t.Errorf("empty record has keys: %v", Keys(Record{}))
	}
}

func TestIndex(t *testing.T) {
	x := NewIndex(2, 20)
	anna := Record{FirstName: "Anna", LastName: "Berg", Postcode: "2000"}
	x.Add("L1", anna)
	x.Add("L1", Record{FirstName: "Ana", LastName: "Berg", Postcode: "2000"})
	x.Add("L2", Record{FirstName: "Otto", LastName: "Lund", Postcode: "3000"})
	c := x.Candidates(Record{FirstName: "Berg", LastName: "Anna"}, 20)
	if len(c) != 2 || c[0].LeadID != "L1" || c[1].LeadID != "L1" {
		t.Errorf("candidates = %+v", c)
	}
	// The per-key cap keeps the most recent leads.
	x.Add("L3", anna)
	x.Add("L4", anna)
	for _, cand := range x.Candidates(anna, 20) {
		if cand.LeadID == "L1" {
			t.Errorf("L1 should have been evicted: %+v", cand)
		}
	}
	// A phone on 3 leads is shared.
	y := NewIndex(10, 20)
	for _, id := range []string{"A", "B", "C"} {
		y.Add(id, Record{Phone: "+441234567890", PhoneKind: "direct"})
	}
	for _, cand := range y.Candidates(Record{Phone: "+441234567890"}, 20) {
		if !cand.PhoneShared {
			t.Errorf("not shared: %+v", cand)
		}
	}
}

func TestEstimateFS(t *testing.T) {
	people := []Record{
		{FirstName: "Anna", LastName: "Berg", Street: "12 High Street", City: "Leeds", Postcode: "LS1 1AA"},
		{FirstName: "Otto", LastName: "Lund", Street: "9 Mill Lane", City: "York", Postcode: "YO1 7HH"},
		{FirstName: "Mia", LastName: "Khan", Street: "3 Park Road", City: "Bath", Postcode: "BA1 2AB"},
		{FirstName: "Ravi", LastName: "Shah", Street: "77 Queen Street", City: "Hull", Postcode: "HU1 3DE"},
	}
	var pairs []Pair
	for i, a := range people {
		typo := a
		typo.Street += "e"
		pairs = append(pairs, Pair{A: a, B: a}, Pair{A: a, B: typo})
		for j, b := range people {
			if i != j {
				pairs = append(pairs, Pair{A: a, B: b}, Pair{A: typo, B: b})
			}
		}
	}
	start := DefaultFSParams()
	fp := EstimateFS(pairs, start, 20)
	if fp.First[0].weight() <= 0 || fp.Last[0].weight() <= 0 || fp.Postcode[0].weight() <= 0 {
		t.Errorf("agreement levels must favour a match: %+v", fp)
	}
	if fp.Last[len(fp.Last)-1].weight() >= 0 {
		t.Errorf("disagreement must disfavour a match: %+v", fp.Last)
	}
	// 8 of 32 pairs match: prior odds 8:24.
	if want := math.Log2(8.0 / 24); math.Abs(fp.Prior-want) > 0.2 {
		t.Errorf("prior = %.2f, want about %.2f", fp.Prior, want)
	}
	for _, lv := range fp.levels() {
		var m, u float64
		for _, l := range lv {
			m += l.M
			u += l.U
		}
		if math.Abs(m-1) > 1e-9 || math.Abs(u-1) > 1e-9 {
			t.Errorf("not normalised: %+v", lv)
		}
	}
	// The start values are not modified.
	if start.First[0] != DefaultFSParams().First[0] {
		t.Error("start values changed")
	}
}

func TestNearlySameLetters(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"nacsoj", "jackson", true}, // scrambled, one letter lost
		{"jackson", "nacsoj", true}, // either order
		{"nrgt", "grant", true},
		{"grant", "grant", false}, // same length: sameLetters' case
		{"gar", "gray", false},    // too short to tell
		{"smith", "smythe", false},
		{"collins", "nolics", true},
	} {
		if got := nearlySameLetters(tc.a, tc.b); got != tc.want {
			t.Errorf("nearlySameLetters(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// ScorePrepared gives what Score gives, and leaves the prepared records
// as they were: they are shared, and score keeps memos per pair.
func TestScorePreparedIsScore(t *testing.T) {
	existing, incoming := workedExample()
	noEmail := incoming
	noEmail.Email = ""
	anna := Record{FirstName: "Anna", LastName: "Berg", Street: "12 High Street", City: "Leeds", Postcode: "LS1 1AA"}
	otto := anna
	otto.FirstName = "Otto"
	for _, cfg := range []Config{SpecConfig(), DefaultConfig()} {
		for _, tc := range []struct {
			name     string
			in, cand Record
		}{
			{"worked example", incoming, existing},
			{"without e-mail", noEmail, existing},
			{"same address, another first name", otto, anna},
		} {
			want := Score(tc.in, tc.cand, false, cfg)
			a, b := Prepare(tc.in), Prepare(tc.cand)
			for range 2 {
				if got := ScorePrepared(a, b, false, cfg); !reflect.DeepEqual(got, want) {
					t.Errorf("model %d, %s: %+v, want %+v", cfg.Model, tc.name, got, want)
				}
			}
		}
	}
}
