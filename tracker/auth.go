package tracker

import (
	"bytes"
	"crypto/subtle"

	"github.com/valyala/fasthttp"
)

var bearerScheme = []byte("Bearer")

// BearerOK reports whether auth, an Authorization header's value, carries
// one of tokens as a bearer token: the scheme's name in any case (RFC 9110
// §11.1), one space, then the token, compared in constant time with every
// one of tokens. An empty token never matches.
func BearerOK(auth []byte, tokens ...string) bool {
	scheme, got, ok := bytes.Cut(auth, []byte(" "))
	if !ok || !bytes.EqualFold(scheme, bearerScheme) {
		return false
	}
	match := 0
	for _, tok := range tokens {
		if tok != "" {
			match |= subtle.ConstantTimeCompare(got, s2b(tok))
		}
	}
	return match == 1
}

// conversionAllowed reports whether a conversion request may be read: with
// conversion_tokens set, it must carry one of them. A refused one is
// answered 401 with its body unread, and its connection is closed (the
// body is still on it).
func (t *Tracker) conversionAllowed(ctx *fasthttp.RequestCtx) bool {
	tokens := t.cfg.Load().ConversionTokens
	if len(tokens) == 0 || BearerOK(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization), tokens...) {
		return true
	}
	conversionsUnauthorized.Inc()
	closeUnread(ctx)
	jsonError(ctx, fasthttp.StatusUnauthorized, "missing or wrong bearer token (conversion_tokens)")
	ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="clickedge"`)
	return false
}
