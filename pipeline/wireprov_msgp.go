package pipeline

import (
	"errors"
	"slices"

	"github.com/tinylib/msgp/msgp"

	"github.com/leadstream/leadstream/internal/lead"
)

// The MessagePack codec of wireProvenance, by hand rather than generated:
// it writes the lead's provenance map as version 2's layout
//
//	{"o": [{"s": source, "r": record id, "t": time}, …],
//	 "a": {attribute: [{"v": value, "o": origin, "c": confidence, "x": selected}, …], …}}
//
// (empty strings, zero numbers and false left out) straight from
// lead.Observation, and reads it back straight into them: packing into
// and unpacking from the intermediate form was half the envelope codec's
// CPU.

var errProvOrder = errors.New("provenance: attributes before their origins")

// keep reports whether observation o is written.
func (w *wireProvenance) keep(o *lead.Observation) bool { return !w.current || o.Selected }

// MarshalMsg implements msgp.Marshaler.
func (w *wireProvenance) MarshalMsg(b []byte) ([]byte, error) {
	src := w.src
	if src == nil && w.Attrs != nil {
		p, err := w.unpack()
		if err != nil {
			return b, err
		}
		src = p
	}
	attrs := make([]string, 0, len(src))
	n := 0
	for a, hist := range src {
		k := 0
		for i := range hist {
			if w.keep(&hist[i]) {
				k++
			}
		}
		if k > 0 {
			attrs = append(attrs, a)
			n += k
		}
	}
	slices.Sort(attrs) // origins numbered in a stable order
	var origins []wireOrigin
	var index map[wireOrigin]int
	num := make([]int, 0, n)
	for _, a := range attrs {
		for i := range src[a] {
			if o := &src[a][i]; w.keep(o) {
				num = append(num, originNumber(&origins, &index, wireOrigin{Source: o.Source, RecordID: o.SourceRecordID, At: o.ObservedAt}))
			}
		}
	}
	b = msgp.AppendMapHeader(b, 2)
	b = msgp.AppendString(b, "o")
	b = msgp.AppendArrayHeader(b, uint32(len(origins)))
	for _, g := range origins {
		fields := uint32(1)
		if g.Source != "" {
			fields++
		}
		if g.RecordID != "" {
			fields++
		}
		b = msgp.AppendMapHeader(b, fields)
		if g.Source != "" {
			b = msgp.AppendString(b, "s")
			b = msgp.AppendString(b, g.Source)
		}
		if g.RecordID != "" {
			b = msgp.AppendString(b, "r")
			b = msgp.AppendString(b, g.RecordID)
		}
		b = msgp.AppendString(b, "t")
		b = msgp.AppendTime(b, g.At)
	}
	b = msgp.AppendString(b, "a")
	b = msgp.AppendMapHeader(b, uint32(len(attrs)))
	j := 0
	for _, a := range attrs {
		hist := src[a]
		k := 0
		for i := range hist {
			if w.keep(&hist[i]) {
				k++
			}
		}
		b = msgp.AppendString(b, a)
		b = msgp.AppendArrayHeader(b, uint32(k))
		for i := range hist {
			o := &hist[i]
			if !w.keep(o) {
				continue
			}
			g := num[j]
			j++
			fields := uint32(1)
			if g != 0 {
				fields++
			}
			if o.Confidence != 0 {
				fields++
			}
			if o.Selected {
				fields++
			}
			b = msgp.AppendMapHeader(b, fields)
			b = msgp.AppendString(b, "v")
			b = msgp.AppendString(b, o.Value)
			if g != 0 {
				b = msgp.AppendString(b, "o")
				b = msgp.AppendInt(b, g)
			}
			if o.Confidence != 0 {
				b = msgp.AppendString(b, "c")
				b = msgp.AppendInt(b, o.Confidence)
			}
			if o.Selected {
				b = msgp.AppendString(b, "x")
				b = msgp.AppendBool(b, true)
			}
		}
	}
	return b, nil
}

// originNumber returns the number of origin k in *origins, adding it if
// new: found by a scan while there are few (a record has one, a merged
// lead a handful), by a map beyond.
func originNumber(origins *[]wireOrigin, index *map[wireOrigin]int, k wireOrigin) int {
	const scan = 16
	if *index == nil {
		for i := range *origins {
			if (*origins)[i] == k {
				return i
			}
		}
		*origins = append(*origins, k)
		if len(*origins) > scan {
			*index = make(map[wireOrigin]int, 2*len(*origins))
			for i, o := range *origins {
				if _, dup := (*index)[o]; !dup {
					(*index)[o] = i
				}
			}
		}
		return len(*origins) - 1
	}
	if i, ok := (*index)[k]; ok {
		return i
	}
	*origins = append(*origins, k)
	(*index)[k] = len(*origins) - 1
	return len(*origins) - 1
}

