package lead

import "testing"

func TestSeniority(t *testing.T) {
	tests := []struct{ source, provider, title, want string }{
		{"", "", "Chief Executive Officer", SeniorityCSuite},
		{"", "", "CEO & Co-Founder", SeniorityCSuite},
		{"", "", "Managing Director", SeniorityCSuite},
		{"", "", "Owner", SeniorityCSuite},
		{"", "", "SVP, Sales", SenioritySVP},
		{"", "", "Executive Vice President - Operations", SenioritySVP},
		{"", "", "Senior VP Marketing", SenioritySVP},
		{"", "", "VP of Engineering", SeniorityVP},
		{"", "", "Vice-President, Finance", SeniorityVP},
		{"", "", "Director of IT", SeniorityDirector},
		{"", "", "Head of People", SeniorityDirector},
		{"", "", "IT Manager", SeniorityManager},
		{"", "", "Sr. Mgr, Procurement", SeniorityManager},
		{"", "", "Team Lead - Support", SeniorityManager},
		{"", "", "Software Engineer", SeniorityIndividual},
		{"", "", "Executive Assistant to the CEO", SeniorityIndividual},
		{"", "", "Assistant to the Director", SeniorityIndividual},
		{"", "", "PA to Managing Director", SeniorityIndividual},
		{"", "", "Directory Services Engineer", SeniorityIndividual},
		{"", "", "", ""},
		{"apollo", "c_suite", "Engineer", SeniorityCSuite},
		{"apollo", "entry", "Director", SeniorityIndividual},
		{"zoominfo", "VP-Level", "", SeniorityVP},
		{"seamless", "Mid-Level", "Head of Sales", SeniorityIndividual},
		{"uplead", "D", "", SeniorityDirector},
		{"lusha", "executive", "Sales Manager", SeniorityManager},
		{"hunter", "executive", "", ""},
	}
	for _, tt := range tests {
		if got := Seniority(tt.source, tt.provider, tt.title); got != tt.want {
			t.Errorf("Seniority(%q, %q, %q) = %q, want %q", tt.source, tt.provider, tt.title, got, tt.want)
		}
	}
}

func TestDepartment(t *testing.T) {
	tests := []struct{ provider, title, want string }{
		{"", "IT Procurement Manager", DeptProcurement},
		{"", "Sales Operations", DeptSales},
		{"", "General Counsel", DeptLegal},
		{"", "CFO", DeptFinance},
		{"", "Head of Talent Acquisition", DeptHR},
		{"", "HR Business Partner", DeptHR},
		{"", "Brand Manager", DeptMarketing},
		{"", "Account Executive", DeptSales},
		{"", "Senior Software Engineer", DeptIT},
		{"", "CTO", DeptIT},
		{"", "COO", DeptOperations},
		{"", "Chief Operating Officer", ""}, // "operating" is not a keyword
		{"", "Logistics Coordinator", DeptOperations},
		{"", "Chief Executive Officer", ""},
		{"", "Unit Manager", ""},
		{"Finance", "Director", DeptFinance},
		{"Engineering", "Head of Legal", DeptIT},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := Department(tt.provider, tt.title); got != tt.want {
			t.Errorf("Department(%q, %q) = %q, want %q", tt.provider, tt.title, got, tt.want)
		}
	}
}

func TestTitleDerivable(t *testing.T) {
	for title, want := range map[string]bool{
		"Director": true, "Software Engineer": true, "Consultant": false, "Associate": false, "": false,
	} {
		if got := TitleDerivable(title); got != want {
			t.Errorf("TitleDerivable(%q) = %v, want %v", title, got, want)
		}
	}
}
