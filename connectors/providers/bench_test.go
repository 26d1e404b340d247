package providers

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeApolloCSV writes n rows under the 68-column Apollo header.
func writeApolloCSV(tb testing.TB, path string, n int) {
	tb.Helper()
	header, err := os.ReadFile("testdata/apollo.csv")
	if err != nil {
		tb.Fatal(err)
	}
	first, _, _ := strings.Cut(string(header), "\n")
	cols := strings.Split(strings.TrimSpace(first), ",")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, strings.TrimSpace(first))
	vals := map[string]string{
		"First Name": "Jane", "Last Name": "Doe", "Title": "VP Sales", "Company Name": "Example Co",
		"Email Status": "Verified", "Seniority": "Vp", "Departments": `"Sales, Marketing"`,
		"Work Direct Phone": "'+1 415-555-0100", "Mobile Phone": "'+1 415-555-0199", "# Employees": "1600",
		"Industry": "computer software", "Keywords": `"saas, crm, b2b"`, "Person Linkedin Url": "http://www.linkedin.com/in/janedoe",
		"Website": "http://www.example.com", "City": "San Francisco", "State": "California", "Country": "United States",
		"Company Address": `"1 Market St, San Francisco, CA 94105"`, "Technologies": `"Salesforce, Slack, AWS"`,
		"Annual Revenue": "100000000", "Email Sent": "false", "Last Contacted": "2026-01-10T13:27:20+00:00",
	}
	for i := range n {
		for j, c := range cols {
			if j > 0 {
				w.WriteByte(',')
			}
			switch c {
			case "Email":
				fmt.Fprintf(w, "jane%d@example.com", i)
			case "Apollo Contact Id":
				fmt.Fprintf(w, "64a7ff0cc4dfae%010d", i)
			default:
				w.WriteString(vals[c])
			}
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
}

// BenchmarkReadMapCSV measures reading and mapping a generated Apollo
// export end to end (sniff, detect, csvfile, mapping) in records/s.
func BenchmarkReadMapCSV(b *testing.B) {
	const n = 20000
	path := filepath.Join(b.TempDir(), "apollo-large.csv")
	writeApolloCSV(b, path, n)
	set, err := DefaultSet()
	if err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for b.Loop() {
		src, prov, err := set.Open(path, "", Options{})
		if err != nil || prov != Apollo {
			b.Fatal(prov, err)
		}
		rows := 0
		for {
			row, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || row.Err != nil || row.Fields["email"] == "" {
				b.Fatalf("row %d: %v %v", rows, err, row.Err)
			}
			rows++
		}
		if rows != n {
			b.Fatalf("%d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkMapOnly isolates Mapping.Apply on one Apollo CSV row.
func BenchmarkMapOnly(b *testing.B) {
	src, _, err := Open("testdata/apollo.csv", "")
	if err != nil {
		b.Fatal(err)
	}
	raw, err := OpenRaw(mustOpen(b, "testdata/apollo.csv"), FormatCSV, Options{})
	if err != nil {
		b.Fatal(err)
	}
	row, _ := raw.Next()
	_ = src
	set, _ := DefaultSet()
	m, _ := set.Mapping(Apollo)
	b.ResetTimer()
	for b.Loop() {
		_ = m.Apply(row.Fields)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func mustOpen(tb testing.TB, path string) *os.File {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// BenchmarkReadMapJSON measures an Apollo people[] response of n persons.
func BenchmarkReadMapJSON(b *testing.B) {
	const n = 20000
	path := filepath.Join(b.TempDir(), "apollo-large.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(`{"pagination":{"page":1},"people":[`)
	for i := range n {
		if i > 0 {
			w.WriteString(",\n")
		}
		fmt.Fprintf(w, `{"id":"p%d","first_name":"Jane","last_name":"Doe","title":"VP Sales","seniority":"vp","departments":["sales"],"email":"jane%d@example.com","email_status":"verified","linkedin_url":"http://www.linkedin.com/in/janedoe","city":"San Francisco","country":"United States","phone_numbers":[{"sanitized_number":"+14155550100","type":null},{"sanitized_number":"+14155550199","type":"mobile"}],"organization":{"name":"Example Co","primary_domain":"example.com","estimated_num_employees":1600,"annual_revenue":100000000,"industry":"computer software","keywords":["saas","crm"],"technology_names":["Salesforce","Slack"]}}`, i, i)
	}
	w.WriteString("]}")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	set, _ := DefaultSet()
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for b.Loop() {
		src, prov, err := set.Open(path, "", Options{})
		if err != nil || prov != Apollo {
			b.Fatal(prov, err)
		}
		rows := 0
		for {
			row, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || row.Err != nil || row.Fields["mobile_phone"] == "" {
				b.Fatalf("row %d: %v %v %v", rows, err, row.Err, row.Fields)
			}
			rows++
		}
		if rows != n {
			b.Fatalf("%d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkReadRawCSV is BenchmarkReadMapCSV without the mapping, to show
// what the reader (connectors/csvfile) costs on its own.
func BenchmarkReadRawCSV(b *testing.B) {
	const n = 20000
	path := filepath.Join(b.TempDir(), "apollo-large.csv")
	writeApolloCSV(b, path, n)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for b.Loop() {
		f := mustOpen(b, path)
		src, err := OpenRaw(f, FormatCSV, Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			if _, err := src.Next(); errors.Is(err, io.EOF) {
				break
			}
			rows++
		}
		if rows != n {
			b.Fatalf("%d rows", rows)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
