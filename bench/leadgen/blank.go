package leadgen

import (
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
)

// Blank copies a generated file from r to w with the e-mail of a share of
// the entities blanked in every one of their rows, and likewise (chosen
// independently) the phone: the input of an enrichment test, whose
// providers know the original file. The choice is a hash of the entity id
// and seed, so it is reproducible.
func Blank(r io.Reader, w io.Writer, emailShare, phoneShare float64, seed uint64) error {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("leadgen blank: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	ent, eok := col["entity_id"]
	em, mok := col["email"]
	ph, pok := col["phone"]
	if !eok || !mok || !pok {
		return errors.New("leadgen blank: the file needs entity_id, email and phone columns")
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("leadgen blank: %w", err)
		}
		if pick(rec[ent], seed, "email") < emailShare {
			rec[em] = ""
		}
		if pick(rec[ent], seed, "phone") < phoneShare {
			rec[ph] = ""
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// pick maps an entity to [0,1) for one attribute.
func pick(entity string, seed uint64, attr string) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%s|%s", seed, attr, entity)
	return float64(h.Sum64()>>11) / float64(1<<53)
}
