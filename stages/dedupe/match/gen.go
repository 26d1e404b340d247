package match

// Record's MessagePack codec (the dedupe view's store keeps records in it)
// is generated from the json tags; run `go generate ./stages/dedupe/match`
// after changing a field of Record.
//go:generate go run github.com/tinylib/msgp@v1.6.5 -file match.go -o record_msgp.go -io=false -tests=false -d "tag json"
