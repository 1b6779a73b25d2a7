package dispatch

import "strings"

// Template is a postback URL or body template compiled once, when the config
// is loaded, into literal and macro segments. It is immutable and safe for
// concurrent use.
type Template struct {
	raw  string
	segs []segment
	uses uint64 // bit m set when macro m occurs
}

// segment is raw[start:end] copied as is when m == 0, else macro m's value.
// Offsets instead of substrings keep a segment to 12 bytes, so a typical
// template's segments sit in one or two cache lines.
type segment struct {
	start, end uint32
	m          Macro
}

// CompileTemplate parses s. It never fails: every byte that is not part of a
// recognised {macro} is a literal, so foreign placeholders ({CLICK_ID},
// (idfa), ${ (x)!}, #s2#, {unknown}) pass through byte for byte.
func CompileTemplate(s string) *Template {
	t := &Template{raw: s}
	lit := 0 // start of the pending literal
	for i := 0; i < len(s); i++ {
		k := strings.IndexByte(s[i:], '{')
		if k < 0 {
			break
		}
		i += k
		j := i + 1
		for j < len(s) && IsMacroNameByte(s[j]) {
			j++
		}
		if j == i+1 || j == len(s) || s[j] != '}' {
			continue // "{}", "{ x}", "{X}", "{x" … stay literal; s[j] may open the next macro
		}
		m, ok := byName[s[i+1:j]]
		if !ok {
			i = j // an unknown {name} contains no '{', so skip past it
			continue
		}
		if lit < i {
			t.segs = append(t.segs, segment{start: uint32(lit), end: uint32(i)})
		}
		t.segs = append(t.segs, segment{m: m})
		t.uses |= 1 << m
		lit = j + 1
		i = j
	}
	if lit < len(s) {
		t.segs = append(t.segs, segment{start: uint32(lit), end: uint32(len(s))})
	}
	return t
}

// IsMacroNameByte reports whether c may appear in a macro's name: a macro
// is {name} with name in [a-z0-9_]+ (CONTRACT §5), in postback templates
// and in the tracker's redirect URLs alike.
func IsMacroNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
}

// String returns the template as written.
func (t *Template) String() string { return t.raw }

// Macros returns the recognised macros in the order they occur, aliases
// already resolved to their canonical id.
func (t *Template) Macros() []Macro {
	var ms []Macro
	for _, s := range t.segs {
		if s.m != 0 {
			ms = append(ms, s.m)
		}
	}
	return ms
}

// Uses reports whether the template contains macro m, so a caller can skip
// computing a value nobody renders (e.g. {timestamp}).
func (t *Template) Uses(m Macro) bool { return m.Valid() && t.uses&(1<<m) != 0 }

// UnknownMacros returns the {name} tokens, name in [a-z0-9_]+, that are not
// recognised and so render literally: likely typos worth a warning when the
// config is checked. They are not an error; partners paste foreign macros.
func (t *Template) UnknownMacros() []string {
	var out []string
	s := t.raw
	for i := 0; i < len(s); i++ {
		if s[i] != '{' {
			continue
		}
		j := i + 1
		for j < len(s) && IsMacroNameByte(s[j]) {
			j++
		}
		if j == i+1 || j == len(s) || s[j] != '}' {
			continue
		}
		if _, ok := byName[s[i+1:j]]; !ok {
			out = append(out, s[i:j+1])
		}
		i = j
	}
	return out
}

// AppendURL appends the template rendered for a URL: literals as written,
// values percent-encoded (see AppendURLEncoded). It allocates only when dst
// must grow; a pooled buffer makes it allocation-free.
func (t *Template) AppendURL(dst []byte, v *Values) []byte {
	for _, s := range t.segs {
		if s.m == 0 {
			dst = append(dst, t.raw[s.start:s.end]...)
		} else if v != nil {
			dst = AppendURLEncoded(dst, v.v[s.m])
		}
	}
	return dst
}

// AppendJSON appends the template rendered for a JSON body: literals as
// written, values escaped as the inside of a JSON string. It adds no quotes:
// the template holds them ("click_id":"{click_id}").
func (t *Template) AppendJSON(dst []byte, v *Values) []byte {
	for _, s := range t.segs {
		if s.m == 0 {
			dst = append(dst, t.raw[s.start:s.end]...)
		} else if v != nil {
			dst = appendJSONEscaped(dst, v.v[s.m])
		}
	}
	return dst
}
