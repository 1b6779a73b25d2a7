package tracker

// Held conversions (CONTRACT §8).
//
// With replication on, a click made in one region reaches the others a few
// milliseconds later. A conversion that arrives here first must not be
// declared organic for that: it is held, and tried again until the click
// (or, for a signup or event, its install) has arrived or pending_window
// has passed since it was received. Which conversions are held:
//
//   - an install attributed to no click, or one whose click_id (sent, or in
//     its Play referrer) is not stored here: a device or fingerprint match
//     found meanwhile would take the place of the click it names;
//   - a signup or event whose install is unknown here, or held.
//
// A held conversion is stored at once, as any other (its event record
// answers a replay, its install record a repeated install_id), with match
// "pending", and answered so: {"attributed":false,"match":"pending",
// "postback":"pending"}. Its hold is an outbox entry (store.QueueHold) in
// the same batch, whose payload is the conversion as received, so that a
// restart resumes the holds. Every holdRetry the due holds are decided
// again, and all of them as soon as replication has stored a click or an
// install, in one transaction, by the same rules as a new conversion; the
// one decided is written back with its postback queued, and its hold
// deleted. Past the window it is decided with what is there (an install
// with no click found is organic). A held install or event is replicated
// only once decided; one that a peer region decided meanwhile (the same
// install_id or event_id sent to both) takes the peer's record, and its
// postback was the peer's to send: an event whose record the peer's
// replaced is no longer pending here, and its hold ends with nothing
// posted. Its event record keeps the conversion's own time, so the
// postback reports when the conversion happened.

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
)

const (
	// holdRetry is how often held conversions are decided again.
	holdRetry = 250 * time.Millisecond
	// heldStartCap bounds, in windows from when it was received, how long
	// a hold kept over a restart waits for the replication backlog.
	heldStartCap = 5
	// heldBatch is how many holds one pass decides, in one transaction.
	heldBatch   = 256
	heldVersion = 1
)

// holding reports whether conversions that might be attributed later are
// held: with replication on.
func holding(cfg *config.Config) bool { return cfg.Replication != nil }

// pendingWindow is how long a conversion is held: 0, decided at once, when
// replication is off (holds left from when it was on).
func pendingWindow(cfg *config.Config) time.Duration {
	if cfg.Replication == nil {
		return 0
	}
	return cfg.Replication.PendingWindow
}

// mayArriveLater reports whether the click that install in should be
// attributed to may not have been replicated here yet.
func (t *Tracker) mayArriveLater(cv *Conversion, in *store.Install) (bool, error) {
	if in.Match == store.MatchOrganic || in.Match == store.MatchViewThrough {
		return true, nil // a click, which outranks an impression, may be on its way
	}
	// A click named by the conversion that is not stored here may be on
	// its way, unless the install was credited to the first one named
	// (the referrer's is tried only when the field's is not credited).
	ids := cv.AttributionClickIDs()
	if in.Match == store.MatchClickID && in.ClickID == ids[0] {
		return false, nil
	}
	for _, id := range ids {
		if id == "" || (in.Match == store.MatchClickID && in.ClickID == id) {
			break
		}
		var c store.Click
		_, stored, err := t.st.GetClick([]byte(id), &c, nil)
		if err != nil || !stored {
			return !stored, err
		}
		if c.Flags&store.FlagBot != 0 {
			// A link-preview bot's fetch: the person's click of the same
			// link, which is stored over it, may be on its way.
			return true, nil
		}
	}
	return false, nil
}

// pendingInstall is the record of in while it is held: no click yet.
func pendingInstall(in *store.Install) *store.Install {
	return &store.Install{
		InstallID: in.InstallID, EventID: in.EventID, App: in.App, Platform: in.Platform,
		Time: in.Time, Match: store.MatchPending,
		GAID: in.GAID, IDFA: in.IDFA, OAID: in.OAID, IP: in.IP, UserAgent: in.UserAgent,
		Country: in.Country, AppVersion: in.AppVersion,
	}
}

// hold marks ev held and queues cv (with its event_id set) to be decided
// again.
func (t *Tracker) hold(tx *store.ConvTx, cv *Conversion, ev *store.Event, now time.Time) {
	ev.Match, ev.Postback = store.MatchPending, "pending"
	due := now.Add(holdRetry).UnixMilli()
	tx.OutboxPut(store.QueueHold, t.st.NewID(), store.StatusPending, due, appendHeld(nil, cv, now))
}

