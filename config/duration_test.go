package config

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7d", 7 * day, true},
		{"1d12h", 36 * time.Hour, true},
		{"30d", 30 * day, true},
		{"2ms", 2 * time.Millisecond, true},
		{"90s", 90 * time.Second, true},
		{"0", 0, true},
		{"0d", 0, true},
		{"1.5h", 90 * time.Minute, true},
		{"12h1d", 36 * time.Hour, true},
		{"1d1d", 2 * day, true},
		{"1h30m", 90 * time.Minute, true},
		{"", 0, false},
		{"7x", 0, false},
		{"-1d", 0, false},
		{"-1h", 0, false},
		{"+1d", 0, false},
		{"d", 0, false},
		{"7", 0, false},
		{"1d5", 0, false},
		{"1.5d", 0, false},
		{" 7d", 0, false},
		{"7 d", 0, false},
		{"106751d", 106751 * day, true},
		{"106752d", 0, false},
		{"106751d24h", 0, false},
		{"99999999999999999999d", 0, false},
	} {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0"},
		{2 * time.Millisecond, "2ms"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{24 * time.Hour, "1d"},
		{40 * 24 * time.Hour, "40d"},
		{36 * time.Hour, "1d12h"},
		{7*24*time.Hour + time.Second, "7d1s"},
		{-time.Second, "-1s"},
	} {
		if got := formatDuration(tc.in); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.in, got, tc.want)
		}
		if tc.in >= 0 {
			if back, err := ParseDuration(formatDuration(tc.in)); err != nil || back != tc.in {
				t.Errorf("ParseDuration(formatDuration(%v)) = %v, %v", tc.in, back, err)
			}
		}
	}
}
