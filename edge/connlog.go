package edge

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/tracker"
)

// fasthttpLogger is fasthttp's logger on both listeners.
//
// fasthttp logs a line for every connection it could not serve, with the
// bytes it received. An edge on the internet gets unreadable requests from
// every scanner, and the public listener already answers and counts them
// (clickedge_requests_unread_total), so those lines are debug lines: at
// warning level they were one line per scanner probe, a cheap way to fill
// an operator's disk. With anonymize_ip such a line names the remote
// network only and leaves out what was received, which may hold a tracking
// link's ip parameter. Everything else fasthttp says stays a warning.
type fasthttpLogger struct {
	l   *slog.Logger
	cfg *atomic.Pointer[config.Config]
}

// connErrorFormat is fasthttp's line for a connection it could not serve
// (workerpool.go); its arguments are the local address, the remote one and
// the error. Should a fasthttp upgrade change it, the line is logged as a
// warning again, in full, and TestUnreadRequestLogs says so.
const connErrorFormat = "error when serving connection %q<->%q: %v"

func (f fasthttpLogger) Printf(format string, args ...any) {
	if format != connErrorFormat || len(args) != 3 {
		f.l.Warn(fmt.Sprintf(format, args...), "component", "http")
		return
	}
	if !f.l.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	if cfg := f.cfg.Load(); cfg != nil && cfg.AnonymizeIP {
		remote := ""
		if a, ok := args[1].(net.Addr); ok {
			remote = string(tracker.AppendAnonymizedIP(nil, []byte(a.String())))
		}
		f.l.Debug("request not read", "component", "http", "remote", remote)
		return
	}
	f.l.Debug(fmt.Sprintf(format, args...), "component", "http")
}
