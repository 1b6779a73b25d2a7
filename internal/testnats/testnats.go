// Package testnats starts a real NATS server with JetStream inside a test
// process, for the tests of replication. Only tests import it.
package testnats

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Start runs a JetStream server on 127.0.0.1:port (-1: any free port),
// storing in dir, until the test ends.
func Start(t testing.TB, port int, dir string) *server.Server {
	t.Helper()
	return StartWith(t, &server.Options{Port: port, StoreDir: dir})
}

// StartWith runs a JetStream server on 127.0.0.1 with o's other settings
// (credentials, TLS), until the test ends.
func StartWith(t testing.TB, o *server.Options) *server.Server {
	t.Helper()
	o.Host, o.JetStream, o.NoLog, o.NoSigs = "127.0.0.1", true, true, true
	ns, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server did not start")
	}
	t.Cleanup(ns.Shutdown)
	return ns
}
