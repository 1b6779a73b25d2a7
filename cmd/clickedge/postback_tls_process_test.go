package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/dispatch"
	"github.com/clickedge/clickedge/internal/testcert"
)

// Real partners take postbacks over https. One edge trusts the partner's
// certificate (SSL_CERT_FILE, as an operator whose partner uses a private
// CA would set it): its signed postbacks arrive over TLS and verify. Another
// does not: its postback is not sent, stays pending to be retried, and its
// attempts say why.
func TestPostbackOverHTTPS(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	dir, empty := t.TempDir(), t.TempDir()
	cert, key := testcert.Write(t, dir, "partner")
	sk := startTLSSink(t, cert, key, func(r *http.Request, n int) int {
		sig := r.Header.Get(dispatch.SignatureHeader)
		if r.TLS == nil {
			return 400
		}
		if err := dispatch.VerifySignature(sig, []byte("s3cret"), []byte(r.Method), []byte(r.RequestURI), nil, time.Now(), time.Minute); err != nil {
			return 401
		}
		return 200
	})
	yaml := "allow_private_targets: true\n" + testApps + fmt.Sprintf(`partners:
  acme:
    install: "https://%s/pb?event={event_name}&click_id={click_id}"
    secret: "s3cret"
    timeout: "1s"
    retry: { base: "50ms", max_interval: "200ms", max_age: "1h" }
campaigns:
  camp1: { app: com.test.app, partner: acme }
`, sk.addr)

	for _, tc := range []struct {
		name  string
		env   []string
		click string
	}{
		{"trusted", []string{"SSL_CERT_FILE=" + cert}, "tls-ok"},
		// No root at all: a missing file and an empty directory.
		{"untrusted", []string{"SSL_CERT_FILE=" + empty + "/none.pem", "SSL_CERT_DIR=" + empty}, "tls-bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edir := t.TempDir()
			public, admin := freeAddr(t), freeAddr(t)
			p := startEdge(t, writeConfig(t, edir, public, admin, yaml), public, admin, tc.env...)
			p.click(t, "c=camp1&click_id="+tc.click)
			if a := p.convert(t, fmt.Sprintf(`{"type":"install","install_id":"i-%s","click_id":%q}`, tc.click, tc.click)); a.Postback != "queued" {
				t.Fatalf("install: %+v", a)
			}
			if tc.name == "trusted" {
				waitFor(t, "postback delivered over TLS", 5*time.Second, func() bool {
					d := p.postbacks(t, "delivered")
					return len(d) == 1 && d[0].Attempts[len(d[0].Attempts)-1].StatusCode == 200
				})
				if n := sk.count("click_id=" + tc.click); n != 1 {
					t.Fatalf("sink got %d postbacks for %s, want 1", n, tc.click)
				}
				return
			}
			waitFor(t, "two refused attempts", 5*time.Second, func() bool {
				pend := p.postbacks(t, "pending")
				return len(pend) == 1 && len(pend[0].Attempts) >= 2
			})
			a := p.postbacks(t, "pending")[0].Attempts[0]
			if a.StatusCode != 0 || !strings.Contains(a.Error, "certificate") {
				t.Fatalf("attempt %+v: want no status and a certificate error", a)
			}
			if n := sk.count("click_id=" + tc.click); n != 0 {
				t.Fatalf("sink got %d postbacks over an untrusted connection", n)
			}
		})
	}
}
