// Package keyring keeps the data keys under which the pipeline seals
// personal data (crypto-shredding, issue 13): one AES-256-GCM key per
// subject — a source record or a lead — created when the first record of
// the subject is sealed, and deleted when the lead is erased, after which
// every record sealed with it, wherever a copy of it lies (the broker's
// logs, compacted or not, a replica's disk, a backup), can never be read
// again. It implements pipeline.Sealer.
//
// The keys live on a compacted topic (leadstream.keyring, keyed by
// subject), wrapped (AES-256-GCM, the subject as associated data) by a key
// derived from the deployment's shared secret (LEADSTREAM_SUPPRESSION_KEY),
// so the topic holds no usable key for someone who has only the brokers'
// disks; without a shared secret the system uses a public one, and the
// wrapping then adds nothing. Every process follows the whole topic into
// memory (130–160 bytes a key, in a table the garbage collector does not
// trace: table.go), as validate follows the suppression list. A key
// record that does not unwrap (processes with different secrets) is an
// error for the records sealed with it, never an erasure. Erasure writes
// a tombstone per key; the topic's compaction then drops the key's
// record from the log (the embedded broker is compacted by the eraser at
// once; a real Kafka cluster within its max.compaction.lag.ms, see
// pipeline.Catalogue).
//
// A new key is written before any record sealed with it: Seal only queues
// the key's record, and Flush, which the stage runner and the import call
// before they produce what they sealed, makes the queued keys durable. A
// reader that meets a subject it does not know reads the topic up to its
// end before it concludes that the subject was erased.
package keyring

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/ctxtime"
	"github.com/leadstream/leadstream/pipeline"
)

// Producer writes key records (a *kgo.Client).
type Producer interface {
	ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults
}

// Keyring holds the data keys of every subject. It is safe for concurrent
// use.
type Keyring struct {
	topic string
	kek   cipher.AEAD   // wraps new keys
	keks  []cipher.AEAD // unwrap: kek, then the older secrets'
	prod  Producer
	log   *slog.Logger

	mu   sync.RWMutex
	keys *keyTable
	// ciphers are the ciphers of the keys used last.
	ciphers *cipherCache
	// erased are the subjects whose keys were deleted, with the deleted
	// key when known: a late copy of that key's record is not taken back.
	erased map[string][]byte
	// unreadable are subjects whose key record does not unwrap with this
	// process's secrets: a misconfiguration, never an erasure.
	unreadable map[string]bool
	pending    []*kgo.Record
	// flushMu serialises Flush: a Flush returns only once every key
	// queued before it is durable, also one a concurrent Flush took.
	flushMu sync.Mutex
	// deleted counts the keys this process deleted (Forget, Shred).
	deleted int

	// follow state: the next offset read per partition, and how to ask
	// for the topic's end offsets.
	fmu      sync.Mutex
	next     map[int32]int64
	advanced chan struct{}
	adm      *kadm.Client
	ready    chan struct{}
}

// wireEntry is a key's record value on the topic.
type wireEntry struct {
	Key  []byte `json:"k"` // wrapped: nonce and ciphertext
	Lead string `json:"l,omitempty"`
}

// New returns an empty keyring writing to topic through prod. secret is
// the deployment's shared secret (every process must give the same one);
// the key-wrapping key is derived from it. Keys wrapped with an older
// secret are still read.
func New(topic string, secret []byte, prod Producer, log *slog.Logger, older ...[]byte) (*Keyring, error) {
	if len(secret) == 0 {
		return nil, errors.New("keyring: no secret")
	}
	if log == nil {
		log = slog.Default()
	}
	var keks []cipher.AEAD
	for _, sec := range append([][]byte{secret}, older...) {
		m := hmac.New(sha256.New, sec)
		m.Write([]byte("leadstream keyring key-wrapping key v1"))
		kek, err := newAEAD(m.Sum(nil))
		if err != nil {
			return nil, err
		}
		keks = append(keks, kek)
	}
	kek := keks[0]
	ready := make(chan struct{})
	close(ready)
	return &Keyring{topic: topic, kek: kek, keks: keks, prod: prod, log: log, keys: newKeyTable(), ciphers: newCipherCache(cipherCapacity), erased: map[string][]byte{},
		unreadable: map[string]bool{},
		next:       map[int32]int64{}, advanced: make(chan struct{}), ready: ready}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return g, nil
}

