package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/segmentio/encoding/json"

	connenrich "github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/enrich/registry"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/stages/enrich"
	"github.com/leadstream/leadstream/stages/enrich/waterfall"
)

const enrichHelp = `Estimates the credits an import would spend on enrichment, without calling
any provider: reads FILE (canonical CSV or a provider export) as the
pipeline would, applies the waterfall (--config-file, else
LEADSTREAM_ENRICH_CONFIG, else config/enrich.json) and prints, per provider,
the credits if each waterfall's first provider fills what it is asked (the
usual case) and if every provider is asked (the upper bound), next to the
day and month budgets. Each person is counted once however many records it
has; each company domain once. What the stage's cache already holds is not
subtracted, so a reimport costs less than this.

Examples:
  leadstream enrich --dry-run leads.csv
  leadstream enrich --dry-run --config-file my-waterfall.json --json leads.csv`

func enrichCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("enrich", "--dry-run FILE [flags]", enrichHelp, stderr)
	dryRun := c.fs.Bool("dry-run", false, "estimate the credits (the only mode: enrichment itself runs in the pipeline's enrich stage)")
	cfgFile := c.fs.String("config-file", "", "waterfall configuration (default: LEADSTREAM_ENRICH_CONFIG, else config/enrich.json)")
	provider := c.fs.String("provider", "", "source key of the file (csv = canonical); empty detects it from the header")
	asJSON := c.fs.Bool("json", false, "print the estimate as JSON")
	if err := c.parse(args); err != nil {
		return err
	}
	if !*dryRun || c.fs.NArg() != 1 {
		fmt.Fprintln(stderr, "leadstream enrich: give --dry-run and one FILE (enrichment itself runs in the pipeline; this estimates its cost)")
		return errUsage
	}
	path := *cfgFile
	if path == "" {
		path = os.Getenv("LEADSTREAM_ENRICH_CONFIG")
	}
	if path == "" {
		path = "config/enrich.json"
	}
	cfg, err := waterfall.Load(path)
	if err != nil {
		return err
	}
	// Clients with a placeholder key only answer Cost; nothing is sent.
	clients, err := registry.Build(cfg.ProviderNames(), func(string) string { return "dry-run" }, nil, nil)
	if err != nil {
		return err
	}
	cost := func(p string, want []connenrich.Attribute) float64 {
		if pv, ok := clients.People[p]; ok {
			return pv.Cost(want)
		}
		return 1
	}
	leads, err := readLeads(c.fs.Arg(0), *provider)
	if err != nil {
		return err
	}
	est := enrich.EstimateCredits(cfg, cost, leads, time.Now())
	if *asJSON {
		return json.NewEncoder(stdout).Encode(est)
	}
	fmt.Fprintf(stdout, "%d leads, %d need enrichment: %d people, %d company domains to look up\n", est.Leads, est.Need, est.People, est.Domains)
	fmt.Fprintf(stdout, "%-10s %12s %12s %10s %10s\n", "provider", "expected", "worst case", "day budget", "month budget")
	var names []string
	for n := range est.Worst {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b := cfg.Providers[n].Budget
		fmt.Fprintf(stdout, "%-10s %12g %12g %10s %10s\n", n, est.First[n], est.Worst[n], budgetText(b.Day), budgetText(b.Month))
	}
	fmt.Fprintf(stdout, "total: about %g credits (at most %g)\n", est.FirstTotal(), est.WorstTotal())
	return nil
}

func budgetText(v *float64) string {
	if v == nil {
		return "unlimited"
	}
	return fmt.Sprintf("%g", *v)
}

// readLeads normalises a file's records as the pipeline's normalize stage does.
func readLeads(path, provider string) ([]*lead.Lead, error) {
	open, source, err := system.Opener(path, provider, "", []string{})
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	rows, err := open(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []*lead.Lead
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if row.Err != nil {
			continue
		}
		l, _ := lead.Normalize(row.Fields, lead.Source{Key: source, RecordID: row.Fields["record_id"]})
		l.FitScore = lead.Fit(l.FitInput())
		l.FitBucket = lead.FitBucket(l.FitScore)
		out = append(out, &l)
	}
}
