package edge

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// FuzzParseExportFilter: any query either is refused with a message that
// names a parameter, or gives a range [from, to) with from <= to (empty
// only when both bounds fall inside one second).
func FuzzParseExportFilter(f *testing.F) {
	for _, q := range []string{
		"", "from=2026-11-25&to=2026-11-26", "from=2026-11-25T10:00:00Z", "to=2026-11-25T10:00:00.5+05:30",
		"attributed=true&campaign=c", "type=event&name=purchase", "app=a&partner=p", "from=yesterday",
		"from=2026-11-26&to=2026-11-25", "to=0001-01-01", "type=install&attributed=false",
		"from=2026-11-25T10:00:00.2Z&to=2026-11-25T10:00:00.7Z",
	} {
		f.Add(q, true)
		f.Add(q, false)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 500, time.UTC)
	f.Fuzz(func(t *testing.T, query string, events bool) {
		var args fasthttp.Args
		args.Parse(query)
		flt, msg := parseExportFilter(&args, events, now)
		if msg != "" {
			// A known filter's own message, or the first parameter it
			// does not know, named (the admin refuses those since 049f6a9).
			known := []string{"from", "to", "attributed", "campaign", "app", "partner", "name", "type"}
			name, _, ok := strings.Cut(msg, ":")
			if ok && slices.Contains(known, name) {
				return
			}
			for k := range args.All() {
				if !slices.Contains(known, string(k)) {
					if !strings.HasPrefix(msg, string(k)+": not a parameter here (") {
						t.Fatalf("%q: message %q does not name %q", query, msg, k)
					}
					return
				}
			}
			t.Fatalf("%q: message %q names no parameter", query, msg)
		}
		if flt.from > flt.to {
			t.Fatalf("%q: range [%d, %d) ends before it begins", query, flt.from, flt.to)
		}
	})
}
