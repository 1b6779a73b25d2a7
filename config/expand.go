package config

import "strings"

// expand replaces each ${NAME}, NAME in [A-Z_][A-Z0-9_]*, with lookup(NAME)
// (unset: empty). Anything else that looks like ${...}, such as a partner's
// ${click_id}, is kept byte for byte. One pass: a value is never re-expanded,
// so an environment value containing ${X} stays literal. There is no escape;
// a literal ${UPPER} cannot be written, which no field needs.
func expand(s string, lookup func(string) (string, bool)) string {
	i := strings.Index(s, "${")
	if i < 0 {
		return s
	}
	var b strings.Builder
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i:]
		if n := varLen(s); n > 0 {
			v, _ := lookup(s[2 : n-1])
			b.WriteString(v)
			s = s[n:]
		} else {
			b.WriteString("${")
			s = s[2:]
		}
		i = strings.Index(s, "${")
	}
	b.WriteString(s)
	return b.String()
}

// varLen returns the length of the ${NAME} reference at the start of s, or 0.
func varLen(s string) int {
	for j := 2; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '}':
			if j == 2 {
				return 0
			}
			return j + 1
		case c == '_' || c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && j > 2:
		default:
			return 0
		}
	}
	return 0
}
