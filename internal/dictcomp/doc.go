// Package dictcomp compresses the small records leadstream seals — one
// envelope's or one state value's personal data, a kilobyte or two of
// MessagePack — with S2 and a dictionary built into the binary.
//
// A sealed record is compressed alone, before it is encrypted: the
// brokers' batch compression and Badger's block compression, which found
// the repetition across records (the same field names, providers,
// countries and stages in every one), no longer can. A dictionary made
// from such records gives that repetition back: about half the bytes of
// plain S2 at a few microseconds per record (bench/README.md, stop 22).
//
// Every output starts with the number of the dictionary it was made with,
// so a dictionary is never changed once released: a new one is added
// under the next number, and Decode keeps reading the old ones.
// bench/cmd/sealdict builds a dictionary from a run's topics.
package dictcomp
