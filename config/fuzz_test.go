package config

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; an error is one *Error line naming the file,
// the same on every run (deterministic order); a success validates.
// Seeds: the testdata files, the embedded default, and the corpus committed
// under testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"contract.yaml", "replication.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(DefaultYAML())
	f.Add([]byte(base + "campaigns:\n  c1: {app: com.x, partner: acme, click_lookback: 1d12h}\n"))

	lookup := env("TOKEN", "abc", "CLICKEDGE_ADMIN_TOKEN", "t", "BAD", "x\n: [")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, lookup)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "config: fuzz.yaml: ") || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("bad message form: %q", msg)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("not a *config.Error: %#v", err)
			}
			if _, err2 := Parse("fuzz.yaml", data, lookup); err2 == nil || err2.Error() != msg {
				t.Fatalf("not deterministic: %q then %v", msg, err2)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse succeeded but Validate fails: %v", err)
		}
	})
}

// FuzzParseSize: ParseSize never panics; a size it accepts is not negative
// and reads back the same from its bare byte count.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"64MiB", "1.5GiB", "100B", "67108864", "0", "1e3", "9223372036854775807", ".5KiB", "1.0000000001TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSize(s)
		if err != nil {
			if v != 0 {
				t.Fatalf("ParseSize(%q) = %d with error %v", s, v, err)
			}
			return
		}
		if v < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, v)
		}
		if back, err := ParseSize(strconv.FormatInt(v, 10)); err != nil || back != v {
			t.Fatalf("ParseSize(%q) = %d, which reads back as %d, %v", s, v, back, err)
		}
	})
}
