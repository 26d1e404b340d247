package match

import "testing"

func TestNamesAgree(t *testing.T) {
	tests := []struct {
		name       string
		a, b       Record
		wantAgrees bool
	}{
		{"equal", Record{FirstName: "Anna", LastName: "Berg"}, Record{FirstName: "Anna", LastName: "Berg"}, true},
		{"swapped", Record{FirstName: "Hughes", LastName: "Tyler"}, Record{FirstName: "Tyler", LastName: "Hughes"}, true},
		{"swapped with a typo", Record{FirstName: "Hughes", LastName: "Tyler"}, Record{FirstName: "Tyler", LastName: "Huhgs"}, true},
		{"scrambled letters", Record{FirstName: "oeGrge", LastName: "Williams"}, Record{FirstName: "Williams", LastName: "George"}, true},
		{"nickname", Record{FirstName: "Bob", LastName: "Lee"}, Record{FirstName: "Robert", LastName: "Lee"}, true},
		{"surname only on one side", Record{LastName: "Speight"}, Record{FirstName: "Riley", LastName: "Speiggt"}, true},
		{"first name only on one side, other order", Record{FirstName: "Iy"}, Record{FirstName: "Taylor", LastName: "Ivy"}, true},
		{"another first name", Record{FirstName: "Anna", LastName: "Berg"}, Record{FirstName: "Otto", LastName: "Berg"}, false},
		{"another person", Record{FirstName: "Anna", LastName: "Berg"}, Record{FirstName: "Otto", LastName: "Lund"}, false},
		{"one part, no match", Record{LastName: "Berg"}, Record{FirstName: "Otto", LastName: "Lund"}, false},
		{"no name", Record{}, Record{FirstName: "Otto", LastName: "Lund"}, false},
		{"one part shared twice", Record{FirstName: "Lee", LastName: "Lee"}, Record{FirstName: "Lee", LastName: "Smith"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := prepare(&tc.a), prepare(&tc.b)
			if got := namesAgree(&a, &b); got != tc.wantAgrees {
				t.Errorf("namesAgree = %v, want %v", got, tc.wantAgrees)
			}
			if got := namesAgree(&b, &a); got != tc.wantAgrees {
				t.Errorf("namesAgree (reversed) = %v, want %v", got, tc.wantAgrees)
			}
		})
	}
}

