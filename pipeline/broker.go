package pipeline

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// DefaultEmbeddedAddr is where the embedded broker listens.
const DefaultEmbeddedAddr = "127.0.0.1:9092"

// EmbeddedOptions configures the in-process broker.
type EmbeddedOptions struct {
	// DataDir is the leadstream data directory; the broker persists under
	// DataDir/broker so a restart resumes where it stopped.
	DataDir string
	// Dir, when set, is where the broker persists instead of
	// DataDir/broker. With neither, the broker keeps its topics in memory.
	Dir string
	// Addr is the listen address; only the port is used (kfake binds to
	// loopback). Port 0 picks a free port.
	Addr string
	// Partitions is the default partition count of auto-created topics.
	Partitions int
	// Logger receives the broker's warnings.
	Logger *slog.Logger
}

// EmbeddedBroker is a kfake cluster of one broker, running in-process.
type EmbeddedBroker struct {
	cluster *kfake.Cluster
}

// StartEmbedded starts the embedded broker.
func StartEmbedded(opts EmbeddedOptions) (*EmbeddedBroker, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultEmbeddedAddr
	}
	if opts.Partitions <= 0 {
		opts.Partitions = DefaultPartitions
	}
	_, portStr, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: address %q: %w", opts.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: port %q: %w", portStr, err)
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ClusterID("leadstream-embedded"),
		kfake.DefaultNumPartitions(opts.Partitions),
		kfake.AllowAutoTopicCreation(),
	}
	if opts.Dir == "" && opts.DataDir != "" {
		opts.Dir = filepath.Join(opts.DataDir, "broker")
	}
	if opts.Dir != "" {
		kopts = append(kopts, kfake.DataDir(opts.Dir))
	}
	if opts.Logger != nil {
		kopts = append(kopts, kfake.WithLogger(kfakeLogger{opts.Logger}))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("embedded broker on %s: %w (is another broker or leadstream already running there?)", opts.Addr, err)
	}
	return &EmbeddedBroker{cluster: c}, nil
}

// Addrs returns the bootstrap addresses of the broker.
func (b *EmbeddedBroker) Addrs() []string { return b.cluster.ListenAddrs() }

// Compact compacts every compacted topic now (kfake rewrites the
// partitions' segment files), so records superseded by a newer value or a
// tombstone leave the disk at once, not at the next hourly pass.
func (b *EmbeddedBroker) Compact() { b.cluster.Compact() }

// Close shuts the broker down, persisting its state.
func (b *EmbeddedBroker) Close() { b.cluster.Close() }

// kfakeLogger routes kfake's warnings and errors to slog.
type kfakeLogger struct{ l *slog.Logger }

func (k kfakeLogger) Logf(level kfake.LogLevel, msg string, args ...any) {
	switch level {
	case kfake.LogLevelError:
		k.l.Error("broker: " + fmt.Sprintf(msg, args...))
	case kfake.LogLevelWarn:
		k.l.Warn("broker: " + fmt.Sprintf(msg, args...))
	}
}
