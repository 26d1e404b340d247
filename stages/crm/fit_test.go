package crm

import (
	"reflect"
	"testing"

	"github.com/leadstream/leadstream/internal/lead"
)

func TestFitFromTicket(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]string
		want   lead.FitInput
	}{
		{"all written by the sink", map[string]string{"CF_109": "Director", "CF_108": "51-200", "CF_102": "Healthcare | clinics, imaging",
			"CF_106": "Cisco, Microsoft 365", "CF_113": "1 Main Street, Springfield, IL 62701, United States"},
			lead.FitInput{Seniority: "Director", EmployeeRange: "51-200", Industry: "Healthcare", Technologies: []string{"Cisco", "Microsoft 365"}, Country: "US"}},
		{"empty ticket", map[string]string{}, lead.FitInput{}},
		{"unknown country", map[string]string{"CF_113": "Somewhere, Atlantis"}, lead.FitInput{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fitFromTicket(tt.fields); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fitFromTicket = %+v, want %+v", got, tt.want)
			}
		})
	}
}
