package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/leadstream/leadstream/config"
	"github.com/leadstream/leadstream/pipeline"
)

// errUsage marks a command-line mistake already reported to the user.
var errUsage = errors.New("usage")

// common are the settings every command that talks to Kafka shares.
type common struct {
	fs             *flag.FlagSet
	configFile     string
	brokers        config.List
	dataDir        string
	namespace      string
	partitions     int
	logLevel       string
	logFormat      string
	stateKeyHex    string
	exactlyOnce    bool
	maxBatch       int
	sessionTimeout time.Duration
	metricsAddr    string
	memoryLimit    string
}

// newFlags creates a command's flag set with the shared flags.
func newFlags(name, synopsis, help string, stderr io.Writer) *common {
	c := &common{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	fs := c.fs
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: leadstream %s %s\n\n%s\n\nFlags (each also LEADSTREAM_<FLAG> or a key in --config):\n", name, synopsis, help)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.configFile, "config", "", "JSON file of settings, keys named like the flags")
	fs.Var(&c.brokers, "brokers", "Kafka bootstrap brokers, comma-separated (run: empty starts the embedded broker)")
	fs.StringVar(&c.dataDir, "data-dir", "./data", "where state, import checkpoints and the embedded broker's log live")
	fs.StringVar(&c.namespace, "namespace", "", "prefix for every topic and group, to share a cluster between pipelines")
	fs.IntVar(&c.partitions, "partitions", pipeline.DefaultPartitions, "partitions per topic when creating topics")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "text", "text or json")
	fs.StringVar(&c.stateKeyHex, "state-key", "", "hex AES key (32, 48 or 64 hex digits) to encrypt stage state at rest")
	fs.BoolVar(&c.exactlyOnce, "exactly-once", false, "process batches in Kafka transactions (EOS) instead of at-least-once")
	fs.IntVar(&c.maxBatch, "max-batch", 0, "records per batch and poll (0: 500, and 1500 for a sink writing to HaloPSA)")
	fs.DurationVar(&c.sessionTimeout, "session-timeout", 10*time.Second, "consumer-group session timeout")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "127.0.0.1:9090", "address of /metrics, /healthz and /readyz (empty disables)")
	fs.StringVar(&c.memoryLimit, "memory-limit", "", "soft limit of the Go heap and runtime memory, e.g. 800MiB or 2GiB: the garbage collector works harder near it, and the stores' memtables and caches, dedupe's caches and the consumers' fetch sizes are shares of it (empty: GOMEMLIMIT, else 1GiB; Badger's memory-mapped files are not counted)")
	return c
}

// parse parses args and resolves the environment and the config file.
func (c *common) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	file := c.configFile
	if file == "" {
		file = os.Getenv(config.EnvName("config"))
	}
	if err := config.Resolve(c.fs, file, os.Getenv); err != nil {
		fmt.Fprintf(c.fs.Output(), "leadstream %s: %v\n", c.fs.Name(), err)
		return errUsage
	}
	if c.memoryLimit == "" && os.Getenv("GOMEMLIMIT") == "" {
		c.memoryLimit = "1GiB" // system.DefaultMemoryLimit
	}
	if c.memoryLimit != "" {
		n, err := parseBytes(c.memoryLimit)
		if err != nil {
			fmt.Fprintf(c.fs.Output(), "leadstream %s: --memory-limit: %v\n", c.fs.Name(), err)
			return errUsage
		}
		debug.SetMemoryLimit(n)
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

// stateKey decodes --state-key.
func (c *common) stateKey() ([]byte, error) {
	if c.stateKeyHex == "" {
		return nil, nil
	}
	k, err := hex.DecodeString(strings.TrimSpace(c.stateKeyHex))
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
	c.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}
