package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

const topicsHelp = `Creates the topics leadstream needs on the broker, or verifies that they
exist with the catalogue's partition count. Safe to run any number of times.

Example:
  leadstream topics --brokers kafka:9092 --partitions 12`

func topicsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("topics", "[flags]", topicsHelp, stderr, configFlag, kafkaFlags, topicFlags)
	if err := c.parse(args); err != nil {
		return err
	}
	adm, closeFn, err := adminClient(c.brokerList())
	if err != nil {
		return err
	}
	defer closeFn()
	reports, err := pipeline.EnsureTopics(ctx, adm, system.Catalogue(pipeline.Namespace(c.namespace), int32(c.partitions)))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITIONS\tSTATUS")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", r.Name, r.Partitions, r.Action)
	}
	tw.Flush()
	return err
}

// adminClient connects an admin client to brokers.
func adminClient(brokers []string) (*kadm.Client, func(), error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ClientID("leadstream-admin"))
	if err != nil {
		return nil, nil, fmt.Errorf("kafka client for %v: %w", brokers, err)
	}
	return kadm.NewClient(cl), cl.Close, nil
}
