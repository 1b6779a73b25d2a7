package main

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testcert"
	"github.com/clickedge/clickedge/internal/testlog"
)

// A conversion the edge refuses from its head alone (a body over the
// limit, a wrong conversion token) is answered and its connection closed
// with the body unread. The client is still sending that body: the edge's
// socket, closed with data unread or arriving after, answers with a reset,
// and the client's write of the request fails. Go's net/http client (an
// advertiser's backend) then reports "connection reset by peer", a network
// error it retries, instead of the contract's 400 (or the README's 401).
func TestRefusedBodyAnswerNotReset(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	for _, tlsOn := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tlsOn), func(t *testing.T) { refusedBodyAnswer(t, tlsOn) })
	}
}

func refusedBodyAnswer(t *testing.T, tlsOn bool) {
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	yaml := "conversion_tokens: [good-token]\n" + testApps
	scheme := "http://"
	client := &http.Client{Timeout: 10 * time.Second}
	dial := func() (net.Conn, error) { return net.Dial("tcp", public) }
	if tlsOn {
		cert, key := testcert.Write(t, dir, "edge")
		yaml += fmt.Sprintf("tls_cert: %q\ntls_key: %q\n", cert, key)
		scheme = "https://"
		cfg := &tls.Config{InsecureSkipVerify: true}
		client.Transport = &http.Transport{TLSClientConfig: cfg}
		dial = func() (net.Conn, error) { return tls.Dial("tcp", public, cfg) }
	}
	cfgPath := writeConfig(t, dir, public, admin, yaml)
	if tlsOn {
		startTLSPublic(t, cfgPath, public, client)
	} else {
		startEdge(t, cfgPath, public, admin)
	}

	line := `{"type":"install","install_id":"i1"}` + "\n"
	batch := func(size int) []byte { return bytes.Repeat([]byte(line), size/len(line)+1) }
	oneMiB := []byte(`{"type":"install","install_id":"big","user_agent":"` + strings.Repeat("a", 1<<20) + `"}`)
	for _, tc := range []struct {
		name, path, token string
		body              []byte
		code              int
		want              string
	}{
		{"conversion of 1 MiB", "/v1/conversions", "good-token", oneMiB, 400, `"body: over 64 KiB"`},
		{"batch over 16 MiB", "/v1/conversions/batch", "good-token", batch(16<<20 + 1), 400, `"body: over 16 MiB"`},
		{"batch of 1 MiB, wrong token", "/v1/conversions/batch", "bad-token", batch(1 << 20), 401, "conversion_tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A raw client writes its whole request, then reads the answer.
			for i := range 5 {
				c, err := dial()
				if err != nil {
					t.Fatal(err)
				}
				req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
					tc.path, tc.token, len(tc.body))
				c.SetDeadline(time.Now().Add(10 * time.Second))
				_, err = c.Write(append([]byte(req), tc.body...))
				c.Close()
				if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
					t.Errorf("raw attempt %d: writing the request: %v (the %d is never read)", i, err, tc.code)
				}
			}
			// What an advertiser's backend sees.
			for i := range 5 {
				req, _ := http.NewRequest("POST", scheme+public+tc.path, bytes.NewReader(tc.body))
				req.Header.Set("Authorization", "Bearer "+tc.token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("net/http attempt %d: %v, want %d %s", i, err, tc.code, tc.want)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.want) {
					t.Errorf("net/http attempt %d: %d %s, want %d %s", i, resp.StatusCode, b, tc.code, tc.want)
				}
			}
		})
	}
}

// startTLSPublic starts the binary with a config whose public listener
// speaks TLS, and waits for its /healthz over TLS (startEdge polls over
// plain HTTP, which a TLS listener answers 400).
func startTLSPublic(t *testing.T, cfg, public string, client *http.Client) {
	t.Helper()
	log := &testlog.Buffer{}
	cmd := exec.Command(binPath, "serve", "-config", cfg)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("clickedge log:\n%s", log.String())
		}
	})
	waitFor(t, "the TLS listener", 15*time.Second, func() bool {
		resp, err := client.Get("https://" + public + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}
