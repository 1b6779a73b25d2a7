package tracker

import (
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"
)

// MaxRequestHead is the longest request line plus headers the public
// listener reads: fasthttp's read buffer, whose default of 4 KiB lost
// tracking links whose networks append long encoded values (an oversize
// value is stored cut and flagged, but only a request that fits is read).
// 16 KiB is what the large CDNs forward (CloudFront 8 KiB of URL,
// Cloudflare 16 KiB); past it fasthttp answers 431. Each open connection
// holds one such buffer.
const MaxRequestHead = 16 << 10

// NewServer returns the public listener's server for t. Its limits belong
// with the handlers that rely on them, so the edge and the tests serve with
// the same ones.
func (t *Tracker) NewServer(logger fasthttp.Logger) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:            t.Handler,
		Name:               "clickedge",
		ReadTimeout:        30 * time.Second,
		WriteTimeout:       30 * time.Second,
		IdleTimeout:        2 * time.Minute,
		MaxRequestBodySize: MaxConversionBody,
		ReadBufferSize:     MaxRequestHead,
		// Bodies over the conversion limit reach the handler as a stream,
		// so one too large is refused without reading it all, while the
		// batch endpoint reads its larger bodies.
		StreamRequestBody: true,
		// Without this fasthttp reads a whole multipart body (spilling to
		// temp files) before the handler can refuse it; conversions are
		// never multipart.
		DisablePreParseMultipartForm: true,
		NoDefaultContentType:         true,
		// No handler reads ctx.Time: without this fasthttp reads the
		// clock for it before every request.
		LazyRequestTime: true,
		ErrorHandler:    unreadRequest,
		CloseOnShutdown: true,
		Logger:          logger,
		// A request it could not read is logged without its bytes: they
		// may hold an Authorization header (a conversion token).
		SecureErrorLogMessage: true,
	}
}

// Requests the server could not read reach no handler, so no click or
// conversion counter sees them: a tracking link too long for
// MaxRequestHead is a click lost, and operators should see how many.
var (
	unreadHeadTooLarge = metrics.NewCounter(`clickedge_requests_unread_total{reason="head_too_large"}`)
	unreadTimeout      = metrics.NewCounter(`clickedge_requests_unread_total{reason="timeout"}`)
	unreadMalformed    = metrics.NewCounter(`clickedge_requests_unread_total{reason="malformed"}`)
)

var headTooLarge = "request line and headers over " + strconv.Itoa(MaxRequestHead>>10) + " KiB\n"

// unreadAnswerTimeout bounds writing the answer to a request that could
// not be read.
const unreadAnswerTimeout = 5 * time.Second

// UnreadAnswer is the status and text that answer a request a server could
// not read, as fasthttp's default would: 431 for a head over its read
// buffer, 408 for a read timeout, 413 for a body over its limit, else 400.
// The admin listener answers with it too.
func UnreadAnswer(err error) (int, string) {
	var small *fasthttp.ErrSmallBuffer
	var op *net.OpError
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return fasthttp.StatusRequestEntityTooLarge, "request body too large\n"
	case errors.As(err, &small):
		return fasthttp.StatusRequestHeaderFieldsTooLarge, "request line and headers too large\n"
	case errors.As(err, &op) && op.Timeout():
		return fasthttp.StatusRequestTimeout, "request timeout\n"
	}
	return fasthttp.StatusBadRequest, "malformed request\n"
}

// unreadRequest answers a request the public listener could not read
// (UnreadAnswer, and the connection closed), counts it, and tells a CDN not
// to keep the answer.
func unreadRequest(ctx *fasthttp.RequestCtx, err error) {
	if c := ctx.Conn(); c != nil {
		// The answer gets its own time: the write deadline may be the one
		// fasthttp set at a TLS handshake, passed by the time a slow head
		// runs out its read timeout, and a TLS record written past it is
		// left half sent, which the client reads as a corrupt record.
		c.SetWriteDeadline(time.Now().Add(unreadAnswerTimeout))
	}
	code, msg := UnreadAnswer(err)
	switch code {
	case fasthttp.StatusRequestHeaderFieldsTooLarge:
		unreadHeadTooLarge.Inc()
		msg = headTooLarge // names this listener's limit
	case fasthttp.StatusRequestTimeout:
		unreadTimeout.Inc()
	default:
		unreadMalformed.Inc()
	}
	ctx.Error(msg, code)
	noStore(ctx)
}
