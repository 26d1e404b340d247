package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/review"
)

const reviewHelp = `Lists and decides the records held for a person: low-quality records and
possible duplicates (crm.md §4.5). The list shows each possible duplicate's
candidate leads with their score and its components (E-mail, Name, Phone,
Company, Address; "-" where not comparable).

Decisions:
  approve ID            a low-quality record continues as if it had passed
  create_new ID         a possible duplicate becomes a lead of its own
  merge ID LEAD_ID      a possible duplicate merges into candidate LEAD_ID
  reject ID             the record is rejected (reason review_rejected)

A decision that does not fit the item's reason is refused; an item already
decided cannot be decided again.

Examples:
  leadstream review list
  leadstream review approve imp_7561020499e125715f25:42
  leadstream review merge imp_7561020499e125715f25:44 ld_01JH8R2K
  leadstream review reject imp_7561020499e125715f25:43`

func reviewCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("review", "list | approve ID | create_new ID | merge ID LEAD_ID | reject ID [flags]", reviewHelp, stderr, configFlag, kafkaFlags)
	if err := c.parse(args); err != nil {
		return err
	}
	verb, pos := c.fs.Arg(0), c.fs.Args()
	if len(pos) > 0 {
		pos = pos[1:]
	}
	if len(pos) > 2 || (verb == "list" && len(pos) > 0) {
		c.fs.Usage()
		return errUsage
	}
	ns := pipeline.Namespace(c.namespace)
	brokers := c.brokerList()
	switch {
	case verb == "list":
		items, err := review.List(ctx, brokers, ns)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			fmt.Fprintln(stdout, "the review queue is empty")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tHELD AT\tSOURCE\tNAME\tCOMPANY\tREASON\tCANDIDATES (score E/N/P/C/A)")
		for _, it := range items {
			e := it.Envelope
			name, company := "", ""
			if e.Lead != nil {
				name = strings.TrimSpace(e.Lead.FirstName + " " + e.Lead.LastName)
				company = e.Lead.Company
			}
			var cands []string
			for _, cd := range it.Candidates() {
				cands = append(cands, fmt.Sprintf("%s %.2f %s", cd.LeadID, cd.Score, components(cd.Components)))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.HeldAt.Format("2006-01-02 15:04"),
				e.Source.Provider+"/"+e.Source.RecordID, name, company, strings.Join(it.Reasons(), ","), strings.Join(cands, "; "))
		}
		tw.Flush()
		fmt.Fprintf(stdout, "%d open items\n", len(items))
		return nil
	case slices.Contains(review.Decisions, verb) && len(pos) >= 1 && (verb == review.Merge) == (len(pos) == 2):
		cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ClientID("leadstream-review"))
		if err != nil {
			return fmt.Errorf("kafka client for %v: %w", brokers, err)
		}
		defer cl.Close()
		target := ""
		if len(pos) == 2 {
			target = pos[1]
		}
		leadID, err := review.Decide(ctx, cl, brokers, ns, pos[0], verb, target)
		if err != nil {
			return err
		}
		if leadID != "" {
			fmt.Fprintf(stdout, "%s: %s (lead %s)\n", pos[0], verb, leadID)
		} else {
			fmt.Fprintf(stdout, "%s: %s\n", pos[0], verb)
		}
		return nil
	}
	c.fs.Usage()
	return errUsage
}

// components renders score components as "E/N/P/C/A".
func components(c review.Components) string {
	f := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return strconv.FormatFloat(*v, 'f', 2, 64)
	}
	return strings.Join([]string{f(c.Email), f(c.Name), f(c.Phone), f(c.Company), f(c.Address)}, "/")
}
