package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/leadstream/leadstream/config"
	"github.com/leadstream/leadstream/internal/secrets"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

// errUsage marks a command-line mistake already reported to the user.
var errUsage = errors.New("usage")

// errDescribed stops a command function that newFlags was given a
// *describer: the command tree has its flags and nothing else runs.
var errDescribed = errors.New("flags described")

// flagGroup is a set of the shared flags newFlags declares. The groups a
// command passes are listed in its help; the others are still accepted,
// hidden and marked deprecated ("it has no effect on …"), so command lines
// and config files written for the old CLI keep working.
type flagGroup uint

const (
	// configFlag is --config.
	configFlag flagGroup = 1 << iota
	// kafkaFlags are --brokers and --namespace.
	kafkaFlags
	// topicFlags is --partitions (the partitions of topics it creates).
	topicFlags
	// dataFlags is --data-dir.
	dataFlags
	// logFlags are --log-level and --log-format.
	logFlags
	// stageFlags tune stage runners: --state-key, --exactly-once,
	// --max-batch, --session-timeout.
	stageFlags
	// metricsFlags is --metrics-addr.
	metricsFlags
	// memoryFlags is --memory-limit.
	memoryFlags

	// allFlags are every shared flag: what newFlags declares when given
	// no group.
	allFlags = configFlag | kafkaFlags | topicFlags | dataFlags | logFlags | stageFlags | metricsFlags | memoryFlags
	// noSharedFlags declares no shared flag as applying (version).
	noSharedFlags flagGroup = 0
)

// sharedFlag annotates the flags newFlags declares, which help lists
// after the command's own.
const sharedFlag = "leadstream/shared"

// common are the settings every command that talks to Kafka shares, and
// the command's flag set (GNU style: --name, anywhere on the line).
type common struct {
	fs             *pflag.FlagSet
	name, synopsis string
	help           string
	describing     bool
	configFile     string
	brokers        config.List
	dataDir        string
	namespace      string
	partitions     int
	logLevel       string
	logFormat      string
	stateKeyHex    string
	stateKeyFile   string
	exactlyOnce    bool
	maxBatch       int
	sessionTimeout time.Duration
	metricsAddr    string
	memoryLimit    string
}

// newFlags creates a command's flag set with the shared flags. groups
// name the shared flags that apply to the command (none given: all of
// them); the others are accepted but hidden, and say so when used. The
// synopsis follows the command name in the usage line ("FILE... [flags]");
// help is the text --help prints above the flags.
func newFlags(name, synopsis, help string, stderr io.Writer, groups ...flagGroup) *common {
	applies := allFlags
	if len(groups) > 0 {
		applies = 0
		for _, g := range groups {
			applies |= g
		}
	}
	c := &common{fs: pflag.NewFlagSet(name, pflag.ContinueOnError), name: name, synopsis: synopsis, help: help}
	fs := c.fs
	fs.SortFlags = false
	fs.SetOutput(stderr)
	if d, ok := stderr.(*describer); ok {
		d.c, c.describing = c, true
		fs.SetOutput(io.Discard)
	}
	fs.Usage = func() { writeHelp(fs.Output(), c.name, c.synopsis, c.help, fs) }
	type shared struct {
		group flagGroup
		name  string
	}
	var declared []shared
	add := func(g flagGroup, name string) { declared = append(declared, shared{g, name}) }
	fs.StringVar(&c.configFile, "config", "", "JSON file of settings, keys named like the flags")
	add(configFlag, "config")
	fs.Var(&c.brokers, "brokers", "Kafka bootstrap brokers, comma-separated (empty: run starts the embedded broker; the other commands use the one of a run on this machine, "+pipeline.DefaultEmbeddedAddr+")")
	fs.StringVar(&c.namespace, "namespace", "", "prefix for every topic and group, to share a cluster between pipelines")
	add(kafkaFlags, "brokers")
	add(kafkaFlags, "namespace")
	fs.IntVar(&c.partitions, "partitions", pipeline.DefaultPartitions, "partitions per topic when creating topics")
	add(topicFlags, "partitions")
	fs.StringVar(&c.dataDir, "data-dir", "./data", "where state, import checkpoints and the embedded broker's log live")
	add(dataFlags, "data-dir")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "text", "text or json")
	add(logFlags, "log-level")
	add(logFlags, "log-format")
	fs.StringVar(&c.stateKeyHex, "state-key", "", "hex AES key (32, 48 or 64 hex digits) to encrypt stage state at rest (prefer LEADSTREAM_STATE_KEY or --state-key-file: the command line is visible in ps)")
	fs.StringVar(&c.stateKeyFile, "state-key-file", "", "file holding the --state-key (mode 0600)")
	fs.BoolVar(&c.exactlyOnce, "exactly-once", false, "process batches in Kafka transactions (EOS) instead of at-least-once")
	fs.IntVar(&c.maxBatch, "max-batch", 0, "records per batch and poll (0: 500, and 1500 for a sink writing to HaloPSA)")
	fs.DurationVar(&c.sessionTimeout, "session-timeout", 10*time.Second, "consumer-group session timeout")
	for _, n := range []string{"state-key", "state-key-file", "exactly-once", "max-batch", "session-timeout"} {
		add(stageFlags, n)
	}
	fs.StringVar(&c.metricsAddr, "metrics-addr", "127.0.0.1:9090", "address of /metrics, /healthz and /readyz (empty disables)")
	add(metricsFlags, "metrics-addr")
	fs.StringVar(&c.memoryLimit, "memory-limit", "", "soft limit of the Go heap and runtime memory, e.g. 800MiB or 2GiB: the garbage collector works harder near it (and, unless GOGC is set, lets the heap grow to 5× the live data below it), and the stores' memtables and caches, dedupe's caches and the consumers' fetch sizes are shares of it (empty: GOMEMLIMIT, else 1GiB). Badger's and Bleve's memory-mapped files are not counted; once they hold more than a quarter of it in memory they are paged out")
	add(memoryFlags, "memory-limit")
	for _, d := range declared {
		_ = fs.SetAnnotation(d.name, sharedFlag, []string{"true"})
		if applies&d.group == 0 {
			// MarkDeprecated only fails for an unknown name.
			_ = fs.MarkDeprecated(d.name, "it has no effect on leadstream "+name)
		}
	}
	return c
}

