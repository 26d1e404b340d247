package evaluate

import (
	"math"
	"testing"
)

func TestPairwise(t *testing.T) {
	truth := map[string]string{"a": "1", "b": "1", "c": "1", "d": "2", "e": "2", "f": "3"}
	tests := []struct {
		name                string
		predicted           map[string]string
		wantPred, wantTP    int64
		wantP, wantR, wantF float64
	}{
		{"perfect", map[string]string{"a": "x", "b": "x", "c": "x", "d": "y", "e": "y", "f": "z"}, 4, 4, 1, 1, 1},
		{"nothing merged", map[string]string{}, 0, 0, 0, 0, 0},
		{"one wrong merge", map[string]string{"a": "x", "b": "x", "c": "x", "d": "x"}, 6, 3, 0.5, 0.75, 0.6},
		{"partial recall", map[string]string{"a": "x", "b": "x", "d": "y", "e": "y"}, 2, 2, 1, 0.5, 2.0 / 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Pairwise(truth, tt.predicted)
			if s.TruePairs != 4 || s.PredictedPairs != tt.wantPred || s.TruePositives != tt.wantTP {
				t.Fatalf("pairs: true %d predicted %d tp %d", s.TruePairs, s.PredictedPairs, s.TruePositives)
			}
			for _, c := range []struct{ got, want float64 }{{s.Precision, tt.wantP}, {s.Recall, tt.wantR}, {s.F1, tt.wantF}} {
				if math.Abs(c.got-c.want) > 1e-9 {
					t.Errorf("got %+v", s)
				}
			}
		})
	}
}
