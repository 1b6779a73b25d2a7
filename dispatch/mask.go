package dispatch

import (
	"cmp"
	"slices"
	"strings"
)

// MaskURL returns rawURL with every occurrence of each non-empty secret
// replaced by "****", for logs and the admin API. A secret can appear in a
// rendered URL raw (a template literal) or encoded (a macro value), so each
// is masked in every form it can take there: as is, percent-encoded with
// upper- or lower-case hex, and form-encoded (space as '+'). Longer forms
// are masked first, so masking "a%" cannot leave "****25" from "a%25".
func MaskURL(rawURL string, secrets ...string) string {
	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		enc := string(AppendURLEncoded(nil, []byte(s)))
		forms = append(forms, s, enc, lowerHexEscapes(enc), strings.ReplaceAll(enc, "%20", "+"))
	}
	if len(forms) == 0 {
		return rawURL
	}
	slices.SortFunc(forms, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	forms = slices.Compact(forms) // equal forms are adjacent now
	for _, f := range forms {
		if strings.Contains(rawURL, f) {
			rawURL = strings.ReplaceAll(rawURL, f, "****")
		}
	}
	return rawURL
}

// lowerHexEscapes lower-cases the hex digits of %XX escapes only.
func lowerHexEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = toLowerASCII(b[i+1])
			b[i+2] = toLowerASCII(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func toLowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
