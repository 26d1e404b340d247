package match

import (
	"reflect"
	"testing"
)

// TestRecordCodecCoversEveryField fails when a field of Record is added
// without running go generate: every field set, the record must come back
// from MessagePack unchanged.
func TestRecordCodecCoversEveryField(t *testing.T) {
	var r Record
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(v.Type().Field(i).Name + " value")
		case reflect.Bool:
			f.SetBool(true)
		default:
			t.Fatalf("Record.%s: a %s; teach this test to fill it", v.Type().Field(i).Name, f.Kind())
		}
	}
	cases := []struct {
		name string
		in   Record
	}{{"every field", r}, {"zero", Record{}}, {"person", Record{FirstName: "Greta", LastName: "Müller", Email: "greta@initech.example"}}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.in.MarshalMsg(nil)
			if err != nil {
				t.Fatal(err)
			}
			var out Record
			if rest, err := out.UnmarshalMsg(b); err != nil || len(rest) != 0 {
				t.Fatalf("unmarshal: %v, %d bytes left", err, len(rest))
			}
			if out != c.in {
				t.Fatalf("round trip:\n got %+v\nwant %+v", out, c.in)
			}
		})
	}
}
