package lead

// The MessagePack codec of Lead and the types it holds (the envelope's wire
// version 3, see pipeline.EnvelopeVersion) is generated from the json tags;
// run `go generate ./internal/lead ./pipeline` after changing a field
// (pipeline's TestEnvelopeCodecCoversEveryField fails until then).
//go:generate go run github.com/tinylib/msgp@v1.6.5 -file lead.go -o lead_msgp.go -io=false -tests=false -d "tag json" -d "timezone utc"
//go:generate go run github.com/tinylib/msgp@v1.6.5 -file signals.go -o signals_msgp.go -io=false -tests=false -d "tag json" -d "timezone utc" -d "ignore keywordRule"
//go:generate go run github.com/tinylib/msgp@v1.6.5 -file text.go -o text_msgp.go -io=false -tests=false -d "tag json" -d "timezone utc"
