package dispatch

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/internal/deadline"
)

// hostClients are one sender's keep-alive clients, one per host its
// partner's templates name (usually one, a few at most). fasthttp.Client
// does the same, but looks the host up under a read lock shared by every
// worker and keeps counters per request; a partner's hosts change only
// with its config, so here the map is copied when a host is added and read
// without a lock.
type hostClients struct {
	settings clientSettings
	mu       sync.Mutex // serialises adding a host
	m        atomic.Pointer[hostMaps]
}

// clientSettings are what a sender's host clients share.
type clientSettings struct {
	name     string // User-Agent
	maxConns int
	timeout  time.Duration // an attempt: a free connection, dialling, the TLS handshake
	dial     fasthttp.DialFuncWithTimeout
	// answers are the responses the sender's workers read into, by their
	// requests, for RetryIfErr, which fasthttp calls with the request
	// alone (nil: no retry knows whether a head was read).
	answers *answerOf
	// starts are the open connections, which remember how each answer
	// began (answerstart.go; nil: not remembered).
	starts *answerStarts
}

// answerOf maps each worker's request to the response it reads into: a
// worker keeps one of each for its life, so the map changes only when a
// worker starts or ends.
type answerOf struct {
	mu sync.RWMutex
	m  map[*fasthttp.Request]*fasthttp.Response
}

func (a *answerOf) add(req *fasthttp.Request, resp *fasthttp.Response) {
	a.mu.Lock()
	if a.m == nil {
		a.m = map[*fasthttp.Request]*fasthttp.Response{}
	}
	a.m[req] = resp
	a.mu.Unlock()
}

func (a *answerOf) remove(req *fasthttp.Request) {
	a.mu.Lock()
	delete(a.m, req)
	a.mu.Unlock()
}