// Seal implements pipeline.Sealer.
func (k *Keyring) Seal(subject string, plaintext, aad []byte) ([]byte, error) {
	aead, err := k.cipherFor(subject)
	if err != nil {
		return nil, err
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("keyring: nonce: %w", err)
	}
	return aead.Seal(out, out, plaintext, aad), nil
}

// cipherFor returns the cipher of subject's key, making the key (queued
// for Flush) if it has none. An erased lead gets no new key (a lead never
// comes back); an erased source record read again does, and validate
// suppresses it.
func (k *Keyring) cipherFor(subject string) (cipher.AEAD, error) {
	if aead, held, err := k.heldCipher(subject); held || err != nil {
		return aead, err
	}
	k.mu.RLock()
	_, gone := k.erased[subject]
	k.mu.RUnlock()
	if gone && strings.HasPrefix(subject, pipeline.LeadSubject("")) {
		return nil, pipeline.ErrErased
	}
	var key [keySize]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, fmt.Errorf("keyring: new key: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if made, ok := k.keys.get(subject); ok { // made meanwhile
		return k.ciphers.get(made)
	}
	rec, err := k.record(subject, key, "")
	if err != nil {
		return nil, err
	}
	delete(k.erased, subject)
	k.keys.put(subject, key, "")
	k.pending = append(k.pending, rec)
	return k.ciphers.get(key)
}

// heldCipher returns the cipher of subject's key when the keyring holds
// the key. The lookup and the cache are under one hold of mu, so that a
// deletion cannot come between them and leave the deleted key's cipher
// in the cache.
func (k *Keyring) heldCipher(subject string) (aead cipher.AEAD, held bool, err error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	key, ok := k.keys.get(subject)
	if !ok {
		return nil, false, nil
	}
	aead, err = k.ciphers.get(key)
	return aead, true, err
}

// deleteKey deletes subject's key from the table and from the cipher
// cache. Caller holds mu.
func (k *Keyring) deleteKey(subject string) (key [keySize]byte, ok bool) {
	if key, ok = k.keys.del(subject); ok {
		k.ciphers.drop(key)
	}
	return key, ok
}

// record is the topic record of subject's key, linked to lead ("" not
// known). Caller holds mu.
func (k *Keyring) record(subject string, key [keySize]byte, lead string) (*kgo.Record, error) {
	nonce := make([]byte, k.kek.NonceSize(), k.kek.NonceSize()+keySize+k.kek.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("keyring: nonce: %w", err)
	}
	v, err := json.Marshal(wireEntry{Key: k.kek.Seal(nonce, nonce, key[:], []byte(subject)), Lead: lead})
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return &kgo.Record{Topic: k.topic, Key: []byte(subject), Value: v}, nil
}

// Link implements pipeline.Sealer: the source record src belongs to lead
// leadID, whose erasure deletes its key too.
func (k *Keyring) Link(src, leadID string) {
	k.mu.RLock()
	i, ok := k.keys.find(src)
	same := ok && k.keys.linkedTo(i, leadID)
	k.mu.RUnlock()
	if !ok || same {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if i, ok = k.keys.find(src); !ok || k.keys.linkedTo(i, leadID) {
		return
	}
	k.keys.setLead(i, leadID)
	if rec, err := k.record(src, k.keys.slots[i].key, leadID); err == nil {
		k.pending = append(k.pending, rec)
	}
}

// Open implements pipeline.Sealer. A subject this process does not know
// is looked for on the topic up to its end first.
func (k *Keyring) Open(ctx context.Context, subject string, sealed, aad []byte) ([]byte, error) {
	aead, held, err := k.heldCipher(subject)
	if err != nil {
		return nil, err
	}
	if !held {
		// Erased, or made by another process and not read yet: the
		// topic's end tells (a source record read again after its
		// erasure gets a new key).
		if err := k.Sync(ctx); err != nil {
			return nil, err
		}
		if aead, held, err = k.heldCipher(subject); err != nil {
			return nil, err
		}
		k.mu.RLock()
		bad := k.unreadable[subject]
		k.mu.RUnlock()
		if !held && bad {
			return nil, fmt.Errorf("keyring: the key of %s does not open with this process's secret (every process of a deployment must share LEADSTREAM_SUPPRESSION_KEY)", subject)
		}
		if !held {
			return nil, pipeline.ErrErased
		}
	}
	n := aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("keyring: sealed data too short")
	}
	pt, err := aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("keyring: open %s: %w", subject, err)
	}
	return pt, nil
}

