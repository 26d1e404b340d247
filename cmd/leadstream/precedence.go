package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/leadstream/leadstream/connectors/providers"
	"github.com/leadstream/leadstream/internal/lead"
)

// addPrecedenceFlag registers --merge-precedence on fs; the returned
// function parses it once the flags are parsed.
func addPrecedenceFlag(fs *pflag.FlagSet) func() (lead.Precedence, error) {
	order := fs.String("merge-precedence", "", "dedupe: provider source keys, highest first, that decide which value a merged lead keeps (empty: "+
		strings.Join(lead.DefaultProviders(), ",")+"); values edited in HaloPSA or in review always win")
	return func() (lead.Precedence, error) { return mergePrecedence(*order) }
}

// mergePrecedence parses a comma-separated provider order. Every key must
// be a known provider; providers left out rank below the listed ones.
func mergePrecedence(s string) (lead.Precedence, error) {
	if strings.TrimSpace(s) == "" {
		return lead.Precedence{}, nil
	}
	known := providers.Keys()
	var order []string
	for _, k := range strings.Split(s, ",") {
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "" {
			continue
		}
		if !slices.Contains(known, k) {
			return lead.Precedence{}, fmt.Errorf("--merge-precedence: unknown provider %q (known: %s)", k, strings.Join(known, ", "))
		}
		if slices.Contains(order, k) {
			return lead.Precedence{}, fmt.Errorf("--merge-precedence: %q listed twice", k)
		}
		order = append(order, k)
	}
	return lead.Precedence{Providers: order}, nil
}