// RunHolds decides held conversions again every holdRetry, and at once
// when replication has stored clicks or installs, until stop is closed.
// The edge runs it whatever the config says: holds left from a run with
// replication on are decided at once by one without it.
func (t *Tracker) RunHolds(stop <-chan struct{}) {
	tick := time.NewTicker(holdRetry)
	defer tick.Stop()
	for {
		early := false
		select {
		case <-stop:
			return
		case <-tick.C:
		case <-t.st.ReplicationApplied():
			early = true
		}
		now := t.now()
		for {
			n, err := t.RetryHolds(now, early)
			if err != nil {
				t.log.Error("held conversions not decided", "err", err)
			}
			if err != nil || n < heldBatch {
				break
			}
		}
	}
}

// RetryHolds decides again, at now, at most heldBatch of the holds due by
// now, or with early every hold (what replication just stored may decide
// any of them), and returns how many it read. A hold still undecided is due
// again at now+holdRetry, past what the same now reads: a caller may call
// it again until it reads fewer than heldBatch.
func (t *Tracker) RetryHolds(now time.Time, early bool) (int, error) {
	type hold struct {
		pos     store.OutboxPos
		payload []byte
	}
	var due []hold
	next := now.Add(holdRetry).UnixMilli()
	to := now.UnixMilli() + 1
	if early {
		to = next // every hold is due by then, and none put back is read again
	}
	err := t.st.OutboxScan(store.QueueHold, store.StatusPending, 0, to, false, heldBatch, func(e store.OutboxEntry) bool {
		due = append(due, hold{store.OutboxPos{At: e.At, ID: e.ID}, append([]byte(nil), e.Payload...)})
		return true
	})
	if err == nil && len(due) < heldBatch {
		// A hold is never put further ahead than holdRetry: one due later
		// than that was put when the clock read later than it does now
		// (stepped back since), and is due now.
		err = t.st.OutboxScan(store.QueueHold, store.StatusPending, next+1, math.MaxInt64, false, heldBatch-len(due), func(e store.OutboxEntry) bool {
			due = append(due, hold{store.OutboxPos{At: e.At, ID: e.ID}, append([]byte(nil), e.Payload...)})
			return true
		})
	}
	if err != nil || len(due) == 0 {
		return 0, err
	}
	// Installs first: an event or signup held beside its install (an SDK
	// that sends both at once, the event first) is then decided after its
	// install in the same pass, and takes its attribution, rather than a
	// pass later. The transaction reads its own writes.
	slices.SortStableFunc(due, func(a, b hold) int { return cmp.Compare(heldRank(a.payload), heldRank(b.payload)) })
	cfg := t.cfg.Load()
	window := pendingWindow(cfg)
	tx := t.st.BeginConversions()
	queued := 0
	var decidedEvents []*store.Event
	var decidedInstalls []decidedInstall
	for _, h := range due {
		var cv Conversion
		since, err := decodeHeld(h.payload, &cv)
		if err != nil {
			// Nothing can decide it: say so, and drop the hold (its
			// event record stays, answered "pending").
			t.log.Error("held conversion unreadable; dropped", "id", h.pos.ID, "err", err)
			tx.OutboxDelete(store.QueueHold, h.pos.ID, store.StatusPending, h.pos.At)
			continue
		}
		// A hold older than the edge's start waits for the replication
		// backlog: a stopped edge receives nothing, and what the peers sent
		// while it was down (the click an install waits for) comes after
		// the start. Until the peers' streams are applied to their ends,
		// its window counts from the start; but never past heldStartCap
		// windows from when it was received, so that an edge restarted
		// again and again with NATS out of reach still ends its holds.
		from := since
		if from.Before(t.started) && !t.st.ReplicationCaughtUp() && now.Sub(since) < heldStartCap*window {
			from = t.started
		}
		final := now.Sub(from) >= window
		// An event's or signup's install held here too arrived before the
		// event's window ended (else the event would not find it), so it
		// is decided within one more window: the event waits for it that
		// long, and takes its attribution (CONTRACT §4).
		// Unless this pass read a full batch: its install's hold may be
		// among those a later pass reads (an edge restarted after its
		// holds' windows, with more than one pass due); it waits a pass.
		installFinal := now.Sub(from) >= 2*window+holdRetry && len(due) < heldBatch
		decided, still, err := t.decideHeld(tx, cfg, &cv, since, now, final, installFinal, &decidedInstalls)
		if err != nil {
			tx.Abort()
			return 0, fmt.Errorf("held conversion %q: %w", cv.EventID, err)
		}
		if still {
			tx.OutboxMove(store.QueueHold, h.pos.ID, store.StatusPending, h.pos.At, store.StatusPending, next, h.payload)
			continue
		}
		tx.OutboxDelete(store.QueueHold, h.pos.ID, store.StatusPending, h.pos.At)
		if decided != nil {
			if decided.Postback == "queued" {
				queued++
			}
			decidedEvents = append(decidedEvents, decided)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	// Counted once committed: a failed commit leaves them held, to be
	// decided (and counted) again.
	for _, d := range decidedInstalls {
		countDecided(d.in, d.afterBegin)
	}
	for _, ev := range decidedEvents {
		countHeldDecided(ev)
	}
	if queued > 0 {
		t.notify(queued, now.UnixMilli())
	}
	return len(due), nil
}

// decidedInstall is an install a pass decided, counted once committed.
type decidedInstall struct {
	in         *store.Install
	afterBegin bool
}

// heldRank orders a pass's holds: installs before the rest.
func heldRank(payload []byte) int {
	if len(payload) >= 2 && ConversionType(payload[1]) == ConversionInstall {
		return 0
	}
	return 1
}

// decideHeld decides held conversion cv again. It returns its event record
// as decided, or still set when it stays held (neither when there is
// nothing left to decide). Past final, an install is decided with what is
// here; an event or signup is too, unless its install is held here still,
// which it waits for until installFinal.
func (t *Tracker) decideHeld(tx *store.ConvTx, cfg *config.Config, cv *Conversion, since, now time.Time, final, installFinal bool, installs *[]decidedInstall) (decided *store.Event, still bool, err error) {
	ev, ok, err := tx.Event(cv.EventID)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		// The hold outlived its record: event_retention deleted it while
		// the edge was stopped for longer than the retention. It was never
		// decided (a decision deletes the hold with it), so its record is
		// made again from what the hold kept and it is decided as usual:
		// else a held install stayed pending for good, never posted nor
		// replicated, and a held event was never posted.
		at := cv.EventTime
		if at == 0 {
			at = since.Unix()
		}
		ev = &store.Event{EventID: cv.EventID, InstallID: cv.InstallID, Kind: uint8(cv.Type),
			Name: eventName(cv), Time: at, Match: store.MatchPending, Postback: "pending"}
		if cv.HasRevenue {
			ev.Revenue, ev.Currency = cv.Revenue.String(), cv.Currency
		}
	}
	if ev.Match != store.MatchPending {
		// Decided already, and not here (a decision here deletes the
		// hold with it): a peer region's record of the same event_id
		// replaced the held one, and the peer posted it. Nothing to
		// write; the hold ends as a duplicate.
		ev.Postback = "duplicate"
		return ev, false, nil
	}
	in, ok, err := tx.Install(cv.InstallID)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		in = nil
	}
	if cv.Type == ConversionSignup {
		if sid, ok, err := tx.Signup(cv.InstallID); err != nil {
			return nil, false, err
		} else if ok && sid != cv.EventID {
			// A peer region decided this install's signup meanwhile, and
			// posted it.
			ev.Match, ev.Postback = store.MatchOrganic, "duplicate"
			if in != nil && in.Attributed() {
				ev.Attributed, ev.Match, ev.ClickID, ev.Campaign = true, in.Match, in.ClickID, in.Campaign
			}
			tx.PutEvent(ev)
			return ev, false, nil
		}
	}
	if cv.Type == ConversionInstall && in != nil && in.Match != store.MatchPending {
		// Decided in another region while held here (the same install_id
		// sent to both), and posted there: take its attribution, post
		// nothing.
		ev.Match, ev.Postback = store.MatchOrganic, "duplicate"
		if in.Attributed() {
			ev.Attributed, ev.Match, ev.ClickID, ev.Campaign = true, in.Match, in.ClickID, in.Campaign
		}
		tx.PutEvent(ev)
		return ev, false, nil
	}
	if cv.Type == ConversionInstall && in != nil && in.Match == store.MatchPending {
		fresh, afterBegin, err := t.newInstall(cfg, cv, cv.EventID, in.Time)
		if err != nil {
			return nil, false, err
		}
		if !final {
			if later, err := t.mayArriveLater(cv, fresh); err != nil || later {
				return nil, err == nil, err
			}
		}
		*installs = append(*installs, decidedInstall{fresh, afterBegin}) // counted once committed
		tx.PutInstall(fresh)
		in = fresh
	}
	if in == nil || in.Match == store.MatchPending {
		if !final || in != nil && !installFinal {
			return nil, true, nil
		}
		in = nil // past the window: decided without its install
	}
	ev.Match, ev.Postback = store.MatchOrganic, "none"
	t.attributeEvent(tx, cfg, cv, in, ev, now)
	tx.PutEvent(ev)
	return ev, false, nil
}

