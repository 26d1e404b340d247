// Command leadstream turns B2B contact records from data providers into
// clean, deduplicated CRM records in HaloPSA through a Kafka pipeline:
// normalize → validate → dedupe → enrich → sink on the main line, with
// review (records held for a person), crm (HaloPSA webhooks and the
// reconciliation poll) and notify (outbound webhooks) beside it.
//
// Run "leadstream help" for the commands.
//
// # The command line
//
// The CLI is built on github.com/spf13/cobra with github.com/spf13/pflag
// flags: GNU style (--name value or --name=value, anywhere among the
// arguments, "--" ends them; the old single-dash -name is still accepted),
// "leadstream help CMD" and "CMD --help", and shell completion
// ("leadstream completion bash|zsh|fish|powershell"). Every flag is also
// LEADSTREAM_<FLAG> in the environment and a key of the --config JSON file
// (package config); the command line wins over the environment, which wins
// over the file.
//
// # Adding a command
//
// A command is one function and one line in commands():
//
//	func greetCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
//		c := newFlags("greet", "NAME [flags]", greetHelp, stderr, configFlag, logFlags)
//		loud := c.fs.Bool("loud", false, "shout")
//		if err := c.parse(args); err != nil {
//			return err // errUsage (exit 2) or --help (exit 0), already reported
//		}
//		if c.fs.NArg() != 1 {
//			c.fs.Usage()
//			return errUsage
//		}
//		...
//	}
//
//	{"greet", "say hello", greetCmd},   // in commands()
//
// newFlags declares the shared flags (the flagGroup values passed say which
// apply to the command and are shown in its help; with none, all of them
// apply); c.fs is a *pflag.FlagSet for the command's own flags (String,
// Bool, Int, Duration, Var with a pflag.Value …). The function must call
// newFlags and then c.parse before doing anything else: leadstream calls
// every command function once with a describing stderr to learn its flags
// for help and completion, and c.parse returns early in that call. The
// function then runs with the arguments after the command name. A
// returned errUsage exits 2, another error is printed as
// "leadstream greet: …" and exits 1. Completion of arguments and flag
// values is added in completions.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/leadstream/leadstream/config"
)

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
		{"provider-sandbox", "serve the enrichment providers' emulators for the people of a file", providerSandboxCmd},
		{"enrich", "estimate the credits enriching a file would spend (--dry-run)", enrichCmd},
		{"version", "print the version and the commit it was built from", versionCmd},
	}
}

const rootHelp = `leadstream turns raw B2B contact records from data providers (CSV, JSON,
JSON lines or XLSX exports, or their search APIs) into clean, deduplicated,
enriched leads in HaloPSA.`

const rootExamples = `Try it on one machine (the broker runs inside the process, state under ./data):
  leadstream run --import examples/leads.csv --until-idle

See what the pipeline makes of an export without running it:
  leadstream normalize apollo-export.csv --provider apollo

Scale out against a real Kafka cluster:
  leadstream topics --brokers kafka:9092
  leadstream stage dedupe --brokers kafka:9092      (one per replica)

Every flag can also be set as LEADSTREAM_<FLAG> in the environment (e.g.
LEADSTREAM_BROKERS, LEADSTREAM_DATA_DIR) or in a JSON file named by --config.
Run "leadstream help <command>" (or "leadstream <command> --help") for a
command's flags, and "leadstream completion --help" to set up completion.`

// writeUsage prints the top-level help listing cmds.
func writeUsage(w io.Writer, cmds []command) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  leadstream <command> [arguments] [flags]\n\nCommands:\n", rootHelp)
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-13s %s\n", "completion", "print the shell completion script (bash, zsh, fish or powershell)")
	fmt.Fprintf(w, "  %-13s %s\n", "help", "show a command's help: leadstream help <command>")
	fmt.Fprintf(w, "\n%s\n", rootExamples)
}

// writeHelp prints a command's help: usage line, text, its own flags and
// then the shared flags that apply to it.
func writeHelp(w io.Writer, name, synopsis, help string, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: leadstream %s\n", strings.TrimSpace(name+" "+synopsis))
	if help = strings.TrimSpace(help); help != "" {
		fmt.Fprintf(w, "\n%s\n", help)
	}
	own := pflag.NewFlagSet(name, pflag.ContinueOnError)
	shared := pflag.NewFlagSet(name, pflag.ContinueOnError)
	own.SortFlags, shared.SortFlags = false, false
	fs.VisitAll(func(f *pflag.Flag) {
		if _, ok := f.Annotations[sharedFlag]; ok {
			shared.AddFlag(f)
		} else {
			own.AddFlag(f)
		}
	})
	if own.HasAvailableFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", own.FlagUsagesWrapped(100))
	}
	if shared.HasAvailableFlags() {
		fmt.Fprintf(w, "\nShared flags:\n%s", shared.FlagUsagesWrapped(100))
	}
	fmt.Fprintf(w, "  -h, --help   this help\n")
	example := ""
	fs.VisitAll(func(f *pflag.Flag) {
		if example == "" && !f.Hidden && f.Name != "config" {
			example = f.Name
		}
	})
	if example != "" {
		fmt.Fprintf(w, "\nEvery flag is also LEADSTREAM_<FLAG> in the environment (--%s:\n%s) and a key of the --config file; the command line wins\nover the environment, which wins over the file.\n", example, config.EnvName(example))
	}
}

// describer is the stderr a command function is given while leadstream
// builds its command tree: newFlags records the flag set in it and
// c.parse returns errDescribed, so the function stops there.
type describer struct {
	io.Writer
	c *common
}

