// Package testcert writes self-signed TLS certificates for tests: the
// config's TLS checks, the public listener's TLS and its reload.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Write writes a self-signed certificate for 127.0.0.1 with common name
// name, and its key, under dir as name.crt and name.key, and returns their
// paths. Each call makes a new key, so two calls give pairs that do not
// match each other. The certificate is valid from an hour ago to an hour
// from now.
func Write(t testing.TB, dir, name string) (cert, key string) {
	t.Helper()
	return WriteValid(t, dir, name, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
}

// WriteValid is Write for a certificate valid from notBefore to notAfter.
func WriteValid(t testing.TB, dir, name string, notBefore, notAfter time.Time) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	for _, f := range []struct {
		path string
		pem  *pem.Block
	}{{cert, &pem.Block{Type: "CERTIFICATE", Bytes: der}}, {key, &pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(f.pem), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, key
}
