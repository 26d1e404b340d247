// Package index holds the local, per-partition state of the stateful
// stages: a Badger store of keyed values with the changelog offset it has
// applied through. Stages never talk to Badger directly; the pipeline's
// Table wraps a Store with batching and changelog writes.
package index
