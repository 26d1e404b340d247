package providers

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadstream/leadstream/pipeline"
)

// readAll drains a source into good rows and malformed rows.
func readAll(t *testing.T, src pipeline.RowSource) (good []pipeline.SourceRow, bad []pipeline.SourceRow) {
	t.Helper()
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			return good, bad
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if row.Err != nil {
			bad = append(bad, row)
			continue
		}
		good = append(good, row)
	}
}

func TestDetectSamples(t *testing.T) {
	set, err := DefaultSet()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		want string // "" means refused
		msg  string // part of the refusal
	}{
		{"apollo.csv", Apollo, ""},
		{"apollo.json", Apollo, ""},
		{"zoominfo.csv", ZoomInfo, ""},
		{"zoominfo.json", ZoomInfo, ""},
		{"seamless.csv", Seamless, ""},
		{"hunter.json", Hunter, ""},
		{"lusha.jsonl", Lusha, ""},
		{"rocketreach.json", RocketReach, ""},
		{"lead411.json", Lead411, ""},
		{"uplead.csv", UpLead, ""},
		// BookYourData and LeadsBlue share one assumed layout.
		{"bookyourdata.csv", "", "matches both bookyourdata and leadsblue"},
		{"leadsblue.csv", "", "matches both bookyourdata and leadsblue"},
		{"leadsblue.xlsx", "", "pass --provider"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, got, err := set.Opener(filepath.Join("testdata", tt.file), "", Options{})
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("Opener = %q, %v; want a refusal containing %q", got, err, tt.msg)
				}
				if !strings.Contains(err.Error(), tt.file) {
					t.Errorf("error %q does not name the file", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Opener = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestDetectHeaders(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		want   string
		msg    string
	}{
		{"apollo 2024 layout", []string{"First Name", "Last Name", "Title", "Company", "Email", "Apollo Contact Id"}, Apollo, ""},
		{"zoominfo case and spaces", []string{"zoominfo  contact id", "FIRST NAME"}, ZoomInfo, ""},
		{"seamless variant", []string{"First Name", "Email 1 Total AI", "ContactPhone1"}, Seamless, ""},
		{"lead411 flattened json", []string{"employee_id", "json_meta.employee_meta.employee_name"}, Lead411, ""},
		{"uplead api names", []string{"first_name", "last_name", "mobile_directdial"}, UpLead, ""},
		{"rocketreach", []string{"name", "current_employer", "current_title"}, RocketReach, ""},
		{"lusha v2 arrays", []string{"contact.data.phoneNumbers.0.phoneType", "contact.data.firstName"}, Lusha, ""},
		{"hunter", []string{"value", "verification.status"}, Hunter, ""},
		{"bom on first name", []string{"\ufeffApollo Contact Id", "Email"}, Apollo, ""},
		{"two providers' markers", []string{"Apollo Contact Id", "ZoomInfo Contact ID", "Email"}, "", "apollo and zoominfo; pass --provider"},
		{"generic list", []string{"Full Name", "Email", "Company", "Website", "City", "Country"}, "", "matches both bookyourdata and leadsblue"},
		{"unknown", []string{"foo", "bar", "baz"}, "", "no provider's header signature matches"},
		{"too few generic columns", []string{"Email", "Name"}, "", "pass --provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(tt.header)
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("Detect = %q, %v; want error containing %q", got, err, tt.msg)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Detect = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestSampleMapping checks that each provider's sample maps to the
// expected canonical fields (first good row), how many rows are good and
// malformed, and that unknown columns survive.
func TestSampleMapping(t *testing.T) {
	tests := []struct {
		file, provider string
		good, bad      int
		first          map[string]string
		kept           map[string]string // unmapped raw fields carried over
	}{
		{
			file: "apollo.csv", good: 4, bad: 1,
			first: map[string]string{
				"record_id": "64a7ff0cc4dfae00013df1a5", "first_name": "Jane", "last_name": "Doe", "title": "Founder & CEO",
				"company": "Example Co", "email": "jane@example.com", "email_status": "Verified", "seniority": "Founder",
				"department": "C-Suite, Engineering & Technical", "phone": "+1 415-555-0100", "mobile_phone": "+1 415-555-0199",
				"company_phone": "+1 415-555-0000", "employee_count": "1600", "industry": "computer software",
				"linkedin_url": "http://www.linkedin.com/in/janedoe", "website": "http://www.example.com",
				"city": "San Francisco", "state": "California", "country": "United States",
				"hq_street": "1 Market St, San Francisco, California, United States, 94105", "hq_city": "San Francisco",
				"technologies": "Salesforce, Slack, AWS", "revenue": "100000000",
			},
			kept: map[string]string{"keywords": "saas, crm", "secondary email": "jane.doe@gmail.com", "company name for emails": "Example"},
		},
		{
			file: "apollo.json", good: 2, bad: 1,
			first: map[string]string{
				"record_id": "64a7ff0cc4dfae00013df1a5", "first_name": "Jane", "full_name": "Jane Doe", "email_status": "verified",
				"department": "c_suite, master_engineering_technical", "phone": "+14155550100", "mobile_phone": "+14155550199",
				"company": "Example Co", "domain": "example.com", "employee_count": "1600", "revenue": "100000000",
				"technologies": "Salesforce, Slack, AWS", "hq_postcode": "94105", "company_phone": "+1 415-555-0000",
			},
			kept: map[string]string{"organization.keywords.0": "saas", "organization.keywords.1": "crm"},
		},
		{
			file: "zoominfo.csv", good: 3, bad: 1,
			first: map[string]string{
				"record_id": "4191419698", "first_name": "Jane", "last_name": "Doe", "title": "Chief Financial Officer",
				"seniority": "C-Level", "department": "Finance", "phone": "(206) 555-0142", "mobile_phone": "(206) 555-0199",
				"email": "jane.doe@example.com", "domain": "example.com", "email_confidence": "96",
				"revenue": "400000000", "employee_count": "3508", "industry": "Software", "company_phone": "(206) 555-0100",
				"city": "Seattle", "postcode": "98101", "hq_street": "500 Pine St", "hq_postcode": "98101", "founded_year": "1998",
			},
			kept: map[string]string{"employee range": "1,000 - 5,000", "zoominfo company id": "346572700"},
		},
		{
			file: "zoominfo.json", good: 2, bad: 1,
			first: map[string]string{
				"record_id": "344589814", "first_name": "Jane", "title": "CFO", "seniority": "C-Level", "department": "Finance",
				"linkedin_url": "https://www.linkedin.com/in/janedoe", "company": "Example Co", "industry": "Software",
				"revenue": "400000000", "employee_count": "3508", "email_confidence": "96", "phone": "+1 206-555-0142",
			},
		},
		{
			file: "seamless.csv", good: 3, bad: 1,
			first: map[string]string{
				"record_id": "699447129", "first_name": "Jane", "last_name": "Doe", "full_name": "Jane Doe",
				"email": "jdoe@example.com", "email_status": "valid", "email_confidence": "97%", "phone": "415.555.0101",
				"company_phone": "650.555.0200", "domain": "example.com", "employee_count": "10001", "revenue": "1000000001",
				"founded_year": "2004", "postcode": "94107", "hq_city": "Palo Alto", "linkedin_url": "https://www.linkedin.com/in/janedoe",
			},
			kept: map[string]string{"first name (2)": "Janet", "last name (2)": "Doe-Smith", "email 2": "jane@example.com", "seamless username": "rep@ourco.com"},
		},
		{
			file: "hunter.json", good: 2, bad: 1,
			first: map[string]string{
				"first_name": "Jane", "email": "jane@example.com", "email_status": "valid", "email_confidence": "94",
				"title": "CFO", "seniority": "executive", "linkedin_url": "https://www.linkedin.com/in/janedoe",
				// from the envelope around data.emails
				"company": "Example Co", "domain": "example.com", "industry": "Software", "employee_count": "201-500",
				"technologies": "hubspot, wordpress", "hq_city": "Boston", "hq_country": "US",
			},
		},
		{
			file: "lusha.jsonl", good: 2, bad: 1,
			first: map[string]string{
				"record_id": "c_123", "title": "CEO", "department": "Executive, Management", "email": "jane@example.com",
				"email_status": "A+", "phone": "+1 212-555-0100", "mobile_phone": "+1 917-555-0199", "employee_count": "201-500",
				"revenue": "10000000-50000000", "technologies": "HubSpot, Zendesk", "country": "United States",
			},
		},
		{
			file: "rocketreach.json", good: 3, bad: 1,
			first: map[string]string{
				"record_id": "12345", "full_name": "Jane Doe", "title": "CISO", "company": "Example Co", "domain": "example.com",
				"email": "jane.doe@example.com", "email_status": "accept-all", "phone": "617-555-0100", "mobile_phone": "617-555-0199",
				"state": "MA", "country": "US",
			},
		},
		{
			file: "lead411.json", good: 2, bad: 1,
			first: map[string]string{
				"record_id": "456", "full_name": "Jane Doe", "email_status": "valid", "website": "https://www.example.com",
				"linkedin_url": "https://www.linkedin.com/in/janedoe", "employee_count": "250", "hq_state": "MA", "hq_postcode": "02110",
			},
			kept: map[string]string{"json_meta.employee_meta.direct_dial": "N/A"},
		},
		{
			file: "uplead.csv", good: 2, bad: 1,
			first: map[string]string{
				"first_name": "Jane", "seniority": "VP", "department": "marketing", "mobile_phone": "+1 206-555-0100",
				"email_status": "Valid", "domain": "example.com",
			},
		},
		{
			file: "bookyourdata.csv", provider: BookYourData, good: 3, bad: 1,
			first: map[string]string{
				"full_name": "Grace Tanaka", "employee_count": "201 - 500", "revenue": "$5M - $20M", "street": "146 High Street",
				"postcode": "10115", "country": "Germany", "website": "www.fabrikam.de",
			},
			kept: map[string]string{"sic": "3599"},
		},
		{
			file: "leadsblue.csv", provider: LeadsBlue, good: 2, bad: 1,
			first: map[string]string{"first_name": "Olivia", "title": "HR Manager", "email": "olivia.brown@woodgrove.com", "phone": "(312) 555-0143", "postcode": "60601"},
		},
		{
			file: "leadsblue.xlsx", provider: LeadsBlue, good: 2, bad: 0,
			first: map[string]string{"first_name": "Olivia", "company": "Woodgrove Bank", "employee_count": "5000", "state": "IL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src, prov, err := Open(filepath.Join("testdata", tt.file), tt.provider)
			if err != nil {
				t.Fatal(err)
			}
			defer src.(io.Closer).Close()
			good, bad := readAll(t, src)
			if len(good) != tt.good || len(bad) != tt.bad {
				for _, b := range bad {
					t.Logf("malformed line %d: %v", b.Line, b.Err)
				}
				t.Fatalf("%s (%s): %d good, %d malformed rows; want %d, %d", tt.file, prov, len(good), len(bad), tt.good, tt.bad)
			}
			for k, want := range tt.first {
				if got := good[0].Fields[k]; got != want {
					t.Errorf("%s: %s = %q, want %q", tt.file, k, got, want)
				}
			}
			for k, want := range tt.kept {
				if got := good[0].Fields[k]; got != want {
					t.Errorf("%s: unmapped column %q = %q, want it kept as %q", tt.file, k, got, want)
				}
			}
			for _, b := range bad {
				if b.Line <= 0 || len(b.Raw) == 0 && !strings.Contains(b.Err.Error(), "ends") {
					t.Errorf("malformed row without line or raw bytes: %+v", b)
				}
			}
		})
	}
}

func TestSpecificValues(t *testing.T) {
	rows := func(file, prov string) []pipeline.SourceRow {
		src, _, err := Open(filepath.Join("testdata", file), prov)
		if err != nil {
			t.Fatal(err)
		}
		good, _ := readAll(t, src)
		return good
	}
	zi := rows("zoominfo.csv", "")
	// Windows-1252 and semicolons; thousands × 1000 with a comma.
	if zi[1].Fields["first_name"] != "Siobhán" || zi[1].Fields["revenue"] != "12500000" {
		t.Errorf("zoominfo row 2 = %v", zi[1].Fields)
	}
	// A revenue that is not a number is not scaled into revenue; the raw
	// column is kept.
	if _, ok := zi[2].Fields["revenue"]; ok || zi[2].Fields["revenue (in 000s usd)"] != "not disclosed" {
		t.Errorf("zoominfo row 3 = %v", zi[2].Fields)
	}
	ap := rows("apollo.csv", "")
	if ap[3].Fields["lists"] != `Q3 "key" accounts` || ap[3].Line != 6 {
		t.Errorf("apollo quoted newline row = line %d %v", ap[3].Line, ap[3].Fields)
	}
	byd := rows("bookyourdata.csv", BookYourData)
	// "N/A" is not a phone; the cell is kept under a provider-prefixed name
	// because "phone" is a canonical column.
	if _, ok := byd[1].Fields["phone"]; ok || byd[1].Fields["bookyourdata.phone"] != "N/A" {
		t.Errorf("bookyourdata N/A phone = %v", byd[1].Fields)
	}
	rr := rows("rocketreach.json", "")
	if rr[2].Fields["full_name"] != "Renée Café" {
		t.Errorf("windows-1252 in JSON = %q", rr[2].Fields["full_name"])
	}
	se := rows("seamless.csv", "")
	// Mobile-typed contact phones and do-not-mail statuses pass as written.
	if se[1].Fields["email_status"] != "do not mail" || se[1].Fields["email"] != "lgarcia@contoso.es" {
		t.Errorf("seamless row 2 = %v", se[1].Fields)
	}
}

func TestOverrideFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mapping.json")
	err := os.WriteFile(path, []byte(`{
	  "apollo": {"fields": {
	    "technologies": {"paths": ["organization.keywords.*", "Keywords"], "join": "; ", "transforms": ["lower"]},
	    "industry": null,
	    "keywords_first": "organization.keywords.0",
	    "email": {"paths": ["Secondary Email", "email", "Email"], "transforms": ["upper"]}
	  }},
	  "bookyourdata": {"fields": {"revenue": "Revenue|multiply:1000", "industry": ["SIC"]},
	    "signature": {"markers": ["SIC"]}}
	}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	set, err := LoadSet(path)
	if err != nil {
		t.Fatal(err)
	}
	src, _, err := set.Open("testdata/apollo.json", "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	good, _ := readAll(t, src)
	f := good[0].Fields
	if f["technologies"] != "saas; crm" || f["keywords_first"] != "saas" || f["email"] != "JANE@EXAMPLE.COM" {
		t.Errorf("override: %v", f)
	}
	if _, ok := f["industry"]; ok || f["apollo.industry"] != "" {
		t.Errorf("removed rule still maps industry: %v", f)
	}
	if f["organization.industry"] != "computer software" {
		t.Errorf("unmapped raw industry not kept: %v", f)
	}
	// The signature override makes the BookYourData sample detectable.
	src, prov, err := set.Open("testdata/bookyourdata.csv", "", Options{})
	if err != nil || prov != BookYourData {
		t.Fatalf("detect with override = %q, %v", prov, err)
	}
	good, _ = readAll(t, src)
	if good[0].Fields["industry"] != "3599" || good[0].Fields["revenue"] != "" {
		t.Errorf("bookyourdata override: %v", good[0].Fields)
	}
	// The defaults are untouched.
	def, _ := DefaultSet()
	if m, _ := def.Mapping(Apollo); len(m.Fields["industry"].Paths) == 0 {
		t.Error("default set changed by an override")
	}

	bad := []struct{ body, msg string }{
		{`{"apolo": {"fields": {}}}`, `unknown provider "apolo"`},
		{`{"apollo": {"fields": {"Email": "x"}}}`, `column "Email"`},
		{`{"apollo": {"fields": {"email": {"paths": ["x"], "transforms": ["shout"]}}}}`, `unknown transform "shout"`},
		{`{"apollo": {"fields": {"phone": "phones[type].number"}}}`, `bad condition`},
		{`{"apollo": {"fields": {"email": {"path": "x"}}}}`, `unknown field "path"`},
		{`{"apollo": `, `mapping file`},
	}
	for _, b := range bad {
		_, err := def.WithOverrides(strings.NewReader(b.body), "user.json")
		if err == nil || !strings.Contains(err.Error(), b.msg) || !strings.Contains(err.Error(), "user.json") {
			t.Errorf("override %s: err = %v, want %q naming the file", b.body, err, b.msg)
		}
	}
}

func TestApplyPaths(t *testing.T) {
	set, _ := DefaultSet()
	over := `{"lusha": {"roots": ["person"], "fields": {
	  "phone": ["phones[type!=mobile].number"],
	  "mobile_phone": "phones[type=mobile].number",
	  "linkedin_url": "urls[kind~linked].href",
	  "website": "site|host",
	  "record_id": "profile|last_segment",
	  "technologies": {"paths": ["tech.*.name", "tech.*.name"], "join": ", "},
	  "department": "deps.*",
	  "city": "city?status=ok"
	}}}`
	s, err := set.WithOverrides(strings.NewReader(over), "inline")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.Mapping(Lusha)
	raw := map[string]string{
		"person.phones.0.number": "+1 1", "person.phones.0.type": "mobile",
		"person.phones.1.number":  "+1 2",
		"person.phones.10.number": "+1 10", "person.phones.10.type": "direct",
		"person.urls.0.kind": "LinkedIn profile", "person.urls.0.href": "https://linkedin.com/in/x",
		"site": "https://www.Example.com:443/about", "profile": "https://login.example/contact/42/",
		"tech.2.name": "C", "tech.0.name": "A", "tech.1.name": "a",
		"deps.0": "N/A", "deps.1": "Sales",
		"city": "Oslo", "status": "stale",
		"region": "Viken",
	}
	n := len(raw)
	out := m.Apply(raw)
	want := map[string]string{
		"phone": "+1 2", "mobile_phone": "+1 1", "linkedin_url": "https://linkedin.com/in/x",
		"website": "example.com", "record_id": "42", "technologies": "A, C", "department": "Sales",
		"lusha.region": "Viken", "lusha.city": "Oslo",
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, out[k], v, out)
		}
	}
	if _, ok := out["city"]; ok {
		t.Errorf("condition status=ok ignored: %v", out)
	}
	if raw["city"] != "Oslo" || len(raw) != n {
		t.Error("Apply changed its input")
	}
}

func TestOpenFormats(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, body, prov string
		rows             int
		errMsg           string
	}{
		{"lines.json", "{\"current_employer\":\"A\",\"name\":\"X Y\"}\n{\"current_employer\":\"B\",\"name\":\"Z W\"}\n", RocketReach, 2, ""},
		{"one.ndjson", "{\"current_employer\":\"A\",\"name\":\"X Y\"}\n", RocketReach, 1, ""},
		{"array.txt", "\ufeff [ {\"current_employer\":\"A\"} ]", RocketReach, 1, ""},
		{"pipe.csv", "Apollo Contact Id|Email\n1|a@b.co\n", Apollo, 1, ""},
		{"empty.csv", "", "", 0, "empty file"},
		{"fake.xlsx", "not,a,zip\n", "", 0, "not a zip"},
		{"blank-header.csv", "Apollo Contact Id,,Email,email\n1,x,a@b.co,c@d.co\n", Apollo, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, prov, err := Open(write(tt.name, tt.body), "")
			if tt.errMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errMsg) || !strings.Contains(err.Error(), tt.name) {
					t.Fatalf("Open = %v, want error %q naming the file", err, tt.errMsg)
				}
				return
			}
			if err != nil || prov != tt.prov {
				t.Fatalf("Open = %q, %v; want %q", prov, err, tt.prov)
			}
			good, bad := readAll(t, src)
			if len(good) != tt.rows || len(bad) != 0 {
				t.Fatalf("rows = %d good %d bad, want %d", len(good), len(bad), tt.rows)
			}
			if tt.name == "blank-header.csv" {
				f := good[0].Fields
				if f["email"] != "a@b.co" || f["column 2"] != "x" || f["email (2)"] != "c@d.co" {
					t.Errorf("renamed columns: %v", f)
				}
			}
			if src.BytesRead() != int64(len(tt.body)) {
				t.Errorf("BytesRead = %d, want %d", src.BytesRead(), len(tt.body))
			}
		})
	}
	if _, _, err := Open(write("x.csv", "a,b\n"), "nobody"); err == nil || !strings.Contains(err.Error(), `unknown provider "nobody"`) {
		t.Errorf("unknown provider: %v", err)
	}
}

// TestOpenerWithReader wires the opener the way pipeline.ImportFile calls
// it: with the opened file as an io.Reader, and DropColumns applied.
func TestOpenerWithReader(t *testing.T) {
	set, _ := DefaultSet()
	for _, file := range []string{"zoominfo.csv", "leadsblue.xlsx", "lusha.jsonl"} {
		prov := ""
		if strings.HasPrefix(file, "leadsblue") {
			prov = LeadsBlue
		}
		path := filepath.Join("testdata", file)
		open, got, err := set.Opener(path, prov, Options{DropColumns: []string{"Email Domain", "clientReferenceId", "Zip"}})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		src, err := open(f)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		good, _ := readAll(t, src)
		f.Close()
		g := good[0].Fields
		gone := map[string]string{"zoominfo.csv": "domain", "leadsblue.xlsx": "postcode", "lusha.jsonl": "clientReferenceId"}[file]
		if _, ok := g[gone]; ok {
			t.Errorf("%s (%s): %s is still there after dropping its column: %v", file, got, gone, g)
		}
	}
}

func TestRequireIdentity(t *testing.T) {
	set, _ := DefaultSet()
	src, _, err := set.Open("testdata/zoominfo.json", "", Options{RequireIdentity: true})
	if err != nil {
		t.Fatal(err)
	}
	good, bad := readAll(t, src)
	// The NoMatch record has an id only.
	if len(good) != 1 || len(bad) != 2 || !strings.Contains(bad[1].Err.Error(), "line 3: below the minimum identity") {
		t.Fatalf("good %d, bad %v", len(good), bad)
	}
}

func TestApolloCatchAll(t *testing.T) {
	set, _ := DefaultSet()
	m, _ := set.Mapping(Apollo)
	for _, tt := range []struct{ catchAll, status, want string }{
		{"Catch-all", "Verified", "Catch-all"},
		{"Not Catch-all", "Verified", "Verified"},
		{"", "Unavailable", "Unavailable"},
	} {
		raw := map[string]string{"email status": tt.status, "email": "a@b.co"}
		if tt.catchAll != "" {
			raw["primary email catch-all status"] = tt.catchAll
		}
		if got := m.Apply(raw)["email_status"]; got != tt.want {
			t.Errorf("catch-all %q, status %q: email_status = %q, want %q", tt.catchAll, tt.status, got, tt.want)
		}
	}
}
