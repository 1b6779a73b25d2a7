package tracker

import (
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// appendJSONString appends s as a JSON string, quotes included. Invalid
// UTF-8 becomes U+FFFD, so the answer is always valid JSON.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// appendJSONBytes is appendJSONString for a byte slice, without copying it.
func appendJSONBytes(dst, b []byte) []byte { return appendJSONString(dst, b2s(b)) }

// jsonError answers {"error": msg} with status.
func jsonError(ctx *fasthttp.RequestCtx, status int, msg string) {
	b := append(make([]byte, 0, 32+len(msg)), `{"error":`...)
	b = appendJSONString(b, msg)
	b = append(b, "}\n"...)
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}
