package match

import "math"

// Pair is an unlabelled record pair for parameter estimation, as blocking
// yields them (an incoming record and one candidate).
type Pair struct {
	A, B        Record
	PhoneShared bool
}

// EstimateFS estimates the m and u probabilities of every comparison level
// and the prior match odds from unlabelled candidate pairs by expectation
// maximisation, the way Splink does. start supplies the level structure
// and the initial values; Swap is kept. Each level count gets a small
// additive smoothing so that no probability becomes 0.
func EstimateFS(pairs []Pair, start FSParams, iterations int) FSParams {
	vecs := make([]fsVector, len(pairs))
	for i := range pairs {
		a, b := prepare(&pairs[i].A), prepare(&pairs[i].B)
		vecs[i] = compareFS(&a, &b, pairs[i].PhoneShared)
	}
	return estimate(vecs, start, iterations)
}

func estimate(vecs []fsVector, start FSParams, iterations int) FSParams {
	const smooth = 0.5
	cur := cloneFS(start)
	if len(vecs) == 0 {
		return cur
	}
	for range iterations {
		tables := cur.levels()
		var mCount, uCount [numCmp][]float64
		for c := range numCmp {
			mCount[c] = make([]float64, len(tables[c]))
			uCount[c] = make([]float64, len(tables[c]))
		}
		var matches float64
		for i := range vecs {
			v := &vecs[i]
			w, swapped := v.weight(&cur)
			p := posterior(w + cur.Prior)
			matches += p
			for c := range numCmp {
				l := v.lv[c]
				if swapped && c == cmpFirst {
					l = v.swapFirst
				}
				if swapped && c == cmpLast {
					l = v.swapLast
				}
				if l < 0 || int(l) >= len(mCount[c]) {
					continue
				}
				mCount[c][l] += p
				uCount[c][l] += 1 - p
			}
		}
		for c := range numCmp {
			norm := func(n []float64, dst []Level, m bool) {
				var sum float64
				for _, x := range n {
					sum += x + smooth
				}
				for l := range dst {
					if m {
						dst[l].M = (n[l] + smooth) / sum
					} else {
						dst[l].U = (n[l] + smooth) / sum
					}
				}
			}
			norm(mCount[c], tables[c], true)
			norm(uCount[c], tables[c], false)
		}
		lambda := min(max(matches/float64(len(vecs)), 1e-6), 1-1e-6)
		cur.Prior = math.Log2(lambda / (1 - lambda))
	}
	return cur
}

func cloneFS(p FSParams) FSParams {
	c := p
	cl := func(l []Level) []Level { return append([]Level(nil), l...) }
	c.Email, c.First, c.Last, c.Phone, c.Company = cl(p.Email), cl(p.First), cl(p.Last), cl(p.Phone), cl(p.Company)
	c.Street, c.Number, c.Postcode, c.City, c.State = cl(p.Street), cl(p.Number), cl(p.Postcode), cl(p.City), cl(p.State)
	return c
}
