// Command leadgen writes a synthetic canonical CSV of B2B leads with a
// known duplicate structure (entity_id), for load tests and benchmarks.
//
//	go run ./bench/cmd/leadgen -n 100000 -o big.csv
//	go run ./bench/cmd/leadgen -accounts -n 5000 -o accounts.csv   # company-only rows, sites of organisations
//	go run ./bench/cmd/leadgen -accounts -directors 0.32 -n 5000 -o accounts_dir.csv   # a third of them name a director
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/leadstream/leadstream/bench/leadgen"
)

func main() {
	n := flag.Int("n", 1000, "number of rows")
	dup := flag.Float64("dup", 0.3, "share of rows that duplicate an earlier entity")
	seed := flag.Uint64("seed", 1, "random seed (same seed, same file)")
	out := flag.String("o", "-", "output file (- for stdout)")
	accounts := flag.Bool("accounts", false, "company-only rows: organisations with one to four sites (entity_id the site, org_id the organisation) and company-name variants")
	directors := flag.Float64("directors", 0, "with -accounts: share of rows that also name a director of the site (a person on the sites of several organisations); the other columns stay those of the file without")
	flag.Parse()
	w := os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "leadgen:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	if err := leadgen.Write(w, leadgen.Options{Records: *n, DuplicateRate: *dup, Seed: *seed, Accounts: *accounts, Directors: *directors}); err != nil {
		fmt.Fprintln(os.Stderr, "leadgen:", err)
		os.Exit(1)
	}
}
