// Command leadstream turns B2B contact records from data providers into
// clean, deduplicated CRM records in HaloPSA through a Kafka pipeline of
// five stages: normalize → validate → dedupe → enrich → sink.
//
// Run "leadstream help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "run the whole pipeline in one process (embedded broker by default)", runCmd},
		{"import", "stream files into leads.raw of a running pipeline", importCmd},
		{"pull", "run a provider's search API into leads.raw (resumable, credit-capped)", pullCmd},
		{"normalize", "show the canonical leads and verdicts the pipeline would make of a file", normalizeCmd},
		{"stage", "run one stage as its own process, for scale-out", stageCmd},
		{"topics", "create or verify the topics on a broker", topicsCmd},
		{"review", "list, approve or reject records held for a person", reviewCmd},
		{"apikey", "create, list or revoke the REST API's keys", apikeyCmd},
		{"replay", "rewind a stage's consumer group to reprocess records", replayCmd},
		{"eval", "measure dedupe precision and recall on a labelled file", evalCmd},
		{"halo-sandbox", "serve a HaloPSA emulator to try the flow without a tenant", haloSandboxCmd},
		{"version", "print the version", versionCmd},
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `leadstream turns raw B2B contact records from data providers into clean,
deduplicated, enriched leads in HaloPSA.

Usage:
  leadstream <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Try it on one machine (the broker runs inside the process, state under ./data):
  leadstream run --import examples/leads.csv --until-idle

Scale out against a real Kafka cluster:
  leadstream topics --brokers kafka:9092
  leadstream stage dedupe --brokers kafka:9092      (one per replica)

Every flag can also be set as LEADSTREAM_<FLAG> in the environment (e.g.
LEADSTREAM_BROKERS, LEADSTREAM_DATA_DIR) or in a JSON file named by --config.
Run "leadstream <command> --help" for a command's flags.
`)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(mainExit(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// mainExit runs the CLI and returns the process exit code.
func mainExit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(stderr, "leadstream %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "leadstream: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func versionCmd(_ context.Context, _ []string, stdout, _ io.Writer) error {
	fmt.Fprintf(stdout, "leadstream %s\n", version)
	return nil
}
