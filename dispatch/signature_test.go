package dispatch

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

type signatureVector struct {
	Name      string `json:"name"`
	Secret    string `json:"secret"`
	T         int64  `json:"t"`
	Method    string `json:"method"`
	PathQuery string `json:"path_query"`
	Body      string `json:"body"`
	Header    string `json:"header"`
}

// loadVectors reads testdata/signature_vectors.json, whose expected headers
// were computed with OpenSSL, not with this package.
func loadVectors(t *testing.T) []signatureVector {
	t.Helper()
	b, err := os.ReadFile("testdata/signature_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Vectors []signatureVector }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no signature vectors")
	}
	return f.Vectors
}

func TestSignatureVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			got := string(AppendSignature(nil, []byte(v.Secret), v.T, []byte(v.Method), []byte(v.PathQuery), []byte(v.Body)))
			if got != v.Header {
				t.Errorf("AppendSignature\n got %s\nwant %s", got, v.Header)
			}
			err := VerifySignature(v.Header, []byte(v.Secret), []byte(v.Method), []byte(v.PathQuery), []byte(v.Body), time.Unix(v.T, 0), time.Minute)
			if err != nil {
				t.Errorf("VerifySignature: %v", err)
			}
		})
	}
}

func TestAppendSignatureAppends(t *testing.T) {
	got := string(AppendSignature([]byte(SignatureHeader+": "), []byte("k"), 42, []byte("GET"), []byte("/"), nil))
	if !strings.HasPrefix(got, "X-Clickedge-Signature: t=42,v1=") || len(got) != len("X-Clickedge-Signature: t=42,v1=")+64 {
		t.Errorf("got %q", got)
	}
	if neg := string(AppendSignature(nil, []byte("k"), -1, nil, nil, nil)); !strings.HasPrefix(neg, "t=-1,v1=") {
		t.Errorf("negative t: %q", neg)
	}
}

func TestVerifySignature(t *testing.T) {
	secret := []byte("whsec_demo")
	now := time.Unix(1764115200, 0)
	method, path, body := []byte("POST"), []byte("/pb?x=1"), []byte(`{"a":1}`)
	sign := func(unix int64) string {
		return string(AppendSignature(nil, secret, unix, method, path, body))
	}
	good := sign(now.Unix())
	f := func(name, header string, secret []byte, method, path, body string, now time.Time, tol time.Duration, want error) {
		t.Helper()
		err := VerifySignature(header, secret, []byte(method), []byte(path), []byte(body), now, tol)
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v; want %v", name, err, want)
		}
	}
	f("round trip", good, secret, "POST", "/pb?x=1", `{"a":1}`, now, 5*time.Minute, nil)
	f("within tolerance, late", good, secret, "POST", "/pb?x=1", `{"a":1}`, now.Add(5*time.Minute), 5*time.Minute, nil)
	f("within tolerance, early", good, secret, "POST", "/pb?x=1", `{"a":1}`, now.Add(-5*time.Minute), 5*time.Minute, nil)
	f("spaces after comma", strings.Replace(good, ",", ", ", 1), secret, "POST", "/pb?x=1", `{"a":1}`, now, time.Minute, nil)
	f("wrong secret", good, []byte("whsec_other"), "POST", "/pb?x=1", `{"a":1}`, now, time.Minute, ErrSignatureMismatch)
	f("empty secret", good, nil, "POST", "/pb?x=1", `{"a":1}`, now, time.Minute, ErrSignatureMismatch)
	f("other method", good, secret, "GET", "/pb?x=1", `{"a":1}`, now, time.Minute, ErrSignatureMismatch)
	f("other path", good, secret, "POST", "/pb?x=2", `{"a":1}`, now, time.Minute, ErrSignatureMismatch)
	f("other body", good, secret, "POST", "/pb?x=1", `{"a":2}`, now, time.Minute, ErrSignatureMismatch)
	f("t changed", strings.Replace(good, "t=1764115200", "t=1764115201", 1), secret, "POST", "/pb?x=1", `{"a":1}`, now, time.Minute, ErrSignatureMismatch)
	// We send lower-case hex; a receiver may accept either.
	f("upper-case hex accepted", "t=1764115200,v1="+strings.ToUpper(good[len("t=1764115200,v1="):]), secret, "POST", "/pb?x=1", `{"a":1}`, now, time.Minute, nil)
	f("stale", sign(now.Unix()-301), secret, "POST", "/pb?x=1", `{"a":1}`, now, 5*time.Minute, ErrSignatureExpired)
	f("from the future", sign(now.Unix()+301), secret, "POST", "/pb?x=1", `{"a":1}`, now, 5*time.Minute, ErrSignatureExpired)
	f("stale but tolerance off", sign(1), secret, "POST", "/pb?x=1", `{"a":1}`, now, 0, nil)
	f("stale and wrong secret is a mismatch", sign(1), []byte("x"), "POST", "/pb?x=1", `{"a":1}`, now, time.Minute, ErrSignatureMismatch)
	// Rotation: a header may carry several v1 values; one match is enough.
	other := string(AppendSignature(nil, []byte("old"), now.Unix(), method, path, body))
	f("rotation", good+","+other[strings.Index(other, "v1="):], secret, "POST", "/pb?x=1", `{"a":1}`, now, time.Minute, nil)
	f("rotation, old secret", good+","+other[strings.Index(other, "v1="):], []byte("old"), "POST", "/pb?x=1", `{"a":1}`, now, time.Minute, nil)
	f("unknown scheme ignored", good+",v2=abc", secret, "POST", "/pb?x=1", `{"a":1}`, now, time.Minute, nil)
	// Malformed headers.
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, h := range []string{"", "t=" + ts, "v1=00", "t=,v1=00", "t=abc,v1=00", "garbage", "t=1,t=1,v1=00", good + ",junk"} {
		f("malformed "+strconv.Quote(h), h, secret, "POST", "/pb?x=1", `{"a":1}`, now, time.Minute, ErrSignatureFormat)
	}
	f("non-hex v1", "t="+ts+",v1=zz", secret, "POST", "/pb?x=1", `{"a":1}`, now, time.Minute, ErrSignatureMismatch)
	f("truncated v1", good[:len(good)-2], secret, "POST", "/pb?x=1", `{"a":1}`, now, time.Minute, ErrSignatureMismatch)
}
