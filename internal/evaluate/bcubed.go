package evaluate

// BCubed are B-cubed precision, recall and F1 (Bagga and Baldwin): per
// record, the share of its predicted cluster that is in its true entity
// (precision) and the share of its true entity that is in its predicted
// cluster (recall), averaged over records. Unlike pairwise scores they
// weigh every record alike, so one huge entity does not dominate.
type BCubed struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// BCubedScores scores predicted (record id → cluster label) against truth
// (record id → entity id); records with no label are singletons and only
// records in truth count.
func BCubedScores(truth, predicted map[string]string) BCubed {
	var s BCubed
	if len(truth) == 0 {
		return s
	}
	entities := map[string]int{}
	clusters := map[string]int{}
	both := map[[2]string]int{}
	labels := make(map[string]string, len(truth))
	for id, entity := range truth {
		label, ok := predicted[id]
		if !ok || label == "" {
			label = "\x00singleton:" + id
		}
		labels[id] = label
		entities[entity]++
		clusters[label]++
		both[[2]string{label, entity}]++
	}
	// Each record of a (cluster, entity) cell contributes cell/cluster and
	// cell/entity; summing per cell is the same as per record.
	for cell, n := range both {
		s.Precision += float64(n) * float64(n) / float64(clusters[cell[0]])
		s.Recall += float64(n) * float64(n) / float64(entities[cell[1]])
	}
	s.Precision /= float64(len(truth))
	s.Recall /= float64(len(truth))
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}
