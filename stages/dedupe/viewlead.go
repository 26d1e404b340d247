package dedupe

import "github.com/leadstream/leadstream/stages/dedupe/match"

// The view's store keeps each lead in MessagePack (generated from the json
// tags; run `go generate ./stages/dedupe` after changing storedLead). The
// store is made anew by every process, so the format can change freely.
//go:generate go run github.com/tinylib/msgp@v1.6.5 -file viewlead.go -o viewlead_msgp.go -io=false -tests=false -unexported -d "tag json"

// storedLead is a lead as the store keeps it (sealed).
type storedLead struct {
	Key  string         `json:"k,omitempty"`
	Recs []match.Record `json:"r,omitempty"`
	Srcs []string       `json:"s,omitempty"`
}
