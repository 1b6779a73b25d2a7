package edge

import (
	"log/slog"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// demoSink receives the embedded default's demo postbacks, logs them and
// keeps the last ones, so a newcomer sees click -> install -> postback.
type demoSink struct {
	log  *slog.Logger
	mu   sync.Mutex
	last []demoPostback
}

type demoPostback struct {
	Time   string `json:"time"`
	Method string `json:"method"`
	URI    string `json:"uri"`
	Body   string `json:"body,omitempty"`
}

const demoKeep = 100

func newDemoSink(log *slog.Logger) *demoSink { return &demoSink{log: log} }

func (d *demoSink) serve(ctx *fasthttp.RequestCtx) {
	if string(ctx.Path()) == "/_demo/postbacks" {
		if !allowMethod(ctx, fasthttp.MethodGet) {
			return
		}
		d.mu.Lock()
		list := append([]demoPostback{}, d.last...)
		d.mu.Unlock()
		writeJSON(ctx, fasthttp.StatusOK, list)
		return
	}
	if !ctx.IsGet() && !ctx.IsPost() {
		// What a partner's template sends; anything else is not a postback.
		ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, POST")
		writeJSON(ctx, fasthttp.StatusMethodNotAllowed, map[string]string{"error": "method: use GET or POST"})
		return
	}
	p := demoPostback{
		Time:   time.Now().UTC().Format(time.RFC3339Nano),
		Method: string(ctx.Method()),
		URI:    string(ctx.RequestURI()),
		Body:   string(ctx.PostBody()),
	}
	d.log.Info("demo postback received", "method", p.Method, "uri", p.URI)
	d.mu.Lock()
	if len(d.last) >= demoKeep {
		d.last = append(d.last[:0], d.last[1:]...)
	}
	d.last = append(d.last, p)
	d.mu.Unlock()
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBodyString("ok\n")
}
