package tracker

import "testing"

func TestParseViewLookback(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"3600", 3600, true},
		{"90s", 90, true},
		{"30m", 1800, true},
		{"24h", 86400, true},
		{"1d", 86400, true},
		{"366d", 366 * 86400, true},
		{"367d", 0, false},
		{"0", 0, false},
		{"0h", 0, false},
		{"h", 0, false},
		{"-1h", 0, false},
		{"1.5h", 0, false},
		{"1w", 0, false},
		{"24H", 0, false},
		{"1h30m", 0, false},
		{"9999999999", 0, false},
		{" 1h", 0, false},
		{"", 0, false},
	} {
		got, ok := parseViewLookback([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseViewLookback(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestIsImpressionPath(t *testing.T) {
	for path, want := range map[string]bool{
		"/v1/impression": true, "/v1/impression/com.example.app": true, "/v1/impression/": true,
		"/v1/impressions": false, "/v1/impressio": false, "/": false, "/v1/click": false,
	} {
		if got := isImpressionPath([]byte(path)); got != want {
			t.Errorf("isImpressionPath(%q) = %v, want %v", path, got, want)
		}
	}
}
