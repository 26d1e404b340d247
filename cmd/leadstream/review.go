package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/review"
)

const reviewHelp = `Lists and decides the records held for a person: low-quality records and
possible duplicates. Approving sends a record on to dedupe as if it had
passed validation; rejecting marks it rejected (reason review_rejected).

Examples:
  leadstream review list
  leadstream review approve imp_7561020499e125715f25:42
  leadstream review reject imp_7561020499e125715f25:43`

func reviewCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("review", "list | approve ID | reject ID [flags]", reviewHelp, stderr, configFlag, kafkaFlags)
	if err := c.parse(args); err != nil {
		return err
	}
	verb, id := c.fs.Arg(0), c.fs.Arg(1)
	if c.fs.NArg() > 2 || (verb == "list" && id != "") {
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
		fmt.Fprintln(tw, "ID\tHELD AT\tSOURCE\tNAME\tCOMPANY\tREASONS")
		for _, it := range items {
			e := it.Envelope
			name, company := "", ""
			if e.Lead != nil {
				name = strings.TrimSpace(e.Lead.FirstName + " " + e.Lead.LastName)
				company = e.Lead.Company
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.HeldAt.Format("2006-01-02 15:04"),
				e.Source.Provider+"/"+e.Source.RecordID, name, company, strings.Join(e.Reasons, ","))
		}
		tw.Flush()
		fmt.Fprintf(stdout, "%d open items\n", len(items))
		return nil
	case (verb == review.Approve || verb == review.Reject) && id != "":
		cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ClientID("leadstream-review"))
		if err != nil {
			return fmt.Errorf("kafka client for %v: %w", brokers, err)
		}
		defer cl.Close()
		if err := review.Decide(ctx, cl, brokers, ns, id, verb); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %sd\n", id, verb)
		return nil
	}
	c.fs.Usage()
	return errUsage
}
