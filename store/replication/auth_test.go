package replication

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/clickedge/clickedge/internal/testcert"
	"github.com/clickedge/clickedge/internal/testnats"
)

// startAuthNATS runs a JetStream server on 127.0.0.1:port that admits
// user/pass only.
func startAuthNATS(t *testing.T, port int, dir, user, pass string) *server.Server {
	t.Helper()
	return testnats.StartWith(t, &server.Options{Port: port, StoreDir: dir, Username: user, Password: pass})
}

// A NATS server that refuses the edge's credentials for a while (restarted
// with its accounts half rotated, or an edge started before its user was
// added) is an outage like any other: the outbox waits, the reason is
// logged, and replication resumes once the server admits the edge, without
// restarting the edge.
func TestRefusedCredentialsRetried(t *testing.T) {
	for _, tc := range []struct {
		name string
		// connected: whether the edges first meet a server that admits
		// them (and it is then restarted refusing them).
		connected bool
	}{
		{"refused at start", false},
		{"refused after a restart", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			natsDir := t.TempDir()
			pass := "wrong"
			if tc.connected {
				pass = "s3cret"
			}
			ns := startAuthNATS(t, -1, natsDir, "edge", pass)
			port := ns.Addr().(*net.TCPAddr).Port
			url := "nats://edge:s3cret@" + ns.Addr().String()
			east := startRegion(t, "us-east", t.TempDir(), url)
			south := startRegion(t, "ap-south", t.TempDir(), url, "us-east")
			if tc.connected {
				east.st.PutClick(click("before", time.Now()))
				eventually(t, "a click before the restart", func() bool { return hasClick(south.st, "before") })
				ns.Shutdown()
				ns.WaitForShutdown()
				ns = startAuthNATS(t, port, natsDir, "edge", "wrong")
			}
			east.st.PutClick(click("during", time.Now()))
			// The edges try, and are refused, and say so.
			eventually(t, "a log line saying NATS refused the credentials", func() bool {
				return strings.Contains(strings.ToLower(east.log.String()), "authorization")
			})
			ns.Shutdown()
			ns.WaitForShutdown()
			startAuthNATS(t, port, natsDir, "edge", "s3cret") // fixed
			eventually(t, "the click published once the server admits the edge", func() bool {
				return hasClick(south.st, "during")
			})
		})
	}
}

// A server whose certificate the edge does not trust (a tls:// URL to a
// server with a private CA) never admits it: the log says why, rather than
// only that requests time out.
func TestUntrustedServerCertificateLogged(t *testing.T) {
	certFile, keyFile := testcert.Write(t, t.TempDir(), "nats")
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	ns := testnats.StartWith(t, &server.Options{Port: -1, StoreDir: t.TempDir(), TLS: true, TLSConfig: tc})
	east := startRegion(t, "us-east", t.TempDir(), "tls://"+ns.Addr().String())
	east.st.PutClick(click("c1", time.Now()))
	eventually(t, "the reason logged", func() bool {
		return strings.Contains(east.log.String(), "certificate")
	})
}
