package pipeline

// The envelope's MessagePack codec (wire version 3) is generated from the
// json tags; run `go generate ./pipeline ./internal/lead` after changing a
// field of Envelope, lead.Lead or a type they hold (TestEnvelopeCodecCoversEveryField
// fails until then).
//go:generate go run github.com/tinylib/msgp@v1.6.5 -file envelope.go -o envelope_msgp.go -io=false -tests=false -d "tag json" -d "timezone utc" -d "shim json.RawMessage as:[]byte using:rawToBytes/bytesToRaw"

import "github.com/segmentio/encoding/json"

// rawToBytes and bytesToRaw let the generated codec carry json.RawMessage
// fields (Inbound, Event) as MessagePack bytes.
func rawToBytes(m json.RawMessage) []byte { return m }
func bytesToRaw(b []byte) json.RawMessage { return b }
