package pipeline

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Stage is one step of the pipeline: it reads Input and, per assigned
// partition, processes records with a Processor. A stateful stage gets a
// Table per partition, backed by Badger and a compacted changelog.
type Stage interface {
	// Name is the stage's name; its consumer group is "leadstream-<name>".
	Name() string
	// Input is the topic the stage consumes.
	Input() string
	// Stateful reports whether the stage keeps per-partition state.
	Stateful() bool
	// Open returns the processor for one assigned partition. table is nil
	// for a stateless stage.
	Open(ctx context.Context, partition int32, table *Table) (Processor, error)
}

// Processor handles the records of one partition, one at a time, in
// offset order. An error sends the record to the dead-letter topic with
// the error and its original bytes; the rest of the batch goes on.
type Processor interface {
	Process(ctx context.Context, in *Envelope, out *Emitter) error
}

// BatchProcessor is a Processor that takes a partition's share of a poll
// at once: a stage that calls an external system uses it to batch its
// requests. out[i] collects what batch[i] emits; a non-nil errs[i]
// dead-letters batch[i] and the rest go on. A returned error fails the whole
// batch, which is then processed again. Its table writes are not rolled
// back per record: the processor keeps its own state consistent, and may
// make it durable mid-batch with Table.Commit.
type BatchProcessor interface {
	Processor
	ProcessBatch(ctx context.Context, batch []*Envelope, out []*Emitter) (errs []error, err error)
}

// SideEffecter is implemented by stages whose processing has effects
// outside Kafka (HTTP writes). A Kafka transaction cannot cover those, so
// the runner runs such a stage at-least-once even when exactly-once is
// asked for; the stage makes its effects idempotent itself.
type SideEffecter interface {
	HasSideEffects() bool
}

// MultiInput is implemented by stateless stages that consume more topics
// than Input (the webhook notifier reads every outcome topic).
type MultiInput interface {
	MoreInputs() []string
}

// BatchTuner is implemented by stages that want fuller batches than the
// default, like the sink, whose external requests per record fall as its
// arrays fill. The runner then takes up to MaxRecords per batch (unless its
// options set MaxBatch), polling again for up to MaxWait after the first
// records arrive to fill it.
type BatchTuner interface {
	BatchTuning() BatchTuning
}

// BatchTuning is a stage's preferred batch shape.
type BatchTuning struct {
	MaxRecords int
	MaxWait    time.Duration
}

// ProcessorFunc adapts a function to Processor.
type ProcessorFunc func(ctx context.Context, in *Envelope, out *Emitter) error

// Process calls f.
func (f ProcessorFunc) Process(ctx context.Context, in *Envelope, out *Emitter) error {
	return f(ctx, in, out)
}

// GroupName is the consumer group of a stage.
func GroupName(stage string) string { return "leadstream-" + stage }

// Emitter collects the records a Processor sends on.
type Emitter struct {
	stage   string
	records []*kgo.Record
	err     error
	sealer  Sealer
}

// Emit sends env to topic under key, adding this stage to its history.
func (e *Emitter) Emit(topic, key string, env *Envelope) {
	if e.err != nil {
		return
	}
	env.Stages = append(env.Stages, e.stage)
	if sh, ok := e.sealer.(interface{ Shred(string) }); ok && env.Outcome == OutcomeSuppressed &&
		len(env.Reasons) > 0 && env.Reasons[0] == ReasonErasure && env.Source.RecordID != "" {
		// An erased person read again (validate suppressed it): the copy
		// the import sealed under a new key is shredded too.
		sh.Shred(SourceSubject(env.Source))
	}
	r, err := env.record(e.sealer, topic, key)
	if err != nil {
		e.err = err
		return
	}
	e.records = append(e.records, r)
}

// Records are the records emitted for the current input so far (tests
// and in-process harnesses read them; the runner produces them).
func (e *Emitter) Records() []*kgo.Record { return e.records }

// Delete sends a tombstone for key to a compacted topic.
func (e *Emitter) Delete(topic, key string) {
	if e.err != nil {
		return
	}
	e.records = append(e.records, &kgo.Record{Topic: topic, Key: []byte(key)})
}

// reset prepares the emitter for the next input record.
func (e *Emitter) reset() {
	e.records = e.records[:0]
	e.err = nil
}

// EventOrdered is implemented by a stage whose answer depends on the order
// in which records meet (dedupe with its shared candidate view): the
// runner processes each batch in the order the records were first seen
// (HeaderSeen) across the batch's partitions, each partition's records
// keeping their own order, so the order does not depend on how the
// records were spread over partitions.
type EventOrdered interface {
	EventOrdered() bool
}
