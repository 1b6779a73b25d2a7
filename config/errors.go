package config

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is every error this package returns. Its message is always one line:
//
//	config: <file>: <key path>: <what is wrong>
//	config: <file>: line <n>: <YAML syntax error>
type Error struct {
	File string // Config.Source: a path or "embedded default"
	Key  string // dotted key path such as "partners.acme.retry.base"; "" for file-level errors
	Line int    // set for YAML syntax errors, which have no key
	Msg  string
	Err  error // underlying cause, if any (e.g. the os error from Load)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	b.WriteString(e.File)
	b.WriteString(": ")
	switch {
	case e.Key != "":
		b.WriteString(e.Key)
		b.WriteString(": ")
	case e.Line > 0:
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	b.WriteString(oneLine(e.Msg))
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// oneLine keeps a message on one line whatever a library put in it.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// quote renders a user value for a message: Go-quoted (so control characters
// and newlines can't break the line) and cut short when huge.
func quote(s string) string {
	const max = 120
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// join appends one mapping key to a dotted key path.
func join(path, key string) string {
	k := pathKey(key)
	if path == "" {
		return k
	}
	return path + "." + k
}

// index appends one list position to a key path: trusted_proxies[2].
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// pathKey prints a key bare when that is unambiguous and safe on one line,
// quoted otherwise (empty, ".", "..", spaces, slashes, control characters).
func pathKey(k string) string {
	if k == "" || k == "." || k == ".." {
		return strconv.Quote(k)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-' || c == '<' || c == '$' || c == '{' || c == '}' || c == '@' || c == ':') {
			return quote(k)
		}
	}
	return k
}
