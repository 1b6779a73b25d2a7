package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testcert"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLoadTLS: Load (what check-config and serve both call) opens the TLS
// pair, so a missing, unreadable or mismatched file is a config error naming
// the key, not a listener failure after start-up.
func TestLoadTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := testcert.Write(t, dir, "a")
	_, otherKey := testcert.Write(t, dir, "b")
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name, cert, key, want string // want "" is no error
	}{
		{"pair", cert, key, ""},
		{"cert missing", missing, key, `tls_cert: cannot read ` + strconv.Quote(missing) + `: no such file or directory`},
		{"key missing", cert, missing, `tls_key: cannot read ` + strconv.Quote(missing) + `: no such file or directory`},
		{"both missing", missing, missing, `tls_cert: cannot read ` + strconv.Quote(missing) + `: no such file or directory`},
		// A directory stands for an unreadable file: tests may run as root,
		// which reads a chmod 000 file anyway.
		{"cert unreadable", dir, key, `tls_cert: cannot read ` + strconv.Quote(dir) + `: is a directory`},
		{"key unreadable", cert, dir, `tls_key: cannot read ` + strconv.Quote(dir) + `: is a directory`},
		{"key is the cert", cert, cert, `tls_key: ` + strconv.Quote(cert) + ` and tls_cert ` + strconv.Quote(cert) +
			` do not form a key pair (tls: found a certificate rather than a key in the PEM for the private key)`},
		{"key of another cert", cert, otherKey, `tls_key: ` + strconv.Quote(otherKey) + ` and tls_cert ` + strconv.Quote(cert) +
			` do not form a key pair (tls: private key does not match public key)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.yaml")
			writeFile(t, path, []byte("tls_cert: "+strconv.Quote(tc.cert)+"\ntls_key: "+strconv.Quote(tc.key)+"\n"))
			c, err := Load(path)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.TLSCert != tc.cert || c.TLSKey != tc.key {
					t.Fatalf("got %q %q", c.TLSCert, c.TLSKey)
				}
				return
			}
			want := "config: " + path + ": " + tc.want
			if err == nil || err.Error() != want {
				t.Fatalf("got  %v\nwant %s", err, want)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("message spans lines: %q", err)
			}
		})
	}
}

// TestParseLeavesTLSFilesAlone: Parse and Validate never touch the disk
// (the fuzz target runs them on arbitrary input), so only Load checks files.
func TestParseLeavesTLSFilesAlone(t *testing.T) {
	mustParse(t, "tls_cert: /nonexistent/c.pem\ntls_key: /nonexistent/k.pem\n", env())
}

// TestNotesCertificateValidity: check-config and serve say when the public
// listener's certificate has expired, is not valid yet, or expires within
// 30 days. Clients and CDNs refuse an expired certificate at the
// handshake, so every click would fail while the config loaded fine.
func TestNotesCertificateValidity(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		name                string
		notBefore, notAfter time.Time
		want                string // "" for no note
	}{
		{"valid for a year", now.Add(-day), now.Add(365 * day), ""},
		{"expires in 31 days", now.Add(-day), now.Add(31 * day), ""},
		{"expires in 10 days", now.Add(-day), now.Add(10*day + time.Hour), "expires on 2026-12-06 13:00 UTC, in 10 days"},
		{"expires in an hour", now.Add(-day), now.Add(time.Hour), "expires on 2026-11-26 13:00 UTC, in 0 days"},
		{"expired", now.Add(-30 * day), now.Add(-day), "expired on 2026-11-25 12:00 UTC"},
		{"not valid yet", now.Add(day), now.Add(90 * day), "is not valid before 2026-11-27 12:00 UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cert, key := testcert.WriteValid(t, dir, "edge", tc.notBefore, tc.notAfter)
			path := filepath.Join(dir, "c.yaml")
			writeFile(t, path, []byte("listen: \"127.0.0.1:8443\"\nadmin_token: t\nconversion_tokens: [abc]\ntls_cert: "+
				strconv.Quote(cert)+"\ntls_key: "+strconv.Quote(key)+"\n"))
			c, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			notes := notesAt(c, now)
			if tc.want == "" {
				if len(notes) != 0 {
					t.Fatalf("notes: %q", notes)
				}
				return
			}
			if len(notes) != 1 || !strings.Contains(notes[0], "tls_cert ("+cert+") "+tc.want) {
				t.Fatalf("notes: %q, want one with %q", notes, tc.want)
			}
		})
	}
}
