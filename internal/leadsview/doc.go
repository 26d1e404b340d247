// Package leadsview is the API's view of the current leads, in the manner
// of a goka View: every API process follows the whole compacted topic
// leads.current (the sink's latest canonical lead per lead id, a tombstone
// for an erased one) into its own Badger store and Bleve index under its
// own directory, so any number of API replicas serve reads without talking
// to each other or to the stages.
//
// The Badger store holds each lead's document (the canonical record, its
// state, HaloPSA reference, source records and the time it last changed)
// and, per partition of the topic, the next offset to read: a restart
// resumes where it stopped. A document is MessagePack, sealed under the
// lead's data key when the view has a Sealer (as the lead is on the
// topic): erasing the lead then shreds every copy, so the documents live
// in Badger's value log; without a Sealer they are plain and stay in the
// LSM tree, which Forget rewrites. The Bleve index is derived from the store: it
// answers the full-text query q (names, e-mail, company) together with the
// filters and sorts of crm.md §9.2 and pages with search_after cursors.
//
// The index is four Bleve indexes (shards by lead id) searched through a
// bleve.IndexAlias, with slim documents built by hand (fields.go). An
// index that was not closed cleanly is rebuilt from the store; a lost
// directory is rebuilt from the topic: the records go to the store alone
// until the view has caught up, then Bleve's offline builder builds each
// shard from the store in its own goroutine (shards.go). A search by
// relevance considers a capped number of matches (Options.RelevanceCap)
// and says when its total is a lower bound.
package leadsview
