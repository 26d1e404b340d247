package evaluate

import (
	"math"
	"testing"
)

func TestBCubed(t *testing.T) {
	truth := map[string]string{"a": "1", "b": "1", "c": "1", "d": "2", "e": "2", "f": "3"}
	tests := []struct {
		name         string
		predicted    map[string]string
		wantP, wantR float64
	}{
		{"perfect", map[string]string{"a": "x", "b": "x", "c": "x", "d": "y", "e": "y", "f": "z"}, 1, 1},
		// Every record alone: precision 1; recall 1/3 ×3, 1/2 ×2, 1.
		{"nothing merged", map[string]string{}, 1, (1.0/3*3 + 0.5*2 + 1) / 6},
		// a–d together: a, b, c have 3/4 precision, d 1/4; d's recall is 1/2.
		{"one wrong merge", map[string]string{"a": "x", "b": "x", "c": "x", "d": "x"}, (0.75*3 + 0.25 + 1 + 1) / 6, (1.0*3 + 0.5 + 0.5 + 1) / 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := BCubedScores(truth, tt.predicted)
			if math.Abs(s.Precision-tt.wantP) > 1e-9 || math.Abs(s.Recall-tt.wantR) > 1e-9 {
				t.Errorf("got %+v, want precision %v recall %v", s, tt.wantP, tt.wantR)
			}
			if f := 2 * s.Precision * s.Recall / (s.Precision + s.Recall); math.Abs(s.F1-f) > 1e-9 {
				t.Errorf("F1 %v, want %v", s.F1, f)
			}
		})
	}
}
