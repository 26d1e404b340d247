package orgname

import (
	"slices"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"Koninklijke Philips Electronics N.V.", []string{"electronics", "philips"}},
		{"ELECTRONICS KONINK PHILIPS", []string{"electronics", "philips"}},
		{"INTERNAT MIJ RES SHELL", []string{"res", "shell"}},
		{"Shell Research Maatschappij B.V.", []string{"research", "shell"}},
		{"AKZO NAAMLOOZE NOBEL VENNOOTSCHAP", []string{"akzo", "nobel"}},
		{"Smith & Sons Ltd.", []string{"smith", "sons"}},
		{"Smith and Sons, Inc", []string{"smith", "sons"}},
		{"Société Générale S.A.", []string{"generale"}},
		{"The Company", []string{"company", "the"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := Tokens(tt.name); !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"ELECTRONICS KONINK PHILIPS", "Koninklijke Philips Electronics N.V.", true},
		{"PHILIPS", "ELECTRONICS KONINK PHILIPS", true},              // one word more
		{"ELECTRONICS KONINK PHILLIPS", "ELECTRONICS PHILIPS", true}, // typo
		{"INTERNAT MAATSHAPPIJ RES SHELL", "INTERNAT MIJ RES SHELL", true},
		{"CHAPPIJ INTERNAT MAATS RES SHELL", "INTERNAT MIJ RES SHELL", false}, // two words more
		{"GISTBROCADES", "BROCADES GIST", true},                               // written together
		{"AKZO NOVEL", "AKZO NOBEL V", true},
		{"DSM", "ASSETAB DSM IP", false}, // another organisation's name inside
		{"DSM", "DSM HEERLEN", false},    // an initialism within a longer name: not enough
		{"ALCATEL", "ALCATEL RIJSWIJK", true},
		{"SM", "DSM", false},
		{"Smith & Sons", "Smith and Sons Ltd", true},
		{"Acme Consulting", "Apex Consulting", false},
	}
	for _, tt := range tests {
		if got := Compare(Tokens(tt.a), Tokens(tt.b)); got != tt.want {
			t.Errorf("Compare(%q, %q) = %v, want %v (tokens %q, %q)", tt.a, tt.b, got, tt.want, Tokens(tt.a), Tokens(tt.b))
		}
	}
}
