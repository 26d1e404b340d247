// Package testkafka tells tests which Kafka to run against: the real
// broker named by LEADSTREAM_TEST_BROKERS, or an embedded one on a free
// loopback port.
package testkafka

import (
	"net"
	"os"
	"strings"
	"testing"
)

// EnvBrokers is the variable that points the integration suite at a real
// Kafka cluster.
const EnvBrokers = "LEADSTREAM_TEST_BROKERS"

// Brokers returns the real brokers under test, or nil for the embedded one.
func Brokers() []string {
	if v := os.Getenv(EnvBrokers); v != "" {
		return strings.Split(v, ",")
	}
	return nil
}

// FreeAddr returns a loopback address with a port nobody listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
