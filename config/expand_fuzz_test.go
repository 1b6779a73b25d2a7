package config

import (
	"regexp"
	"testing"
)

var expandOracle = regexp.MustCompile(`\$\{[A-Z_][A-Z0-9_]*\}`)

// FuzzExpand: expand is the regexp replacement of every ${NAME}, NAME in
// [A-Z_][A-Z0-9_]*, by its value, in one pass; everything else is kept byte
// for byte.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"${TOKEN}", "a${click_id}b", "${${TOKEN}}", "$${A}", "${A", "${}", "${_}", "${1A}", "${A1}${B}", "${TOKEN}x${NESTED}"} {
		f.Add(s)
	}
	vals := map[string]string{"TOKEN": "t0k", "A": "${TOKEN}", "_": "u", "NESTED": "${A}", "A1": "$", "B": "{B}"}
	lookup := func(n string) (string, bool) { v, ok := vals[n]; return v, ok }
	f.Fuzz(func(t *testing.T, s string) {
		want := expandOracle.ReplaceAllStringFunc(s, func(m string) string { return vals[m[2:len(m)-1]] })
		if got := expand(s, lookup); got != want {
			t.Fatalf("expand(%q) = %q, want %q", s, got, want)
		}
	})
}