// Flush makes the keys made or relinked since the last Flush durable:
// when it returns, every key queued before the call is on the topic, also
// one that a concurrent Flush took (Flushes run one at a time).
func (k *Keyring) Flush(ctx context.Context) error {
	k.flushMu.Lock()
	defer k.flushMu.Unlock()
	k.mu.Lock()
	recs := k.pending
	k.pending = nil
	k.mu.Unlock()
	if len(recs) == 0 {
		return nil
	}
	if err := k.prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		k.mu.Lock()
		k.pending = append(recs, k.pending...)
		k.mu.Unlock()
		return fmt.Errorf("keyring: write %d keys: %w", len(recs), err)
	}
	return nil
}

// Forget deletes the keys of lead leadID, of every source record linked to
// it and of the extra subjects given, on the topic (tombstones) and here.
// It returns how many keys it deleted. Records sealed with them can no
// longer be opened, by any process, once it has read the tombstones.
func (k *Keyring) Forget(ctx context.Context, leadID string, extra ...string) (int, error) {
	k.mu.Lock()
	subjects := append([]string{pipeline.LeadSubject(leadID)}, extra...)
	subjects = append(subjects, k.keys.subjectsOf(leadID)...)
	recs := make([]*kgo.Record, 0, len(subjects))
	seen := map[string]bool{}
	for _, s := range subjects {
		if seen[s] {
			continue
		}
		seen[s] = true
		k.erased[s] = nil
		if key, ok := k.deleteKey(s); ok {
			k.erased[s] = key[:]
		}
		recs = append(recs, &kgo.Record{Topic: k.topic, Key: []byte(s)})
	}
	// A queued key of a forgotten subject is not written at all.
	k.pending = dropSubjects(k.pending, seen)
	k.deleted += len(recs)
	k.mu.Unlock()
	if err := k.prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return 0, fmt.Errorf("keyring: delete the keys of %s: %w", leadID, err)
	}
	return len(recs), nil
}

func dropSubjects(recs []*kgo.Record, subjects map[string]bool) []*kgo.Record {
	out := recs[:0]
	for _, r := range recs {
		if !subjects[string(r.Key)] {
			out = append(out, r)
		}
	}
	return out
}

// Shred deletes the key of one subject (a source record validate
// suppressed as erased); the tombstone is written by the next Flush.
func (k *Keyring) Shred(subject string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	key, ok := k.deleteKey(subject)
	if !ok {
		return
	}
	k.erased[subject] = key[:]
	k.deleted++
	k.pending = dropSubjects(k.pending, map[string]bool{subject: true})
	k.pending = append(k.pending, &kgo.Record{Topic: k.topic, Key: []byte(subject)})
}

// Deleted is how many keys this process has deleted.
func (k *Keyring) Deleted() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.deleted
}

// Has reports whether the keyring holds subject's key.
func (k *Keyring) Has(subject string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	_, ok := k.keys.find(subject)
	return ok
}

// Len is the number of keys held.
func (k *Keyring) Len() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys.len()
}

