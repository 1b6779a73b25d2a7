package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
