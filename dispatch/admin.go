package dispatch

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/clickedge/clickedge/store"
)

// View is one postback as the admin API shows it.
type View struct {
	ID        string        `json:"id"`
	Partner   string        `json:"partner"`
	InstallID string        `json:"install_id"`
	EventID   string        `json:"event_id"`
	EventName string        `json:"event_name"`
	Status    string        `json:"status"`
	URL       string        `json:"url"`
	NextAt    string        `json:"next_attempt_at,omitempty"`
	Attempts  []AttemptView `json:"attempts"`
}

// AttemptView is one attempt as the admin API shows it.
type AttemptView struct {
	Time       string  `json:"time"`
	StatusCode int     `json:"status_code"`
	LatencyMs  float64 `json:"latency_ms"`
	Error      string  `json:"error"`
}

// List returns up to limit (<= 0: all) postbacks with status st, of
// partner ("": of every partner): pending ones in the order they are due,
// delivered and failed ones newest first. URLs are rendered with the
// current templates and their secrets masked: a tried postback's at its
// last attempt's time, so that {timestamp} reads as it was sent, and an
// untried one's as it would be built now.
func (d *Dispatcher) List(st store.Status, limit int, partner string) ([]View, error) {
	ps := d.partners.Load()
	now := d.now()
	views := []View{}
	err := d.st.OutboxScan(store.QueuePostback, st, 0, 1<<62, st != store.StatusPending, 0, func(e store.OutboxEntry) bool {
		var j Job
		if err := DecodeJob(e.Payload, &j); err != nil || partner != "" && j.Partner != partner {
			return true
		}
		v := View{
			ID: fmt.Sprint(j.ID), Partner: j.Partner, InstallID: j.InstallID, EventID: j.EventID,
			EventName: j.EventName, Status: st.String(), Attempts: []AttemptView{},
		}
		if st == store.StatusPending {
			v.NextAt = time.UnixMilli(e.At).UTC().Format(time.RFC3339Nano)
		}
		at := now
		if n := len(j.Attempts); n > 0 {
			at = time.UnixMilli(j.Attempts[n-1].Time)
		}
		if p := ps.byName[j.Partner]; p != nil {
			if u, ok := RenderURL(nil, p, &j, at); ok {
				v.URL = maskURL(string(u), p.Config.Secret)
			}
		}
		for _, a := range j.Attempts {
			v.Attempts = append(v.Attempts, AttemptView{
				Time:       time.UnixMilli(a.Time).UTC().Format(time.RFC3339Nano),
				StatusCode: a.StatusCode, LatencyMs: float64(a.LatencyUS) / 1000, Error: a.Error,
			})
		}
		views = append(views, v)
		return limit <= 0 || len(views) < limit
	})
	if err != nil {
		return nil, fmt.Errorf("dispatch: list: %w", err)
	}
	return views, nil
}

// secretParams are query parameter names whose values are masked in the
// admin API and logs: partners put API keys in their postback URLs. A name
// matches when, lower-cased and without '-', '_' and spaces, it is one of these or
// ends with one: api_key, x-api-key, apiKey, accessToken, client_secret.
var secretParams = []string{"token", "key", "secret", "password", "passwd", "auth", "signature", "sig", "hmac"}