// apply takes one record of the topic into the keyring.
func (k *Keyring) apply(r *kgo.Record) {
	subject := string(r.Key)
	k.mu.Lock()
	defer k.mu.Unlock()
	if r.Value == nil {
		if key, ok := k.deleteKey(subject); ok {
			k.erased[subject] = key[:]
		} else if _, ok := k.erased[subject]; !ok {
			k.erased[subject] = nil
		}
		return
	}
	var w wireEntry
	if err := json.Unmarshal(r.Value, &w); err != nil {
		k.log.Warn("keyring: skipping an unreadable key record", "partition", r.Partition, "offset", r.Offset, "err", err)
		return
	}
	n := k.kek.NonceSize()
	if len(w.Key) < n {
		k.log.Warn("keyring: skipping a short key record", "partition", r.Partition, "offset", r.Offset)
		return
	}
	var opened []byte
	var err error
	for _, kek := range k.keks {
		if opened, err = kek.Open(nil, w.Key[:n], w.Key[n:], r.Key); err == nil {
			break
		}
	}
	if err == nil && len(opened) != keySize {
		err = fmt.Errorf("a key of %d bytes", len(opened))
	}
	if err != nil {
		if len(k.unreadable) == 0 {
			k.log.Error("keyring: a key record does not open with this process's secret: records sealed with it will be dead-lettered (every process of a deployment must share LEADSTREAM_SUPPRESSION_KEY)",
				"partition", r.Partition, "offset", r.Offset)
		}
		k.unreadable[subject] = true
		return
	}
	delete(k.unreadable, subject)
	key := [keySize]byte(opened)
	if i, ok := k.keys.find(subject); ok && k.keys.slots[i].key == key {
		if w.Lead != "" { // an older record without the link does not undo it
			k.keys.setLead(i, w.Lead)
		}
		return
	}
	if old, ok := k.erased[subject]; ok && old != nil && string(old) == string(opened) {
		return // a late copy of a deleted key
	}
	delete(k.erased, subject)
	k.keys.put(subject, key, w.Lead)
}

// Follow reads the topic from its start into the keyring, in the
// background until ctx ends. Ready is closed once the keys the topic held
// at the call are in.
func (k *Keyring) Follow(ctx context.Context, brokers []string, extra ...kgo.Opt) error {
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, extra...),
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(k.topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(250*time.Millisecond),
	)...)
	if err != nil {
		return fmt.Errorf("keyring: client: %w", err)
	}
	k.fmu.Lock()
	k.adm = kadm.NewClient(cl)
	k.ready = make(chan struct{})
	k.fmu.Unlock()
	ready := k.ready
	go func() {
		defer cl.Close()
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachError(func(t string, p int32, err error) {
				if !errors.Is(err, context.Canceled) {
					k.log.Warn("keyring fetch error", "topic", t, "partition", p, "err", err)
				}
			})
			fs.EachRecord(k.apply)
			k.fmu.Lock()
			fs.EachPartition(func(p kgo.FetchTopicPartition) {
				if n := len(p.Records); n > 0 {
					k.next[p.Partition] = p.Records[n-1].Offset + 1
				}
			})
			close(k.advanced)
			k.advanced = make(chan struct{})
			k.fmu.Unlock()
		}
	}()
	go func() {
		// A real broker may not list a topic created a moment ago: Sync is
		// tried again until it can tell, or ctx ends.
		for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
			err := k.Sync(ctx)
			if err == nil {
				close(ready)
				return
			}
			if ctx.Err() != nil {
				return
			}
			k.log.Warn("keyring: cannot tell yet whether every key is read", "topic", k.topic, "err", err)
			if ctxtime.Sleep(ctx, wait) != nil {
				return
			}
		}
	}()
	return nil
}

// Ready is closed once Follow has read the keys the topic held when it
// began (at once for a keyring that follows nothing).
func (k *Keyring) Ready() <-chan struct{} {
	k.fmu.Lock()
	defer k.fmu.Unlock()
	return k.ready
}

// Sync waits until the keyring has read the topic up to the end offsets
// it has now (at once for a keyring that follows nothing).
func (k *Keyring) Sync(ctx context.Context) error {
	k.fmu.Lock()
	adm := k.adm
	k.fmu.Unlock()
	if adm == nil {
		return nil
	}
	ends, err := pipeline.EndOffsets(ctx, adm, k.topic)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	for {
		k.fmu.Lock()
		behind := false
		ends.Each(func(o kadm.ListedOffset) {
			if o.Offset > 0 && k.next[o.Partition] < o.Offset {
				behind = true
			}
		})
		wait := k.advanced
		k.fmu.Unlock()
		if !behind {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wait:
		}
	}
}

// Erased reports whether subject's key was deleted (as far as this
// process has seen).
func (k *Keyring) Erased(subject string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	_, ok := k.erased[subject]
	return ok
}