// UnmarshalMsg implements msgp.Unmarshaler: the provenance goes to w.dec.
func (w *wireProvenance) UnmarshalMsg(bts []byte) ([]byte, error) {
	n, bts, err := msgp.ReadMapHeaderBytes(bts)
	if err != nil {
		return bts, msgp.WrapError(err, "Prov")
	}
	var origins []wireOrigin
	for ; n > 0; n-- {
		var key []byte
		if key, bts, err = msgp.ReadMapKeyZC(bts); err != nil {
			return bts, msgp.WrapError(err, "Prov")
		}
		switch msgp.UnsafeString(key) {
		case "o":
			if origins, bts, err = readOrigins(bts); err != nil {
				return bts, msgp.WrapError(err, "Prov", "o")
			}
		case "a":
			if w.dec, bts, err = readAttrs(bts, origins); err != nil {
				return bts, msgp.WrapError(err, "Prov", "a")
			}
		default:
			if bts, err = msgp.Skip(bts); err != nil {
				return bts, msgp.WrapError(err, "Prov")
			}
		}
	}
	return bts, nil
}

func readOrigins(bts []byte) ([]wireOrigin, []byte, error) {
	n, bts, err := msgp.ReadArrayHeaderBytes(bts)
	if err != nil {
		return nil, bts, err
	}
	if uint64(n) > uint64(len(bts)) {
		return nil, bts, msgp.ErrShortBytes
	}
	origins := make([]wireOrigin, n)
	for i := range origins {
		g := &origins[i]
		var fields uint32
		if fields, bts, err = msgp.ReadMapHeaderBytes(bts); err != nil {
			return nil, bts, err
		}
		for ; fields > 0; fields-- {
			var key []byte
			if key, bts, err = msgp.ReadMapKeyZC(bts); err != nil {
				return nil, bts, err
			}
			switch msgp.UnsafeString(key) {
			case "s":
				g.Source, bts, err = msgp.ReadStringBytes(bts)
			case "r":
				g.RecordID, bts, err = msgp.ReadStringBytes(bts)
			case "t":
				g.At, bts, err = msgp.ReadTimeUTCBytes(bts)
			default:
				bts, err = msgp.Skip(bts)
			}
			if err != nil {
				return nil, bts, err
			}
		}
	}
	return origins, bts, nil
}

func readAttrs(bts []byte, origins []wireOrigin) (map[string][]lead.Observation, []byte, error) {
	n, bts, err := msgp.ReadMapHeaderBytes(bts)
	if err != nil {
		return nil, bts, err
	}
	if uint64(n) > uint64(len(bts)) {
		return nil, bts, msgp.ErrShortBytes
	}
	if n > 0 && origins == nil {
		return nil, bts, errProvOrder
	}
	p := make(map[string][]lead.Observation, n)
	for ; n > 0; n-- {
		var attr string
		if attr, bts, err = msgp.ReadStringBytes(bts); err != nil {
			return nil, bts, err
		}
		var k uint32
		if k, bts, err = msgp.ReadArrayHeaderBytes(bts); err != nil {
			return nil, bts, err
		}
		if uint64(k) > uint64(len(bts)) {
			return nil, bts, msgp.ErrShortBytes
		}
		hist := make([]lead.Observation, k)
		for i := range hist {
			o := &hist[i]
			var fields uint32
			if fields, bts, err = msgp.ReadMapHeaderBytes(bts); err != nil {
				return nil, bts, err
			}
			g := 0
			for ; fields > 0; fields-- {
				var key []byte
				if key, bts, err = msgp.ReadMapKeyZC(bts); err != nil {
					return nil, bts, err
				}
				switch msgp.UnsafeString(key) {
				case "v":
					o.Value, bts, err = msgp.ReadStringBytes(bts)
				case "o":
					g, bts, err = msgp.ReadIntBytes(bts)
				case "c":
					o.Confidence, bts, err = msgp.ReadIntBytes(bts)
				case "x":
					o.Selected, bts, err = msgp.ReadBoolBytes(bts)
				default:
					bts, err = msgp.Skip(bts)
				}
				if err != nil {
					return nil, bts, err
				}
			}
			if g < 0 || g >= len(origins) {
				return nil, bts, errors.New("provenance: origin out of range")
			}
			o.Source, o.SourceRecordID, o.ObservedAt = origins[g].Source, origins[g].RecordID, origins[g].At
		}
		p[attr] = hist
	}
	return p, bts, nil
}

// Msgsize implements msgp.Sizer: an upper bound of MarshalMsg's bytes.
func (w *wireProvenance) Msgsize() int {
	s := 16
	for a, hist := range w.src {
		s += msgp.StringPrefixSize + len(a) + msgp.ArrayHeaderSize
		for i := range hist {
			o := &hist[i]
			s += 32 + len(o.Value) + len(o.Source) + len(o.SourceRecordID) + msgp.TimeSize + 2*msgp.IntSize
		}
	}
	return s
}