// TestRelaxedGuards pins the decisions of the rules DefaultConfig adds to
// the spec's guards (AddressOverridesName, LooseNames, G3Margin and the
// mailbox typo level), and the cases they must leave alone.
func TestRelaxedGuards(t *testing.T) {
	home := Record{FirstName: "Teegan", LastName: "Reid", Street: "5 Wheeler Crescent, Como", City: "Thornleigh", Postcode: "2535", State: "NSW"}
	with := func(r Record, f func(*Record)) Record { f(&r); return r }
	tests := []struct {
		name      string
		in, cand  Record
		want      Outcome // DefaultConfig
		wantSpec  Outcome // SpecConfig (the spec's guards)
		checkSpec bool
	}{
		{"other name, same address, nothing else: merges (deviation)",
			with(home, func(r *Record) { r.FirstName, r.LastName = "Zachariah", "Dohse" }), home, AutoMerge, Review, true},
		{"other name, same address, typo in street and city",
			with(home, func(r *Record) { r.FirstName, r.Street, r.City = "Jack", "5 wheeler cerscent, como", "thornleigh" }), home, AutoMerge, Review, true},
		{"other name, same address, own mailboxes: colleagues or family",
			with(home, func(r *Record) { r.FirstName, r.Email = "Otto", "otto@reid.example" }),
			with(home, func(r *Record) { r.Email = "teegan@reid.example" }), Review, Review, true},
		{"other name, same office, same organisation",
			with(home, func(r *Record) { r.FirstName, r.Company, r.Country = "Otto", "acme", "AU" }),
			with(home, func(r *Record) { r.Company, r.Country = "acme", "AU" }), Review, Review, true},
		{"other name, same address, different direct phones",
			with(home, func(r *Record) { r.FirstName, r.Phone = "Otto", "+61290000001" }),
			with(home, func(r *Record) { r.Phone = "+61290000002" }), Review, Review, true},
		{"other name, another house number",
			with(home, func(r *Record) { r.FirstName, r.Street = "Otto", "7 Wheeler Crescent, Como" }), home, Review, Review, false},
		{"other name, another postcode",
			with(home, func(r *Record) { r.FirstName, r.Postcode = "Otto", "4100" }), home, Review, Review, false},
		{"first name missing, surname agrees",
			with(home, func(r *Record) { r.FirstName = "" }), home, AutoMerge, Review, true},
		{"names swapped and scrambled, equal e-mail key: exact path",
			Record{FirstName: "Hughes", LastName: "Tyler", Email: "dawn74@mckay.example", City: "Leeds"},
			Record{FirstName: "Tyler", LastName: "Huhgs", Email: "dawn74@mckay.example", City: "Leeds"}, AutoMerge, Review, true},
		{"reassigned mailbox: names disagree",
			Record{FirstName: "Otto", LastName: "Lund", Email: "anna@acme.example"},
			Record{FirstName: "Anna", LastName: "Berg", Email: "anna@acme.example"}, Review, Review, true},
		{"mailbox with two typos, same person",
			Record{FirstName: "Jack", LastName: "Adams", Email: "b1cky8@roberts-frazier.example", City: "Leicester"},
			Record{FirstName: "Jack", LastName: "Adams", Email: "becky18@roberts-frazier.example", City: "Leicester"}, AutoMerge, Review, false},
		{"namesakes at two organisations with alike names and one street: new lead",
			Record{FirstName: "Olga", LastName: "Patel", Email: "olga.patel57@summitsystems.example", Phone: "+13035550101",
				Company: "summit systems", Domain: "summitsystems.example", Street: "85 Johansson Street", City: "Denver", Country: "US"},
			Record{FirstName: "Olga", LastName: "Patel", Email: "olga.patel76@summitsystem.example", Phone: "+13035550199",
				Company: "summit systems", Domain: "summitsystem.example", Street: "215 Johansson Street", City: "Denver", Country: "US"}, New, New, true},
		{"two organisations but one direct phone: the same person",
			Record{FirstName: "Olga", LastName: "Patel", Email: "olga@acme.example", Phone: "+13035550101", Domain: "acme.example"},
			Record{FirstName: "Olga", LastName: "Patel", Email: "opatel@acme-eu.example", Phone: "+13035550101", Domain: "acme-eu.example"}, AutoMerge, Review, false},
		{"thin record (name and city) joins the one lead of that name there",
			Record{FirstName: "Martha", LastName: "Brown", City: "Southend-on-Sea"},
			Record{FirstName: "Brown", LastName: "Martha", Email: "watsonthomas@jones-stuart.example", City: "Southend-on-Sea"}, AutoMerge, Review, true},
		{"two full records on name and city alone stay apart",
			Record{FirstName: "Martha", LastName: "Brown", Email: "martha@one.example", City: "Leeds"},
			Record{FirstName: "Martha", LastName: "Brown", Email: "mb@two.example", City: "Leeds"}, New, New, false},
		{"namesakes at one company keep apart",
			Record{FirstName: "John", LastName: "Smith", Email: "jsmith2@acme.example", Company: "acme", Domain: "acme.example"},
			Record{FirstName: "John", LastName: "Smith", Email: "john.smith@acme.example", Company: "acme", Domain: "acme.example"}, Review, Review, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := []Candidate{{LeadID: "L1", Record: tc.cand}}
			d := Decide(tc.in, c, DefaultConfig())
			if tc.want == AutoMerge && (d.Outcome != AutoMerge || d.Target != "L1") || tc.want != AutoMerge && d.Outcome == AutoMerge ||
				tc.want == New && d.Outcome != New {
				t.Errorf("default: %v, want %v (%+v)", d.Outcome, tc.want, d.Matches)
			}
			if tc.checkSpec {
				if d := Decide(tc.in, c, SpecConfig()); d.Outcome == AutoMerge {
					t.Errorf("spec: merged (%+v)", d.Matches)
				}
			}
		})
	}
}

func TestG3Margin(t *testing.T) {
	in := Record{FirstName: "Isabelle", LastName: "Carter", Email: "caldwellmichelle@green.example", City: "Dudley",
		Street: "1 Mill Lane", Postcode: "DY1 1AA"}
	strong := in
	strong.Email = "caldwellmichell@green.example" // a typo: the fuzzy path
	weak := Record{FirstName: "Isabelle", LastName: "Cartr", City: "Dudley", Street: "1 Mill Lane", Postcode: "DY1 1AA"}
	cfg := DefaultConfig()
	d := Decide(in, []Candidate{{LeadID: "L1", Record: weak}, {LeadID: "L2", Record: strong}}, cfg)
	if d.Outcome != AutoMerge || d.Target != "L2" {
		t.Errorf("clear winner: %+v", d)
	}
	d = Decide(in, []Candidate{{LeadID: "L1", Record: strong}, {LeadID: "L2", Record: strong}}, cfg)
	if d.Outcome != Review || len(d.Matches) != 2 {
		t.Errorf("tie: %+v", d)
	}
	cfg.G3Margin = 0
	d = Decide(in, []Candidate{{LeadID: "L1", Record: weak}, {LeadID: "L2", Record: strong}}, cfg)
	if d.Outcome != Review {
		t.Errorf("spec G3: %+v", d)
	}
}