// A held conversion's payload: version(1) type(1) since(varint, unix ms)
// event_time(varint), then its revenue as text ("" for none) and each
// string field of heldStrings, each as a uvarint length and its bytes;
// then, when set, install_begin_time as heldBeginTime(1) and a varint, and
// which identifying fields Tidy cut as heldCut(2) and a byte (fields added
// later: a payload from before them ends after the strings).

// Tags of a held payload's optional trailing fields, in the order written.
const (
	heldBeginTime = 1 // install_begin_time
	heldCut       = 2 // Conversion.cut: a cut id matches no click
)

func heldStrings(cv *Conversion) [15]*string {
	return [...]*string{&cv.InstallID, &cv.EventName, &cv.EventID, &cv.ClickID, &cv.InstallReferrer,
		&cv.App, &cv.Platform, &cv.GAID, &cv.IDFA, &cv.OAID, &cv.IP, &cv.UserAgent, &cv.Country,
		&cv.AppVersion, &cv.Currency}
}

func appendHeld(dst []byte, cv *Conversion, since time.Time) []byte {
	dst = append(dst, heldVersion, byte(cv.Type))
	dst = binary.AppendVarint(dst, since.UnixMilli())
	dst = binary.AppendVarint(dst, cv.EventTime)
	revenue := ""
	if cv.HasRevenue {
		revenue = cv.Revenue.String()
	}
	dst = binary.AppendUvarint(dst, uint64(len(revenue)))
	dst = append(dst, revenue...)
	for _, p := range heldStrings(cv) {
		dst = binary.AppendUvarint(dst, uint64(len(*p)))
		dst = append(dst, *p...)
	}
	if cv.InstallBeginTime != 0 {
		dst = binary.AppendVarint(append(dst, heldBeginTime), cv.InstallBeginTime)
	}
	if cv.cut != 0 {
		dst = append(dst, heldCut, cv.cut)
	}
	return dst
}

