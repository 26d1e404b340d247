package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

const replayHelp = `Rewinds a stage's consumer group so the stage reprocesses its input, e.g.
after fixing a bug. Stop the stage first (Kafka refuses to move the offsets
of a group with live members), replay, then start it again. Reprocessing is
safe: stages recognise records they have seen, so nothing is doubled.

--group takes a stage name (dedupe) or a full group name (leadstream-dedupe).

Examples:
  leadstream replay --group dedupe --to-start
  leadstream replay --group sink --to-time 2026-11-01T00:00:00Z`

func replayCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("replay", "--group G (--to-start | --to-time T) [flags]", replayHelp, stderr, configFlag, kafkaFlags)
	group := c.fs.String("group", "", "stage name or consumer group to rewind")
	toStart := c.fs.Bool("to-start", false, "rewind to the start of the input topic")
	toTime := c.fs.String("to-time", "", "rewind to the first record at or after this RFC 3339 time")
	if err := c.parse(args); err != nil {
		return err
	}
	if *group == "" || *toStart == (*toTime != "") {
		fmt.Fprintln(stderr, "leadstream replay: give --group and exactly one of --to-start or --to-time")
		c.fs.Usage()
		return errUsage
	}
	stageName := strings.TrimPrefix(*group, "leadstream-")
	st, err := system.StageByName(stageName)
	if err != nil {
		return err
	}
	target := pipeline.ReplayTarget{ToStart: *toStart}
	if *toTime != "" {
		if target.ToTime, err = time.Parse(time.RFC3339, *toTime); err != nil {
			return fmt.Errorf("--to-time %q: want RFC 3339, like 2026-11-01T00:00:00Z", *toTime)
		}
	}
	adm, closeFn, err := adminClient(c.brokerList())
	if err != nil {
		return err
	}
	defer closeFn()
	ns := pipeline.Namespace(c.namespace)
	offsets, err := pipeline.Replay(ctx, adm, ns.Group(st.Name()), ns.Topic(st.Input()), target)
	if err != nil {
		return err
	}
	parts := make([]int32, 0, len(offsets))
	for p := range offsets {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	fmt.Fprintf(stdout, "group %s rewound on %s:\n", ns.Group(st.Name()), ns.Topic(st.Input()))
	for _, p := range parts {
		fmt.Fprintf(stdout, "  partition %d → offset %d\n", p, offsets[p])
	}
	return nil
}
