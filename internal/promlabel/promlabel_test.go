package promlabel

import "testing"

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"acme", `"acme"`},
		{"Acme\u00a0Ads", "\"Acme\u00a0Ads\""},
		{"tab\there", "\"tab\there\""},
		{`back\slash "q"`, `"back\\slash \"q\""`},
		{"two\nlines", `"two\nlines"`},
		{"", `""`},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
