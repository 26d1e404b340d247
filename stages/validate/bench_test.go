package validate

import (
	"testing"

	"github.com/leadstream/leadstream/internal/lead"
)

// BenchmarkNormalizeValidate measures normalise + identity + quality per
// record on one core, over a mix of clean, messy and garbage records. It
// reports records/s.
func BenchmarkNormalizeValidate(b *testing.B) {
	records := []map[string]string{
		{"record_id": "r1", "first_name": "jack", "last_name": "ryan", "street": "21 bayly place, pacific terraces",
			"city": "cleveland", "state": "VIC", "postcode": "4171", "country": "AU"},
		{"record_id": "r2", "first_name": "  DR. JOHN ", "last_name": "MCDONALD", "email": "John.McDonald@Shop.Acme.co.uk",
			"phone": "020 7946 0123", "title": "VP, Information Technology", "company": "ACME WIDGETS LTD",
			"domain": "acme.co.uk", "street": "1 High Street", "city": "London", "postcode": "SW1A 1AA", "country": "United Kingdom"},
		{"record_id": "r3", "first_name": "ecalStt", "last_name": "Parsons", "email": "shirleybaker@smith-hall.biz", "city": "London"},
		{"record_id": "r4", "first_name": "MÃ¼ller", "email": "@@@", "phone": "☎ 12", "company": "n/a", "country": "EMEA"},
		{"record_id": "r5", "first_name": "Ana", "last_name": "García", "email": "ana@gmail.com", "phone": "+34 912 34 56 78",
			"title": "Directora de Compras", "company": "Telefónica, S.A.", "country": "ES"},
	}
	n := lead.Normalizer{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		l, _ := n.Normalize(records[i%len(records)], lead.Source{Key: "csv", RecordID: "r"})
		Check(&l, DefaultReviewBelow)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
