package tracker

import (
	"time"

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
		CloseOnShutdown: true,
		Logger:          logger,
	}
}
