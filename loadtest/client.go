package loadtest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// errKind is how a request failed; errNone is success.
type errKind uint8

const (
	errNone errKind = iota
	errConnect
	errTimeout
	errRead
	errStatus4xx
	errStatus5xx
	errUnexpectedStatus // e.g. a click answered 200, or an unknown campaign answered 302
	errOther
	numErrKinds
)

var errNames = [numErrKinds]string{"", "connect", "timeout", "read", "status_4xx", "status_5xx", "unexpected_status", "other"}

// errNotSent names the slots a run could not start before its deadline
// because the target had fallen too far behind.
const errNotSent = "not_sent"

// newHostClient returns a keep-alive client pinned to u's host and port. A
// HostClient dials only its Addr whatever a request says, which is what
// keeps the tool from ever contacting another host.
func newHostClient(u *url.URL, o Options) *fasthttp.HostClient {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	hc := &fasthttp.HostClient{
		Addr:                   net.JoinHostPort(u.Hostname(), port),
		Name:                   clientAgent,
		MaxConns:               o.Conns,
		MaxConnWaitTimeout:     o.Timeout,
		MaxIdleConnDuration:    time.Minute,
		ReadTimeout:            o.Timeout,
		WriteTimeout:           o.Timeout,
		DisablePathNormalizing: true, // send the query exactly as built
		MaxResponseBodySize:    1 << 20,
		// One attempt: a GET (a click) that fails is an error to count,
		// not one for fasthttp to resend unseen.
		MaxIdemponentCallAttempts: 1,
	}
	if u.Scheme == "https" {
		hc.IsTLS = true
		hc.TLSConfig = &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	}
	return hc
}

// httpSender is one worker's connection to the target.
type httpSender struct {
	hc      *fasthttp.HostClient
	b       *builder
	req     *fasthttp.Request
	resp    *fasthttp.Response
	timeout time.Duration
	last    struct { // the last failure, for describe
		k            kind
		err          error
		status, want int
	}
}

func newHTTPSender(hc *fasthttp.HostClient, t *traffic, timeout time.Duration) *httpSender {
	return &httpSender{hc: hc, b: newBuilder(t), req: new(fasthttp.Request), resp: new(fasthttp.Response), timeout: timeout}
}

func (s *httpSender) send(i int64, _ time.Time) (kind, errKind) {
	k, want := s.b.build(i, s.req)
	s.resp.Reset()
	err := s.hc.DoTimeout(s.req, s.resp, s.timeout)
	ek := classify(err, s.resp.StatusCode(), want)
	if ek != errNone {
		s.last.k, s.last.err, s.last.status, s.last.want = k, err, s.resp.StatusCode(), want
	}
	return k, ek
}

func (s *httpSender) describe() string {
	l := s.last
	if l.err != nil {
		return fmt.Sprintf("%s: %v", kindNames[l.k], l.err)
	}
	return fmt.Sprintf("%s answered %d, want %d", kindNames[l.k], l.status, l.want)
}

// classify maps a transport error or an answer to an error kind.
func classify(err error, status, want int) errKind {
	if err != nil {
		var ne net.Error
		var op *net.OpError
		switch {
		case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
			errors.Is(err, fasthttp.ErrTLSHandshakeTimeout), errors.As(err, &ne) && ne.Timeout():
			return errTimeout
		case errors.As(err, &op) && op.Op == "dial", errors.Is(err, syscall.ECONNREFUSED):
			return errConnect
		case errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, io.EOF),
			errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.As(err, &op):
			return errRead
		}
		return errOther
	}
	switch {
	case status == want:
		return errNone
	case status >= 500:
		return errStatus5xx
	case status >= 400:
		return errStatus4xx
	}
	return errUnexpectedStatus
}
