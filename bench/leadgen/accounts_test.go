package leadgen

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func generate(t *testing.T, opts Options) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, opts); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

// Directors go on account rows without changing anything else: the rows
// are those of the file without them, a share of them names a person, a
// site names one director at most, and a director sits at several
// organisations.
func TestAccountDirectors(t *testing.T) {
	for _, share := range []float64{0.1, 0.32, 0.6} {
		base := generate(t, Options{Records: 3000, Seed: 11, Accounts: true})
		rows := generate(t, Options{Records: 3000, Seed: 11, Accounts: true, Directors: share})
		named := 0
		siteDirector := map[string]string{}
		orgsOf := map[string]map[string]bool{}
		for i, r := range rows {
			b := base[i]
			for c := range r {
				if c != 2 && c != 3 && r[c] != b[c] {
					t.Fatalf("share %.2f, row %d: column %s is %q, without directors %q", share, i, AccountHeader[c], r[c], b[c])
				}
			}
			if r[2] == "" {
				continue
			}
			named++
			name, site, org := r[2]+" "+r[3], r[1], r[len(r)-1]
			if d, ok := siteDirector[site]; ok && d != name {
				t.Errorf("share %.2f: site %s names %s and %s", share, site, d, name)
			}
			siteDirector[site] = name
			if orgsOf[name] == nil {
				orgsOf[name] = map[string]bool{}
			}
			orgsOf[name][org] = true
		}
		if got := float64(named) / float64(len(rows)); got < share-0.06 || got > share+0.06 {
			t.Errorf("share %.2f: %.3f of the rows name a director", share, got)
		}
		most := 0
		for _, orgs := range orgsOf {
			most = max(most, len(orgs))
		}
		if most < 3 {
			t.Errorf("share %.2f: no director sits at more than %d organisations", share, most)
		}
	}
}
