package tracker

import "bytes"

// ForEachNDJSONLine calls fn for each non-blank line of an NDJSON batch body,
// in order, with the line's trailing "\r" removed. A blank line (empty or only
// spaces, tabs and "\r") is skipped entirely: it gets no call and no index, so
// i counts the lines fn sees, 0-based, and is the index of the answer line the
// batch handler writes for it. The last line needs no "\n". line aliases body.
func ForEachNDJSONLine(body []byte, fn func(i int, line []byte)) {
	n := 0
	for len(body) > 0 {
		line := body
		if j := bytes.IndexByte(body, '\n'); j >= 0 {
			line, body = body[:j], body[j+1:]
		} else {
			body = nil
		}
		if k := len(line); k > 0 && line[k-1] == '\r' {
			line = line[:k-1]
		}
		if convBlankLine(line) {
			continue
		}
		fn(n, line)
		n++
	}
}

func convBlankLine(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