// parse parses args (flags anywhere among the arguments; "--" ends the
// flags) and resolves the environment and the config file.
func (c *common) parse(args []string) error {
	if c.describing {
		return errDescribed
	}
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			c.fs.Usage()
			return err
		}
		fmt.Fprintf(c.fs.Output(), "leadstream %s: %v\nRun \"leadstream %s --help\" for the flags.\n", c.name, err, c.name)
		return errUsage
	}
	warnSecretsOnArgv(c.fs)
	file := c.configFile
	if file == "" && c.fs.Lookup("config").Deprecated == "" {
		file = os.Getenv(config.EnvName("config"))
	}
	if err := config.Resolve(c.fs, file, os.Getenv); err != nil {
		fmt.Fprintf(c.fs.Output(), "leadstream %s: %v\n", c.name, err)
		return errUsage
	}
	if c.memoryLimit == "" && os.Getenv("GOMEMLIMIT") == "" {
		c.memoryLimit = "1GiB" // system.DefaultMemoryLimit
	}
	if c.memoryLimit != "" {
		n, err := parseBytes(c.memoryLimit)
		if err != nil {
			fmt.Fprintf(c.fs.Output(), "leadstream %s: --memory-limit: %v\n", c.name, err)
			return errUsage
		}
		system.SetMemoryLimit(n)
	} else {
		system.RelaxGCUnderLimit() // the limit is GOMEMLIMIT's
	}
	return nil
}

// parseBytes parses a size in bytes with an optional unit: B, KiB, MiB,
// GiB (or K, M, G, KB, MB, GB, all powers of 1024), e.g. "1.5GiB".
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q: want a positive size such as 800MiB or 1GiB", s)
	}
	shift := map[string]uint{"": 0, "b": 0, "k": 10, "kb": 10, "kib": 10, "m": 20, "mb": 20, "mib": 20, "g": 30, "gb": 30, "gib": 30}
	sh, ok := shift[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit %q (B, KiB, MiB or GiB)", s, unit)
	}
	return int64(v * float64(uint64(1)<<sh)), nil
}

// logger builds the slog logger from --log-level and --log-format.
func (c *common) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", c.logLevel, err)
	}
	ho := &slog.HandlerOptions{Level: lvl}
	switch c.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", c.logFormat)
}

// secretFlags hold secrets: given on the command line they are visible to
// every user of the machine.
var secretFlags = []string{"state-key", "webhook-password", "webhook-token"}

// warnSecretsOnArgv tells the user a secret was given as a command-line
// argument, and where to put it instead.
func warnSecretsOnArgv(fs *pflag.FlagSet) {
	fs.Visit(func(f *pflag.Flag) {
		if slices.Contains(secretFlags, f.Name) && f.Value.String() != "" {
			fmt.Fprintf(fs.Output(), "leadstream %s: warning: --%s on the command line is visible to other users (ps); set %s or --%s-file instead\n",
				fs.Name(), f.Name, config.EnvName(f.Name), f.Name)
		}
	})
}

// secretWarn reports a secret file readable by others on stderr.
func (c *common) secretWarn(msg string, args ...any) {
	fmt.Fprintf(c.fs.Output(), "leadstream %s: warning: %s %v\n", c.fs.Name(), msg, args)
}

// stateKey decodes --state-key or the content of --state-key-file.
func (c *common) stateKey() ([]byte, error) {
	v, err := secrets.Value("--state-key", c.stateKeyHex, c.stateKeyFile, c.secretWarn)
	if err != nil {
		return nil, err
	}
	if v == "" {
		return nil, nil
	}
	k, err := hex.DecodeString(strings.TrimSpace(v))
	if err != nil || (len(k) != 16 && len(k) != 24 && len(k) != 32) {
		return nil, errors.New("--state-key must be 32, 48 or 64 hex digits (an AES-128/192/256 key)")
	}
	return k, nil
}

// brokerList returns the brokers, defaulting to the embedded broker's
// address for commands that attach to a running `leadstream run`.
func (c *common) brokerList() []string {
	if len(c.brokers) == 0 {
		return []string{pipeline.DefaultEmbeddedAddr}
	}
	return c.brokers
}

// given reports whether the flag name was set, on the command line, in the
// environment or in the config file.
func (c *common) given(name string) bool {
	found := false
	c.fs.Visit(func(f *pflag.Flag) { found = found || f.Name == name })
	return found
}