// credentialName reports whether a query parameter's (decoded) name is a
// credential's.
func credentialName(name string) bool {
	n := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == '_' || r == ' ' || r == '\t':
			return -1
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, name)
	for _, s := range secretParams {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// maskURL masks the partner's signing secret, the password of the URL's
// userinfo (fasthttp sends it as Basic credentials), and the values of
// query parameters whose names say they are credentials.
func maskURL(raw, secret string) string {
	raw = maskUserinfo(MaskURL(raw, secret))
	q := strings.IndexByte(raw, '?')
	if q < 0 {
		return raw
	}
	parts := strings.Split(raw[q+1:], "&")
	for i, p := range parts {
		name, _, found := strings.Cut(p, "=")
		if !found {
			continue
		}
		n, err := url.QueryUnescape(name)
		if err != nil {
			n = name
		}
		if credentialName(n) {
			parts[i] = name + "=****"
		}
	}
	return raw[:q+1] + strings.Join(parts, "&")
}

// maskUserinfo replaces the password of raw's userinfo with "****", or
// its user when it has no password: that is how API keys are given.
func maskUserinfo(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	start := len(raw) - len(rest)
	authority := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		authority = rest[:end]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return raw
	}
	colon := strings.IndexByte(authority[:at], ':')
	switch {
	case colon < 0: // a user alone is the credential (https://KEY@host/)
		return raw[:start] + "****" + raw[start+at:]
	case colon == at-1: // and so is one with an empty password
		return raw[:start] + "****" + raw[start+colon:]
	}
	return raw[:start+colon+1] + "****" + raw[start+at:]
}

// Redrive moves every failed postback of partner ("": of every partner)
// back to pending, due now, with a fresh max_age and backoff; its past
// attempts are kept. It returns how many moved. Undecodable entries stay
// failed. Redrives run one at a time: two at once would both move the same
// entries and index them twice.
func (d *Dispatcher) Redrive(partner string) (int, error) {
	d.redriveMu.Lock()
	defer d.redriveMu.Unlock()
	nowMs := d.now().UnixMilli()
	total := 0
	// The scans end past the failed entries there are now: the latest
	// failure's time, or now, if later. A postback this redrive moved,
	// tried and failed again since is then not moved (and sent) a second
	// time by a later batch.
	end := nowMs
	if err := d.st.OutboxScan(store.QueuePostback, store.StatusFailed, 0, math.MaxInt64, true, 1, func(e store.OutboxEntry) bool {
		end = max(end, e.At)
		return false
	}); err != nil {
		return 0, fmt.Errorf("dispatch: redrive: %w", err)
	}
	// Where the next scan resumes: every failed entry before (at, id) was
	// looked at and either moved or left failed on purpose.
	var at int64
	var id uint64
	// What this redrive moved: one it moved, tried and refused again since
	// is recorded failed at or after nowMs, which the scans reach when end
	// lies in the future (failures recorded under a clock that ran ahead)
	// or when it was refused within nowMs itself
	// (TestRedriveMovesEachOnce/same_millisecond). An entry
	// per postback moved; the failed list is at most 30 days long.
	moved := map[uint64]struct{}{}
	for {
		type entry struct {
			id, at int64
			job    []byte
		}
		var batch []entry
		full := false
		err := d.st.OutboxScanFrom(store.QueuePostback, store.StatusFailed, at, id, end+1, 0, func(e store.OutboxEntry) bool {
			at, id = e.At, e.ID+1
			if _, again := moved[e.ID]; again && e.At >= nowMs {
				return true
			}
			var j Job
			if DecodeJob(e.Payload, &j) != nil || partner != "" && j.Partner != partner {
				return true
			}
			j.FirstDue = nowMs
			batch = append(batch, entry{int64(e.ID), e.At, AppendJob(nil, &j)})
			moved[e.ID] = struct{}{}
			full = len(batch) == redriveBatch
			return !full
		})
		if err == nil && len(batch) > 0 {
			err = d.st.Update(func(w *store.Writer) error {
				for _, e := range batch {
					w.OutboxMove(store.QueuePostback, uint64(e.id), store.StatusFailed, e.at, store.StatusPending, nowMs, e.job)
				}
				return nil
			})
		}
		if err != nil {
			return total, fmt.Errorf("dispatch: redrive: %w", err)
		}
		total += len(batch)
		postbacksRedriven.Add(len(batch))
		d.lowerRescan(nowMs)
		d.Notify(len(batch))
		if !full {
			return total, nil
		}
	}
}

// redriveBatch is how many postbacks one redrive batch moves.
const redriveBatch = 1024
