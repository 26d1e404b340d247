package lead

import "testing"

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		first, last, full string
		wantFirst         string
		wantLast          string
	}{
		{"john", "smith", "", "John", "Smith"},
		{"JOHN", "MCDONALD", "", "John", "McDonald"},
		{"sean", "o'neil", "", "Sean", "O'Neil"},
		{"SEAN", "O’BRIEN", "", "Sean", "O’Brien"},
		{"jan", "van der berg", "", "Jan", "van der Berg"},
		{"JAN", "VAN DER BERG", "", "Jan", "van der Berg"},
		{"Jan", "van der Berg", "", "Jan", "van der Berg"},
		{"Danny", "DeVito", "", "Danny", "DeVito"},
		{"mary-jane", "smith-jones", "", "Mary-Jane", "Smith-Jones"},
		{"ANGUS", "MACDONALD", "", "Angus", "MacDonald"},
		{"maria", "machado", "", "Maria", "Machado"},
		{"james", "mack", "", "James", "Mack"},
		{"  josé  ", " GARCÍA ", "", "José", "García"},
		{"Dr. Anna", "Müller", "", "Anna", "Müller"},
		{"Mr John", "Smith Jr.", "", "John", "Smith"},
		{"jean-luc", "d'artagnan", "", "Jean-Luc", "D'Artagnan"},
		{"Jean-Luc", "d'ARTAGNAN", "", "Jean-Luc", "d'ARTAGNAN"},
		{"ØYVIND", "SØRENSEN", "", "Øyvind", "Sørensen"},
		{"李", "小龙", "", "李", "小龙"},
		{"", "", "Smith, John", "John", "Smith"},
		{"", "", "Dr. Jane van der Berg PhD", "Jane", "van der Berg"},
		{"", "", "Ludwig von Beethoven", "Ludwig", "von Beethoven"},
		{"", "", "MARTIN LUTHER KING JR", "Martin Luther", "King"},
		{"", "", "John Smith, MBA", "John", "Smith"},
		{"", "", "Cher", "Cher", ""},
		{"", "", "ahmed bin rashid", "Ahmed", "bin Rashid"},
		{"", "", "Prof. Dr. Hans-Peter Schmidt", "Hans-Peter", "Schmidt"},
		{"Mr", "", "", "Mr", ""},
		{"", "", "", "", ""},
	}
	for _, tt := range tests {
		n := NormalizeName(tt.first, tt.last, tt.full)
		if n.First != tt.wantFirst || n.Last != tt.wantLast {
			t.Errorf("NormalizeName(%q, %q, %q) = %q / %q, want %q / %q",
				tt.first, tt.last, tt.full, n.First, n.Last, tt.wantFirst, tt.wantLast)
		}
	}
}

func TestNameMatchForm(t *testing.T) {
	for in, want := range map[string]string{
		"José García": "jose garcia", "O'Neil": "o neil", "Smith-Jones": "smith jones",
		"Zoë  Brontë": "zoe bronte", "Ångström": "angstrom",
	} {
		if got := NameMatchForm(in); got != want {
			t.Errorf("NameMatchForm(%q) = %q, want %q", in, got, want)
		}
	}
}
