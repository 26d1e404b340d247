package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// The topics records travel on, in pipeline order.
const (
	TopicRaw        = "leads.raw"
	TopicNormalized = "leads.normalized"
	TopicValid      = "leads.valid"
	TopicUnique     = "leads.unique"
	TopicEnriched   = "leads.enriched"
	TopicSynced     = "leads.synced"
	TopicReview     = "leads.review"
	TopicRejected   = "leads.rejected"
	TopicDLQ        = "leads.dlq"
	// TopicEvents carries workflow transitions (Lead → Prospect →
	// Opportunity) and refusals, with timestamps, for analytics.
	TopicEvents = "leads.events"
	// TopicHaloInbound carries HaloPSA webhook deliveries, keyed by the
	// object id, from the webhook endpoint to the crm stage.
	TopicHaloInbound = "halopsa.inbound"
	// TopicSuppressions is the do-not-contact list (crm.md §7.4), compacted:
	// keyed by HMAC-SHA256 of each e-mail and phone of a suppressed lead, so
	// it holds no personal data in clear. Every validate process follows
	// all of it.
	TopicSuppressions = "leads.suppressions"
	// TopicCurrent holds the current canonical lead of every lead id,
	// compacted and keyed by lead id: the API processes follow it into
	// their own leads view. An erased lead leaves a tombstone.
	TopicCurrent = "leads.current"
	// TopicKeyring holds the data keys that seal personal data
	// (internal/keyring), compacted and keyed by subject; an erased
	// subject's key leaves a tombstone, and compaction drops the key.
	TopicKeyring = "leadstream.keyring"
)

// OutcomeTopics are the topics whose records are final outcomes.
var OutcomeTopics = []string{TopicSynced, TopicReview, TopicRejected, TopicDLQ}

// ChangelogTopic is the compacted changelog of a stateful stage.
func ChangelogTopic(stage string) string { return "leadstream." + stage + ".changelog" }

// TopicSpec is one topic of the catalogue.
type TopicSpec struct {
	Name       string
	Partitions int32
	Configs    map[string]string
}

// Catalogue is the single place where topics, partition counts and configs
// are decided.
type Catalogue struct {
	// Partitions is the partition count of every lead topic and changelog.
	// Records that can match share a key, so they share a partition.
	Partitions int32
	// Replication is the replication factor; -1 takes the broker default.
	Replication int16
	// StatefulStages name the stages that get a compacted changelog topic.
	StatefulStages []string
	// Namespace prefixes every topic name.
	Namespace Namespace
	// Retention is how long the non-compacted topics keep records
	// (retention.ms; 0: DefaultRetention). It applies when a topic is
	// created.
	Retention time.Duration
}

// DefaultRetention is how long personal data stays on a non-compacted
// topic: 7 days.
const DefaultRetention = 7 * 24 * time.Hour

// DefaultPartitions suits one machine and leaves room to scale out to six
// replicas per stage.
const DefaultPartitions = 6

// Specs lists every topic of the catalogue.
func (c Catalogue) Specs() []TopicSpec {
	parts := c.Partitions
	if parts <= 0 {
		parts = DefaultPartitions
	}
	retention := c.Retention
	if retention <= 0 {
		retention = DefaultRetention
	}
	keep := strconv.FormatInt(retention.Milliseconds(), 10)
	leadTopic := func(name string) TopicSpec {
		// Personal data on a non-compacted topic is kept at most Retention.
		return TopicSpec{Name: c.Namespace.Topic(name), Partitions: parts, Configs: map[string]string{"retention.ms": keep}}
	}
	specs := []TopicSpec{
		leadTopic(TopicRaw), leadTopic(TopicNormalized), leadTopic(TopicValid),
		leadTopic(TopicUnique), leadTopic(TopicEnriched), leadTopic(TopicSynced),
		leadTopic(TopicReview), leadTopic(TopicRejected), leadTopic(TopicDLQ),
		leadTopic(TopicEvents), leadTopic(TopicHaloInbound),
	}
	specs = append(specs, TopicSpec{
		Name:       c.Namespace.Topic(TopicCurrent),
		Partitions: parts,
		Configs:    map[string]string{"cleanup.policy": "compact", "min.compaction.lag.ms": "0"},
	}, TopicSpec{
		// A deleted key must leave the log soon, not when the segment
		// happens to roll: segments roll every hour and are compacted at
		// the latest an hour later, and tombstones go after a day.
		Name:       c.Namespace.Topic(TopicKeyring),
		Partitions: parts,
		Configs: map[string]string{"cleanup.policy": "compact", "min.compaction.lag.ms": "0",
			"segment.ms": "3600000", "max.compaction.lag.ms": "3600000", "min.cleanable.dirty.ratio": "0.01",
			"delete.retention.ms": "86400000"},
	}, TopicSpec{
		Name:       c.Namespace.Topic(TopicSuppressions),
		Partitions: parts,
		Configs:    map[string]string{"cleanup.policy": "compact", "min.compaction.lag.ms": "0"},
	})
	for _, s := range c.StatefulStages {
		specs = append(specs, TopicSpec{
			Name:       c.Namespace.Topic(ChangelogTopic(s)),
			Partitions: parts,
			Configs:    map[string]string{"cleanup.policy": "compact", "min.compaction.lag.ms": "0"},
		})
	}
	return specs
}

// TopicReport says what EnsureTopics did with one topic.
type TopicReport struct {
	Name       string
	Partitions int32
	Action     string // "created" or "ok"
}

// EnsureTopics creates missing topics and verifies existing ones have the
// catalogue's partition count. It is safe to run any number of times.
func EnsureTopics(ctx context.Context, adm *kadm.Client, c Catalogue) ([]TopicReport, error) {
	specs := c.Specs()
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	existing, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	var reports []TopicReport
	var problems []error
	for _, s := range specs {
		if d, ok := existing[s.Name]; ok && d.Err == nil {
			got := int32(len(d.Partitions))
			if got != s.Partitions {
				problems = append(problems, fmt.Errorf("topic %s has %d partitions, the catalogue wants %d", s.Name, got, s.Partitions))
			}
			reports = append(reports, TopicReport{Name: s.Name, Partitions: got, Action: "ok"})
			continue
		}
		cfgs := make(map[string]*string, len(s.Configs))
		for k, v := range s.Configs {
			v := v
			cfgs[k] = &v
		}
		resp, err := adm.CreateTopic(ctx, s.Partitions, c.Replication, cfgs, s.Name)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return reports, fmt.Errorf("create topic %s: %w", s.Name, err)
		}
		reports = append(reports, TopicReport{Name: s.Name, Partitions: s.Partitions, Action: "created"})
	}
	sort.Slice(reports, func(i, j int) bool { return reports[i].Name < reports[j].Name })
	return reports, errors.Join(problems...)
}
