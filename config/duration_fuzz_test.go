package config

import (
	"testing"
	"time"
)

// FuzzParseDuration: a duration accepted is not negative, agrees with
// time.ParseDuration where that reads the text too, and is written by
// formatDuration as text that reads back the same.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90s", "1h30m", "2ms", "0", "7d", "1d12h", "30d", "1.5h", "1h1d", "0.5d", "106751d", "1d-5h", ".5s", "1e3s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
		if g, err := time.ParseDuration(s); err == nil && g != d {
			t.Fatalf("ParseDuration(%q) = %v, time.ParseDuration %v", s, d, g)
		}
		txt := formatDuration(d)
		if back, err := ParseDuration(txt); err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %v, written %q, which reads %v, %v", s, d, txt, back, err)
		}
	})
}
