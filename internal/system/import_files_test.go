package system

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestImportGoesOnPastBadFiles imports a good file, an empty one, a
// header-less one and another good one: each is reported, the good ones
// reach their outcomes, and the error names the bad ones without their
// content.
func TestImportGoesOnPastBadFiles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := Start(ctx, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	good := writeCSV(t, "good.csv", "record_id,first_name,last_name,email,company\nr1,Ann,Lee,ann@acme.example,Acme\n")
	empty := writeCSV(t, "empty.csv", "")
	noHeader := writeCSV(t, "nohead.csv", "Jane,Doe,jane@secret.example,+1 415 555 0100\n")
	jsonl := writeCSV(t, "good.jsonl", `{"record_id":"r2","first_name":"Bo","last_name":"Ray","email":"bo@acme.example","company":"Acme"}`+"\n")
	results, err := s.Import(ctx, good, empty, noHeader, jsonl)
	if err == nil {
		t.Fatal("no error for the bad files")
	}
	if len(results) != 4 {
		t.Fatalf("%d results, want one per file", len(results))
	}
	for i, tc := range []struct {
		file    string
		rows    int
		errPart string
	}{
		{"good.csv", 1, ""},
		{"empty.csv", 0, "empty file"},
		{"nohead.csv", 0, "is it a header?"},
		{"good.jsonl", 1, ""},
	} {
		r := results[i]
		if r.File != tc.file || r.Rows != tc.rows || (r.Err == nil) != (tc.errPart == "") || r.Err != nil && !strings.Contains(r.Err.Error(), tc.errPart) {
			t.Errorf("result %d = %+v (err %v), want %s with %d rows and error %q", i, r, r.Err, tc.file, tc.rows, tc.errPart)
		}
	}
	for _, name := range []string{"empty.csv", "nohead.csv"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), "jane@") || strings.Contains(err.Error(), "Jane") {
		t.Errorf("error shows personal data: %v", err)
	}
	sum, err := s.WaitForOutcomes(ctx, results, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 2 || sum.Check() != nil {
		t.Errorf("summary %+v, want the 2 good rows at outcomes", sum)
	}
}
