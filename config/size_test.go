package config

import "testing"

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"64MiB", 64 << 20, true},
		{"1GiB", 1 << 30, true},
		{"512KiB", 512 << 10, true},
		{"2TiB", 2 << 40, true},
		{"100B", 100, true},
		{"67108864", 64 << 20, true}, // bare bytes
		{"1.5GiB", 3 << 29, true},
		{"0", 0, true},
		{"64 MiB", 0, false}, // no space: one token, like a duration
		{"64MB", 0, false},   // decimal units are ambiguous: refused
		{"64mib", 0, false},
		{"MiB", 0, false},
		{"", 0, false},
		{"-1MiB", 0, false},
		{"1e3", 0, false},
		{"0.5B", 0, false}, // a byte is whole
		{"99999999999TiB", 0, false},
		{"1.5.1MiB", 0, false},
	} {
		got, err := ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