func (a *answerOf) of(req *fasthttp.Request) *fasthttp.Response {
	if a == nil {
		return nil
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.m[req]
}

// headRead reports whether resp holds the head of an answer whose body
// then failed: a head that announces a body (a length, chunks, or until
// the connection closes) sets its content length, which a response reset
// for the attempt has at 0; a head that could not be read leaves it so.
// The status decides such an answer: its body never ending, cut short,
// reset, badly framed or too long only costs the connection, which
// fasthttp closes. (Streamed instead, the body cost 7 % more CPU per
// postback in BenchmarkDispatcherVsHostClient.)
func headRead(resp *fasthttp.Response) bool { return resp.Header.ContentLength() != 0 }

// client returns a keep-alive client for addr: the template's path sent
// as rendered, a bounded answer, and connections whose deadlines are armed
// lazily (fasthttp sets a connection's write and read deadlines on every
// request, and each move would reset a runtime timer).
func (cs clientSettings) client(addr string, isTLS bool) *fasthttp.HostClient {
	dial := cs.dial
	var tlsConfig *tls.Config
	if isTLS {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		tlsConfig = &tls.Config{ServerName: host, ClientSessionCache: tls.NewLRUClientSessionCache(0)}
	}
	hc := &fasthttp.HostClient{
		Addr:                addr,
		IsTLS:               isTLS,
		Name:                cs.name,
		MaxConns:            cs.maxConns,
		MaxConnWaitTimeout:  cs.timeout,
		MaxIdleConnDuration: 90 * time.Second,
		// fasthttp passes what is left of the attempt: a retry on a fresh
		// connection dials within it, not within a whole timeout more.
		DialTimeout: func(addr string, left time.Duration) (net.Conn, error) {
			if left <= 0 || left > cs.timeout {
				left = cs.timeout
			}
			began := time.Now()
			c, err := dial(addr, left)
			if err != nil {
				return nil, err
			}
			c = deadline.WrapClient(c)
			if tlsConfig != nil {
				if c, err = handshake(c, tlsConfig, began.Add(left)); err != nil {
					return nil, err
				}
			}
			if cs.starts == nil {
				return c, nil
			}
			return cs.starts.wrap(c), nil
		},
		DisablePathNormalizing: true,
		// A body past this is left unread (the connection is closed); the
		// status decides, see headRead.
		MaxResponseBodySize: maxAnswerBody,
		// A partner's answer head may run to several KiB (a CDN's
		// Content-Security-Policy, cookies): fasthttp's default 4 KiB
		// buffer made such a 200 a transport error, posted again. The
		// reader is held only while a request is in flight.
		ReadBufferSize: 32 << 10,
		// An answer that is not HTTP (a partner or a proxy echoing the
		// request) is not quoted into the attempt's error: it may hold the
		// URL's credentials, which the admin listing masks.
		SecureErrorLogMessage: true,
	}
	hc.RetryIfErr = func(req *fasthttp.Request, attempts int, err error) (resetTimeout, retry bool) {
		if !staleConn(err) {
			return false, false
		}
		if resp := cs.answers.of(req); resp != nil && (headRead(resp) || cs.starts.status(resp.LocalAddr(), resp.RemoteAddr()) != 0) {
			// The partner answered, and its body was reset (or its head
			// was refused): it has the postback, and the status decides.
			// Sent again at once, it would have it twice.
			return false, false
		}
		// The pool's other idle connections are most likely stale too
		// (left idle as long): closed, the retry dials a fresh one.
		hc.CloseIdleConnections()
		return false, attempts == 1
	}
	return hc
}

// handshake makes the TLS handshake on c by the time by, and returns the TLS
// connection, which fasthttp then uses as it is. Left to fasthttp (with no
// client-wide write timeout, which would also bound every request), the
// handshake ran inside the first request's write, before any read deadline
// was set: a server that accepted the connection and never answered it
// held the worker for good.
func handshake(c net.Conn, config *tls.Config, by time.Time) (net.Conn, error) {
	tc := tls.Client(c, config)
	if err := tc.SetDeadline(by); err != nil {
		c.Close()
		return nil, err
	}
	if err := tc.Handshake(); err != nil {
		c.Close()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fasthttp.ErrTLSHandshakeTimeout
		}
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	if err := tc.SetDeadline(time.Time{}); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// staleConn reports the errors of a reused keep-alive connection that the
// partner's server had closed (Node's and Apache's close one left idle 5 s,
// nginx's 75): the client finds out only when it reuses it, and the request
// fails before any answer, with an end of file, a reset or a broken pipe.
// The clients' RetryIfErr then closes the pool's idle connections and
// makes the try again at once, once, on a fresh one, whatever the method:
// fasthttp's own rule retries only idempotent requests, which left a POST
// partner's postback failed and retried a backoff later.
// Postbacks are delivered at least once and partners dedupe by
// {event_id}, so a request the partner did see before the reset costs a
// duplicate, as a dispatcher retry would. Every other failure (a timeout,
// a refused connection, any answer) is the dispatcher's to retry, with
// backoff and the breaker: fasthttp would also have retried a GET up to
// five times at once.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, fasthttp.ErrConnectionClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// hostMaps are keyed by host (with its port, if the URI has one).
type hostMaps struct {
	http, https map[string]*fasthttp.HostClient
}

func (hm *hostMaps) of(tls bool) map[string]*fasthttp.HostClient {
	if tls {
		return hm.https
	}
	return hm.http
}

// do sends req, addressed by its absolute URI, to its host, and waits for
// the answer at most timeout.
func (h *hostClients) do(req *fasthttp.Request, resp *fasthttp.Response, timeout time.Duration) error {
	uri := req.URI()
	var tls bool
	switch string(uri.Scheme()) {
	case "http":
	case "https":
		tls = true
	default:
		return fmt.Errorf("unsupported scheme %q: http and https are supported", uri.Scheme())
	}
	host := uri.Host()
	var hc *fasthttp.HostClient
	if hm := h.m.Load(); hm != nil {
		hc = hm.of(tls)[string(host)] // no allocation: the key is only looked up
	}
	if hc == nil {
		hc = h.add(string(host), tls)
	}
	err := hc.DoTimeout(req, resp, timeout)
	if err != nil && headRead(resp) {
		// The head was read, then the body failed: the status decides
		// (see headRead). Taken for a transport error, an accepted
		// postback was posted again every backoff until max_age.
		return nil
	}
	if err != nil {
		if code := h.settings.starts.status(resp.LocalAddr(), resp.RemoteAddr()); code != 0 {
			// A head fasthttp refused: its status line decides
			// (answerstart.go).
			resp.Reset()
			resp.SetStatusCode(code)
			return nil
		}
	}
	return err
}

// maxAnswerBody is how much of an answer's body is read: past it the
// connection is closed rather than read to the end.
const maxAnswerBody = 64 << 10

// add returns the client for host, making it if no other worker has.
func (h *hostClients) add(host string, tls bool) *fasthttp.HostClient {
	h.mu.Lock()
	defer h.mu.Unlock()
	hm := &hostMaps{http: map[string]*fasthttp.HostClient{}, https: map[string]*fasthttp.HostClient{}}
	if old := h.m.Load(); old != nil {
		if hc := old.of(tls)[host]; hc != nil {
			return hc
		}
		maps.Copy(hm.http, old.http)
		maps.Copy(hm.https, old.https)
	}
	hc := h.settings.client(fasthttp.AddMissingPort(host, tls), tls)
	hm.of(tls)[host] = hc
	h.m.Store(hm)
	return hc
}

// closeIdle closes every host's idle connections.
func (h *hostClients) closeIdle() {
	if hm := h.m.Load(); hm != nil {
		for _, hc := range hm.http {
			hc.CloseIdleConnections()
		}
		for _, hc := range hm.https {
			hc.CloseIdleConnections()
		}
	}
}
