package index

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

func TestCompanyTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Acme Solutions GmbH", []string{"acme"}},
		{"ACME IT Solutions Ltd.", []string{"acme"}},
		{"Blue Harbor Managed Services, Inc", []string{"blue", "harbor"}},
		{"Müller & Söhne KG", []string{"muller", "sohne"}},
		{"Systems Inc", nil},
	}
	for _, tc := range tests {
		if got := CompanyTokens(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("CompanyTokens(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFuzzy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fuzzy")
	f, clean, err := OpenFuzzy(dir)
	if err != nil {
		t.Fatal(err)
	}
	if clean {
		t.Error("a new index is not clean")
	}
	b := f.NewBatch()
	docs := map[string]FuzzyDoc{
		"L1": {Names: []string{"Jonathan", "Pike"}, Companies: []string{"Acme Solutions GmbH"}, Locals: []string{"jonathan.pike"}, Cities: []string{"Berlin"}},
		"L2": {Names: []string{"Anna", "Berg"}, Companies: []string{"Northwind Systems Ltd"}, Locals: []string{"anna.berg"}, Cities: []string{"Leeds"}},
		"L3": {Names: []string{"Otto", "Lund"}, Companies: []string{"Acme Solutions GmbH"}, Locals: []string{"otto"}, Cities: []string{"Berlin"}},
	}
	for i := range 200 { // filler, so that scores are not all equal
		docs[fmt.Sprintf("F%03d", i)] = FuzzyDoc{Names: []string{fmt.Sprintf("name%d", i), "Filler"}, Companies: []string{"Solutions Inc"}}
	}
	for id, d := range docs {
		if err := b.Put(id, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		q     FuzzyDoc
		want  string // expected first hit; "" for none
		limit int
	}{
		{"typos in both names", FuzzyDoc{Names: []string{"Jonathon", "Pyke"}}, "L1", 10},
		{"swapped names", FuzzyDoc{Names: []string{"Berg", "Ana"}}, "L2", 10},
		{"name and company, generic words differ", FuzzyDoc{Names: []string{"J.", "Pike"}, Companies: []string{"ACME IT Services Ltd"}}, "L1", 10},
		{"mailbox and surname", FuzzyDoc{Names: []string{"Berg"}, Locals: []string{"ana.berg"}}, "L2", 10},
		{"one clause only", FuzzyDoc{Names: []string{"Pike"}}, "", 10},
		{"generic company words alone", FuzzyDoc{Names: []string{"Zed"}, Companies: []string{"Solutions Inc"}}, "", 10},
	}
	for _, tc := range tests {
		ids, err := f.Search(tc.q, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" {
			if len(ids) != 0 {
				t.Errorf("%s: hits %v, want none", tc.name, ids)
			}
			continue
		}
		if len(ids) == 0 || ids[0] != tc.want {
			t.Errorf("%s: hits %v, want %s first", tc.name, ids, tc.want)
		}
	}
	// Bounded: a broad query returns at most limit ids.
	if ids, _ := f.Search(FuzzyDoc{Names: []string{"Filler", "name1"}, Cities: []string{"Leeds"}}, 5); len(ids) > 5 {
		t.Errorf("limit 5: %d hits", len(ids))
	}
	if err := f.Close(true); err != nil {
		t.Fatal(err)
	}
	f, clean, err = OpenFuzzy(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !clean {
		t.Error("reopened after a clean close: not clean")
	}
	if n, _ := f.Count(); n != uint64(len(docs)) {
		t.Errorf("count %d, want %d", n, len(docs))
	}
	if err := f.Close(false); err != nil {
		t.Fatal(err)
	}
	f, clean, err = OpenFuzzy(dir)
	if err != nil {
		t.Fatal(err)
	}
	if clean {
		t.Error("reopened after an unclean close: clean")
	}
	_ = f.Close(false)
}

// asciiTokens, Tokens' path for ASCII text, splits as the general path
// does.
func TestASCIITokensAsGeneral(t *testing.T) {
	for _, s := range []string{
		"", " ", "John Smith", "O'Brien-Jones", "ACME, Inc.", "j.smith+leads@Acme-Corp.co.uk",
		"  multiple   spaces\tand\nlines ", "123 Main St. #4", "it's 'quoted'", "a'", "'a", "x--y__z",
		"UPPER lower MiXeD 42", "~!@#$%^&*()", "\x00\x7f control",
	} {
		got := asciiTokens(s)
		want := unicodeTokens(s)
		if !slices.Equal(got, want) {
			t.Errorf("Tokens(%q) = %q, the general path gives %q", s, got, want)
		}
	}
}
