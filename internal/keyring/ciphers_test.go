package keyring

import "testing"

func TestCipherCache(t *testing.T) {
	key := func(b byte) (k [keySize]byte) {
		for i := range k {
			k[i] = b
		}
		return k
	}
	tests := []struct {
		name string
		gets []byte // keys got, in order
		drop []byte // then dropped
		want []byte // cached at the end
	}{
		{"under capacity", []byte{1, 2}, nil, []byte{1, 2}},
		{"a key twice is one cipher", []byte{1, 1, 2}, nil, []byte{1, 2}},
		{"the oldest goes first", []byte{1, 2, 3, 4}, nil, []byte{2, 3, 4}},
		{"and then the next", []byte{1, 2, 3, 4, 5}, nil, []byte{3, 4, 5}},
		{"dropped", []byte{1, 2, 3}, []byte{2}, []byte{1, 3}},
		{"dropped, then full again", []byte{1, 2, 3}, []byte{1}, []byte{2, 3}},
		{"dropping an unknown key", []byte{1}, []byte{9}, []byte{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCipherCache(3)
			for _, b := range tc.gets {
				a, err := c.get(key(b))
				if err != nil {
					t.Fatal(err)
				}
				if again, _ := c.get(key(b)); again != a {
					t.Fatalf("key %d: a second cipher", b)
				}
			}
			for _, b := range tc.drop {
				c.drop(key(b))
				for _, k := range c.order {
					if k == key(b) {
						t.Fatalf("key %d still held after drop", b)
					}
				}
			}
			if c.len() != len(tc.want) {
				t.Fatalf("%d cached, want %v", c.len(), tc.want)
			}
			for _, b := range tc.want {
				if _, ok := c.byKey[key(b)]; !ok {
					t.Fatalf("key %d not cached", b)
				}
			}
		})
	}
}
