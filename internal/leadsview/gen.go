package leadsview

// The store keeps each Doc in MessagePack (encodeDoc), generated from the
// json tags; run `go generate ./internal/leadsview` after changing a field
// of Doc or SourceRecord.
//go:generate go run github.com/tinylib/msgp@v1.6.5 -file record.go -o record_msgp.go -io=false -tests=false -d "tag json" -d "timezone utc"
