package lead

import "testing"

func TestCompanyKey(t *testing.T) {
	tests := []struct{ in, want string }{
		// English.
		{"Acme Inc.", "acme"},
		{"ACME, Inc", "acme"},
		{"Acme Corporation", "acme"},
		{"Acme LLC", "acme"},
		{"Acme Holdings Ltd", "acme"},
		{"Acme Group plc", "acme"},
		{"The Acme Company", "acme"},
		{"Acme & Sons Limited", "acmeandsons"},
		{"Acme UK Ltd", "acme"},
		{"Co-operative Bank", "cooperativebank"},
		// Australian / Asian.
		{"Acme Pty Ltd", "acme"},
		{"Acme Pty. Ltd.", "acme"},
		{"Acme Pte. Ltd.", "acme"},
		{"Acme Sdn Bhd", "acme"},
		{"Acme Private Limited", "acme"},
		{"Acme K.K.", "acme"},
		// German.
		{"Müller GmbH", "muller"},
		{"Müller GmbH & Co. KG", "muller"},
		{"Siemens AG", "siemens"},
		{"Verein e.V.", "verein"},
		// French.
		{"Société Générale S.A.", "societegenerale"},
		{"Dupont SARL", "dupont"},
		{"Dupont SAS", "dupont"},
		// Spanish.
		{"Telefónica, S.A.", "telefonica"},
		{"Grupo Bimbo S.A. de C.V.", "grupobimbo"},
		{"Acme S.L.", "acme"},
		// Italian.
		{"Fiat S.p.A.", "fiat"},
		{"Rossi S.r.l.", "rossi"},
		// Dutch / Belgian.
		{"Philips B.V.", "philips"},
		{"Ahold N.V.", "ahold"},
		// Nordic.
		{"Volvo AB", "volvo"},
		{"Equinor ASA", "equinor"},
		{"Nokia Oyj", "nokia"},
		{"Maersk A/S", "maersk"},
		{"Lego ApS", "lego"},
		// Polish, Czech, Hungarian, Portuguese.
		{"Orlen Sp. z o.o.", "orlen"},
		{"Škoda s.r.o.", "skoda"},
		{"Budapest Kft.", "budapest"},
		{"Petrobras Ltda", "petrobras"},
		// Never empties the key.
		{"Company", "company"},
		{"AG", "ag"},
		{"The Group", "group"},
		// Placeholders.
		{"n/a", ""},
		{"Self-employed", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CompanyKey(tt.in); got != tt.want {
			t.Errorf("CompanyKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeCompany(t *testing.T) {
	for in, want := range map[string]string{
		"ACME SOLUTIONS LTD":            "Acme Solutions Ltd",
		"acme solutions ltd":            "Acme Solutions Ltd",
		"VOLVO CARS AB":                 "Volvo Cars AB",
		"philips lighting b.v.":         "Philips Lighting B.V.",
		"IBM":                           "IBM",
		"ibm":                           "ibm",
		"DeepMind Technologies Limited": "DeepMind Technologies Limited",
		"  Acme   Inc. ":                "Acme Inc.",
		"MÜLLER GMBH":                   "Müller GmbH",
		"BANK OF AMERICA":               "Bank of America",
		"unknown":                       "",
		"-":                             "",
		"Freelance":                     "",
		"???":                           "",
	} {
		if got := NormalizeCompany(in); got != want {
			t.Errorf("NormalizeCompany(%q) = %q, want %q", in, got, want)
		}
	}
}