// describe learns a command's flags by calling it with a describer. A
// function that does not build its flags with newFlags yields nil (and
// ran with no arguments and a cancelled context).
func describe(run func(context.Context, []string, io.Writer, io.Writer) error) (c *common) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := &describer{Writer: io.Discard}
	defer func() {
		if recover() != nil {
			c = nil // not described: the command parses its own arguments
		}
	}()
	_ = run(ctx, nil, io.Discard, d)
	return d.c
}

// commandError is what a command function returned.
type commandError struct {
	name string
	err  error
}

func (e *commandError) Error() string { return e.err.Error() }
func (e *commandError) Unwrap() error { return e.err }

// flagError is a flag cobra could not parse.
type flagError struct {
	name string
	err  error
}

func (e *flagError) Error() string { return e.err.Error() }

// cli is the command tree of one invocation.
type cli struct {
	root *cobra.Command
	// flags are the described commands' flag sets.
	flags map[*cobra.Command]*common
	// args are the invocation's arguments.
	args []string
}

// newCLI builds the command tree of cmds; commands write to stdout and
// stderr.
func newCLI(cmds []command, stdout, stderr io.Writer) *cli {
	x := &cli{flags: map[*cobra.Command]*common{}}
	x.root = &cobra.Command{
		Use:           "leadstream",
		Short:         "B2B leads from data providers into HaloPSA, clean and deduplicated",
		Long:          rootHelp,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	x.root.SetOut(stdout)
	x.root.SetErr(stderr)
	for _, cmd := range cmds {
		sub := &cobra.Command{Use: cmd.name, Short: cmd.summary}
		run := cmd.run
		if c := describe(run); c != nil {
			x.flags[sub] = c
			sub.Use, sub.Long = strings.TrimSpace(cmd.name+" "+c.synopsis), c.help
			c.fs.VisitAll(func(f *pflag.Flag) {
				// cobra checks the command line with copies that do not
				// say "has no effect": the command's own parse says it,
				// once, on stderr (cobra would print it on stdout).
				cp := *f
				cp.Deprecated = ""
				sub.Flags().AddFlag(&cp)
			})
			sub.RunE = func(cc *cobra.Command, _ []string) error {
				// The function parses the arguments itself (cobra has
				// checked them), with the environment and --config.
				_, raw, _ := x.root.Find(x.args)
				return wrapCommandError(cmd.name, run(cc.Context(), raw, stdout, stderr))
			}
		} else {
			sub.DisableFlagParsing = true
			sub.RunE = func(cc *cobra.Command, args []string) error {
				return wrapCommandError(cmd.name, run(cc.Context(), args, stdout, stderr))
			}
		}
		addCompletions(sub)
		x.root.AddCommand(sub)
	}
	defaultHelp := x.root.HelpFunc()
	x.root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		switch c := x.flags[cmd]; {
		case cmd == x.root:
			writeUsage(cmd.OutOrStdout(), cmds)
		case c != nil:
			writeHelp(cmd.OutOrStdout(), c.name, c.synopsis, c.help, c.fs)
		default:
			defaultHelp(cmd, args)
		}
	})
	x.root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &flagError{name: cmd.Name(), err: err}
	})
	return x
}

func wrapCommandError(name string, err error) error {
	if err == nil {
		return nil
	}
	return &commandError{name: name, err: err}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(mainExit(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// mainExit runs the CLI and returns the process exit code: 0 done (or
// help shown), 2 a usage mistake, 1 a failure.
func mainExit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runCLI(ctx, commands(), args, stdout, stderr)
}

// runCLI runs the command line args over the commands cmds.
func runCLI(ctx context.Context, cmds []command, args []string, stdout, stderr io.Writer) int {
	x := newCLI(cmds, stdout, stderr)
	x.args = x.gnuArgs(args)
	x.root.SetArgs(x.args)
	err := x.root.ExecuteContext(ctx)
	var ce *commandError
	var fe *flagError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ce):
		switch {
		case errors.Is(ce.err, pflag.ErrHelp):
			return 0
		case errors.Is(ce.err, errUsage):
			return 2
		}
		fmt.Fprintf(stderr, "leadstream %s: %v\n", ce.name, ce.err)
		return 1
	case errors.As(err, &fe) && fe.name == x.root.Name():
		fmt.Fprintf(stderr, "leadstream: %v\nRun \"leadstream help\" for the commands.\n", fe.err)
		return 2
	case errors.As(err, &fe):
		fmt.Fprintf(stderr, "leadstream %s: %v\nRun \"leadstream %s --help\" for the flags.\n", fe.name, fe.err, fe.name)
		return 2
	default:
		// An unknown command or a misplaced argument.
		fmt.Fprintf(stderr, "leadstream: %v\n\n", err)
		writeUsage(stderr, cmds)
		return 2
	}
}

// gnuArgs rewrites the single-dash long flags of the old command line
// (-data-dir x) as GNU long flags (--data-dir x), for the command args
// names; anything else is left as it is. pflag would read -data-dir as
// the shorthands -d -a -t ….
func (x *cli) gnuArgs(args []string) []string {
	sub, _, err := x.root.Find(args)
	c := x.flags[sub]
	if err != nil || c == nil {
		return args
	}
	out := append([]string(nil), args...)
	i := 0
	for i < len(out) && out[i] != sub.Name() {
		i++
	}
	for i++; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		if len(a) < 3 || a[0] != '-' {
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := c.fs.Lookup(name)
		if f == nil {
			if a == "-help" {
				out[i] = "--help"
			}
			continue
		}
		if a[1] != '-' {
			out[i] = "-" + a
		}
		if !hasValue && f.NoOptDefVal == "" {
			i++ // the flag's value, whatever it looks like
		}
	}
	return out
}
