// Package evaluate scores a predicted clustering of records against
// labelled ground truth with pairwise precision, recall and F1, the way the
// datasets' README defines them: records with no predicted label are
// singletons, and pairs are counted from cluster sizes.
package evaluate

// Scores are pairwise counts and ratios.
type Scores struct {
	Records        int     `json:"records"`
	TruePairs      int64   `json:"true_pairs"`
	PredictedPairs int64   `json:"predicted_pairs"`
	TruePositives  int64   `json:"true_positives"`
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
	F1             float64 `json:"f1"`
}

func pairs(n int) int64 { return int64(n) * int64(n-1) / 2 }

// Pairwise scores predicted (record id → cluster label) against truth
// (record id → entity id). Only records in truth count.
func Pairwise(truth, predicted map[string]string) Scores {
	s := Scores{Records: len(truth)}
	entities := map[string]int{}
	clusters := map[string]int{}
	both := map[[2]string]int{}
	for id, entity := range truth {
		label, ok := predicted[id]
		if !ok || label == "" {
			label = "\x00singleton:" + id
		}
		entities[entity]++
		clusters[label]++
		both[[2]string{label, entity}]++
	}
	for _, n := range entities {
		s.TruePairs += pairs(n)
	}
	for _, n := range clusters {
		s.PredictedPairs += pairs(n)
	}
	for _, n := range both {
		s.TruePositives += pairs(n)
	}
	if s.PredictedPairs > 0 {
		s.Precision = float64(s.TruePositives) / float64(s.PredictedPairs)
	}
	if s.TruePairs > 0 {
		s.Recall = float64(s.TruePositives) / float64(s.TruePairs)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}
