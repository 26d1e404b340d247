package lead

import "testing"

func TestFit(t *testing.T) {
	tests := []struct {
		name string
		in   FitInput
		want int
	}{
		{"ideal", FitInput{Seniority: "C-Suite", EmployeeRange: "51-200", Industry: "Healthcare", Technologies: []string{"Microsoft 365", "Cisco"}, Country: "GB"}, 100},
		{"nothing known", FitInput{}, 30},
		{"director, mid-size, other industry, one target tech, US", FitInput{Seniority: "Director", EmployeeRange: "201-1000", Industry: "Retail", Technologies: []string{"Salesforce", "Zendesk"}, Country: "US"}, 67},
		{"individual contributor at a micro firm far away", FitInput{Seniority: "Individual Contributor", EmployeeRange: "1-10", Industry: "Mining", Technologies: []string{"Zendesk"}, Country: "BR"}, 19},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fit(tt.in); got != tt.want {
				t.Errorf("Fit = %d, want %d", got, tt.want)
			}
		})
	}
	for fit, want := range map[int]string{81: "hot", 80: "warm", 60: "warm", 59: "cold"} {
		if got := FitBucket(fit); got != want {
			t.Errorf("FitBucket(%d) = %s, want %s", fit, got, want)
		}
	}
}