var errHeldCorrupt = errors.New("corrupt held conversion")

func decodeHeld(b []byte, cv *Conversion) (since time.Time, err error) {
	if len(b) < 2 || b[0] != heldVersion {
		return since, errHeldCorrupt
	}
	cv.Type = ConversionType(b[1])
	b = b[2:]
	ms, n := binary.Varint(b)
	if n <= 0 {
		return since, errHeldCorrupt
	}
	b = b[n:]
	cv.EventTime, n = binary.Varint(b)
	if n <= 0 {
		return since, errHeldCorrupt
	}
	b = b[n:]
	str := func() (string, bool) {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return "", false
		}
		s := string(b[n : n+int(l)])
		b = b[n+int(l):]
		return s, true
	}
	revenue, ok := str()
	if !ok {
		return since, errHeldCorrupt
	}
	for _, p := range heldStrings(cv) {
		if *p, ok = str(); !ok {
			return since, errHeldCorrupt
		}
	}
	cv.InstallBeginTime, cv.cut = 0, 0
	if len(b) != 0 && b[0] == heldBeginTime {
		if cv.InstallBeginTime, n = binary.Varint(b[1:]); n <= 0 || cv.InstallBeginTime == 0 {
			return since, errHeldCorrupt
		}
		b = b[1+n:]
	}
	if len(b) != 0 && b[0] == heldCut {
		if len(b) < 2 || b[1] == 0 {
			return since, errHeldCorrupt
		}
		cv.cut = b[1]
		b = b[2:]
	}
	if len(b) != 0 {
		return since, errHeldCorrupt
	}
	if revenue != "" {
		if cv.Revenue, err = ParseDecimal(revenue); err != nil {
			return since, errHeldCorrupt
		}
		cv.HasRevenue = true
	}
	return time.UnixMilli(ms), nil
}
