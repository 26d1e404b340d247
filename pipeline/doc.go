// Package pipeline is leadstream's streaming runtime: the topic catalogue,
// the versioned record envelope, the generic stage runner that turns a
// Stage into a Kafka consumer-group member, per-partition state with
// changelog restore, the dead-letter queue, offset replay, outcome tallies
// and the embedded broker used on a single machine.
package pipeline
