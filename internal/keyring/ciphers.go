package keyring

import (
	"crypto/cipher"
	"sync"
)

// cipherCapacity is how many ciphers a cipherCache keeps: about 1 KiB
// each, so 4 MiB.
const cipherCapacity = 4096

// cipherCache keeps the AES-GCM ciphers of the keys used last. A record is
// sealed by one stage and opened by the next moments later, and a lead's
// key serves every topic after dedupe: made per use, each cipher (an AES
// key schedule and a GCM table) was a tenth of all that a `leadstream
// run` allocated (bench/README.md, stop 22). It holds at most its
// capacity, the oldest going first, and drops a key the keyring deletes
// at once. A cipher is safe for concurrent use.
type cipherCache struct {
	mu    sync.Mutex
	byKey map[[keySize]byte]cipher.AEAD
	order [][keySize]byte // keys in the order they came; a dropped key zeroed
	next  int             // the oldest, once order is full
}

func newCipherCache(capacity int) *cipherCache {
	return &cipherCache{byKey: make(map[[keySize]byte]cipher.AEAD, capacity), order: make([][keySize]byte, 0, capacity)}
}

// get returns key's cipher, made on first use.
func (c *cipherCache) get(key [keySize]byte) (cipher.AEAD, error) {
	c.mu.Lock()
	a, ok := c.byKey[key]
	c.mu.Unlock()
	if ok {
		return a, nil
	}
	a, err := newAEAD(key[:])
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return a, nil // made meanwhile
	}
	if len(c.order) < cap(c.order) {
		c.order = append(c.order, key)
	} else {
		delete(c.byKey, c.order[c.next])
		c.order[c.next] = key
		c.next = (c.next + 1) % len(c.order)
	}
	c.byKey[key] = a
	return a, nil
}

// drop forgets key's cipher and every copy of the key it holds.
func (c *cipherCache) drop(key [keySize]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; !ok {
		return
	}
	delete(c.byKey, key)
	for i := range c.order {
		if c.order[i] == key {
			c.order[i] = [keySize]byte{}
		}
	}
}

// len is the number of ciphers held.
func (c *cipherCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byKey)
}
