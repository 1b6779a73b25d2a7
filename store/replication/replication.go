// Package replication carries clicks and conversions (installs, events,
// signups) between regions through
// NATS JetStream (CONTRACT §8): it publishes this region's replicate outbox
// to the region's stream, and applies each peer region's stream to the
// local store.
//
// Nothing here is on a request's path. A click or conversion is stored
// with its replication record in one Pebble batch (store/replicate.go); the
// publisher reads the outbox, publishes asynchronously and deletes only
// what the server acknowledged, so a NATS outage or a restart loses
// nothing: the outbox grows, and drains when the server is back. Each
// message carries a Nats-Msg-Id made of the region and the outbox entry's
// id, so a record published twice (a crash between the acknowledgement and
// the delete) is stored once by the server's duplicate window, and applied
// once anyway, since applying is idempotent.
//
// For each peer an ordered consumer reads the peer's stream from the
// sequence after the one the store last applied, which the store saves with
// each applied batch: a restart resumes there. The stream, not a durable
// consumer on the server, is the source of truth, so an edge needs no
// server-side state of its own beyond its region's stream.
//
// Streams are named CLICKEDGE_<region>, with subjects
// clickedge.<region>.click, .install, .event and .signup. The edge creates
// its own region's stream and only reads the peers', so the same edge runs
// against one JetStream server, a super-cluster, or per-region domains
// joined by leaf nodes whose operators mirror each peer's stream under its
// name (see the README).
package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/clickedge/clickedge/internal/latest"
	"github.com/clickedge/clickedge/store"
)

// Options configure Start.
type Options struct {
	Store  *store.Store
	Region string   // this edge's region: the stream it publishes to
	Peers  []string // the regions whose streams it applies
	URL    string   // nats_url: one URL or a comma-separated list
	Logger *slog.Logger
	// MaxAge is how long the region's stream, when the edge creates it,
	// keeps records: a peer away for longer misses what aged out. Default
	// DefaultMaxAge.
	MaxAge time.Duration
	// Version names the connection: clickedge/<version> (<region>).
	Version string
}

const (
	publishBatch = 512             // records published per round
	applyBatch   = 512             // records applied per store write
	ackTimeout   = 5 * time.Second // for one round's acknowledgements
	minBackoff   = 100 * time.Millisecond
	maxBackoff   = 5 * time.Second
	// dupWindow is the stream's duplicate window: a record re-published
	// within it after a crash is stored once.
	dupWindow = 2 * time.Minute
)

// A publisher reads from its cursor, and from the outbox's start every
// rescanEvery: a record committed later than cursorMargin after its
// position was taken (a commit held up by a stalled disk) is published then
// (variables for tests).
var (
	cursorMargin = 50 * time.Millisecond
	rescanEvery  = time.Second
)

// DefaultMaxAge is how long a stream the edge creates keeps records: long
// enough for a peer region to be down over a weekend and catch up.
const DefaultMaxAge = 72 * time.Hour

// StreamName is the JetStream stream of region's records.
func StreamName(region string) string { return "CLICKEDGE_" + region }

// Subject is the subject of one kind of region's records.
func Subject(region string, kind byte) string {
	switch kind {
	case store.ReplInstall:
		return "clickedge." + region + ".install"
	case store.ReplEvent:
		return "clickedge." + region + ".event"
	case store.ReplSignup:
		return "clickedge." + region + ".signup"
	}
	return "clickedge." + region + ".click"
}

// Replicator publishes and applies records until Stop.
type Replicator struct {
	o    Options
	log  *slog.Logger
	nc   *nats.Conn
	js   jetstream.JetStream
	stop chan struct{}
	wg   sync.WaitGroup

	lastConnErr atomic.Pointer[string] // connErr's last
	caughtUp    atomic.Int64           // peers whose streams were applied to their ends

	// What each follower last applied, for Status.
	peers sync.Map // peer -> *peerState

	// The publisher's position: every record before it is published (see
	// store.ReplicationPending), when it last read from the start, and its
	// reused buffers.
	cursor   store.OutboxPos
	lastFull time.Time
	recs     [][]byte
	pos      []store.OutboxPos
	kinds    []byte
	done     []store.OutboxPos
	ownSeq   uint64 // the highest own-stream sequence acknowledged this round
}

// Start connects to NATS (retrying in the background when the server is
// not up yet: replication never keeps the edge from serving) and starts
// the publisher and one follower per peer.
func Start(o Options) (*Replicator, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	r := &Replicator{o: o, log: o.Logger.With("component", "replication"), stop: make(chan struct{})}
	nc, err := nats.Connect(o.URL,
		nats.Name(fmt.Sprintf("clickedge/%s (%s)", o.Version, o.Region)),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		// A server that refuses the credentials (an edge started before
		// its user was added, accounts rotated in the wrong order) is an
		// outage like any other: keep trying, and say why. By default the
		// client closes the connection for good after two refusals.
		nats.IgnoreAuthErrorAbort(),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) { r.connErr(err) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { r.connErr(err) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				r.log.Warn("replication: disconnected from NATS; records queue in the outbox", "err", err)
			}
		}),
		nats.ConnectHandler(func(nc *nats.Conn) { // when the first try failed
			r.log.Info("replication: connected to NATS", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			r.log.Info("replication: connected to NATS again", "url", nc.ConnectedUrlRedacted())
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("replication: connect %s: %w", o.URL, err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(ackTimeout))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("replication: jetstream: %w", err)
	}
	r.nc, r.js = nc, js
	r.log.Info("replication: started", "region", o.Region, "stream", StreamName(o.Region), "peers", strings.Join(o.Peers, " "),
		"connected", nc.IsConnected(), "backlog", o.Store.ReplicationBacklog())
	if len(o.Peers) == 0 {
		o.Store.SetReplicationCaughtUp() // nothing to wait for
	}
	outboxDepth.Report(o.Store.ReplicationBacklog)
	connected.Report(func() int64 {
		if nc.IsConnected() {
			return 1
		}
		return 0
	})
	r.wg.Add(1 + len(o.Peers))
	go r.publish()
	for _, peer := range o.Peers {
		go r.follow(peer)
	}
	// A new store (a new region, or one whose data directory was lost)
	// reads its own region's stream once: what the region recorded before
	// is still there. It marks the reading pending first, so that a crash
	// during it resumes it; a store that existed before, written by a
	// version that never read its own stream, does not read it again.
	if known, err := o.Store.ReplicationStream(o.Region); err != nil {
		r.log.Warn("replication: cannot read the own stream's mark; not reading the region's own stream", "err", err)
	} else if known == ownStreamPending || known == 0 && o.Store.Fresh() {
		if err := o.Store.SetReplicationStream(o.Region, ownStreamPending, false); err != nil {
			r.log.Warn("replication: cannot mark the region's own stream to read", "err", err)
		} else {
			r.wg.Add(1)
			go r.untilDone("apply the region's own stream to a new store", r.recoverOwnOnce)
		}
	} else if from, err := ownCatchUpFrom(o.Store); err != nil {
		r.log.Warn("replication: cannot read how far the own stream was published; not reading it", "err", err)
	} else if from > 0 {
		// A store that existed before reads what its region's stream
		// holds past the last record it knows it published: nothing
		// after a restart (or the few whose acknowledgement was not
		// saved), and after a restore from a checkpoint, everything the
		// region recorded since, which its peers have too
		// (TestCheckpointRestoreKeepsRecordsSinceCheckpoint). Marked
		// first: the records published meanwhile move OwnPublished past
		// what is still to read, and a stop before the end resumes from
		// the mark (TestOwnCatchUpSurvivesRestart).
		if err := o.Store.SetOwnCatchUp(from); err != nil {
			r.log.Warn("replication: cannot mark the own stream's catch-up; not reading it", "err", err)
		} else {
			r.wg.Add(1)
			go r.untilDone("apply the region's own stream past what this store published", func() error {
				if _, err := r.applyOwn(from, "applying the region's own stream past the last record this store published"); err != nil {
					return err
				}
				return o.Store.SetOwnCatchUp(0)
			})
		}
	}
	return r, nil
}

// ownCatchUpFrom is the sequence of the own stream a store that existed
// before reads past: where an unfinished catch-up began, else the highest
// sequence it published (0: none known, nothing to read).
func ownCatchUpFrom(st *store.Store) (uint64, error) {
	pending, err := st.OwnCatchUp()
	if err != nil {
		return 0, err
	}
	published, err := st.OwnPublished()
	if err != nil {
		return 0, err
	}
	if pending > 0 && (published == 0 || pending < published) {
		return pending, nil
	}
	return published, nil
}

// ownStreamPending is the own stream's identity while a new store reads it.
const ownStreamPending = -1

// untilDone runs once until it succeeds or the replicator stops, waiting
// longer after each failure, which it logs as what could not be done.
func (r *Replicator) untilDone(what string, once func() error) {
	defer r.wg.Done()
	backoff := minBackoff
	for {
		err := once()
		if err == nil || errors.Is(err, errStopping) {
			return
		}
		r.log.Warn("replication: cannot "+what+"; will retry", "err", err)
		if !r.sleep(backoff) {
			return
		}
		backoff = nextBackoff(backoff)
	}
}

// recoverOwnOnce applies this region's own stream, up to its end at the
// time, to a new store, then marks it read.
func (r *Replicator) recoverOwnOnce() error {
	pos, err := r.o.Store.ReplicationPosition(r.o.Region)
	if err != nil {
		return err
	}
	created, err := r.applyOwn(pos, "applying the region's own stream to a new store")
	if err != nil {
		return err
	}
	return r.o.Store.SetReplicationStream(r.o.Region, created, false)
}

// applyOwn applies this region's own stream after sequence pos, up to its
// end when it begins (what saying names in the log), and returns the
// stream's identity.
func (r *Replicator) applyOwn(pos uint64, saying string) (created int64, err error) {
	own := r.o.Region
	ctx, cancel := r.ctx(10 * time.Second)
	defer cancel()
	created, last := int64(1), uint64(0)
	stream, err := r.js.Stream(ctx, StreamName(own))
	switch {
	case err == nil:
		created, last = stream.CachedInfo().Created.UnixNano(), stream.CachedInfo().State.LastSeq
	case !errors.Is(err, jetstream.ErrStreamNotFound):
		return 0, err
	}
	if pos < last {
		cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: pos + 1}
		cons, err := r.js.OrderedConsumer(ctx, StreamName(own), cfg)
		if err != nil {
			return 0, err
		}
		r.log.Info("replication: "+saying, "stream", StreamName(own), "records", last-pos)
		for pos < last {
			select {
			case <-r.stop:
				return 0, errStopping
			default:
			}
			batch, err := cons.Fetch(int(min(last-pos, applyBatch)), jetstream.FetchMaxWait(5*time.Second))
			if err != nil {
				return 0, err
			}
			var recs [][]byte
			seq := pos
			for m := range batch.Messages() {
				md, err := m.Metadata()
				if err != nil {
					return 0, err
				}
				if md.Sequence.Stream > last {
					continue
				}
				recs, seq = append(recs, m.Data()), md.Sequence.Stream
			}
			if len(recs) == 0 {
				if err := batch.Error(); err != nil {
					return 0, err
				}
				break // aged out under us
			}
			if _, err := r.o.Store.ApplyReplicated(own, seq, recs); err != nil {
				return 0, err
			}
			pos = seq
		}
	}
	return created, nil
}

// errStopping ends applyOwn when the replicator stops: what it did not
// apply is applied at the next start.
var errStopping = errors.New("replication: stopping")

// connErr logs an error of the connection, once until another one.
func (r *Replicator) connErr(err error) {
	if err == nil {
		return
	}
	msg := err.Error()
	if prev := r.lastConnErr.Swap(&msg); prev == nil || *prev != msg {
		r.log.Warn("replication: NATS refused or failed the connection; will retry", "err", err)
	}
}

// Stop stops publishing and applying, and closes the connection. Records
// not yet acknowledged stay in the outbox for the next start.
func (r *Replicator) Stop(ctx context.Context) error {
	close(r.stop)
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	defer r.nc.Close()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("replication: stop: %w", ctx.Err())
	}
}

// sleep waits d or until Stop, and reports whether to go on.
func (r *Replicator) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.stop:
		return false
	case <-t.C:
		return true
	}
}

func nextBackoff(d time.Duration) time.Duration { return min(2*d, maxBackoff) }

// ctx is a context that ends with Stop or after d.
func (r *Replicator) ctx(d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	go func() {
		select {
		case <-r.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// publish is the publisher loop.
func (r *Replicator) publish() {
	defer r.wg.Done()
	backoff := minBackoff
	streamReady := false
	var lastErr string
	fail := func(what string, err error) bool {
		if msg := err.Error(); msg != lastErr {
			r.log.Warn("replication: "+what+"; will retry", "err", err, "backlog", r.o.Store.ReplicationBacklog())
			lastErr = msg
		}
		ok := r.sleep(backoff)
		backoff = nextBackoff(backoff)
		return ok
	}
	for {
		select {
		case <-r.stop:
			return
		default:
		}
		if !streamReady {
			if err := r.ensureStream(); err != nil {
				if !fail("cannot create the region's stream", err) {
					return
				}
				continue
			}
			streamReady = true
		}
		n, err := r.publishRound()
		if err != nil {
			if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, jetstream.ErrStreamNotFound) {
				streamReady = false // deleted under us: make it again
			}
			if !fail("publishing failed", err) {
				return
			}
			continue
		}
		if lastErr != "" {
			r.log.Info("replication: publishing again", "backlog", r.o.Store.ReplicationBacklog())
			lastErr = ""
		}
		backoff = minBackoff
		if n == publishBatch {
			continue // more waiting
		}
		select {
		case <-r.stop:
			return
		case <-r.o.Store.ReplicationWake():
		case <-time.After(time.Second):
			// A record put in the outbox and not signalled (the wake-up
			// channel holds one signal) is picked up here at the latest.
		}
	}
}

// ensureStream creates this region's stream unless it exists. An existing
// stream is left as it is: its limits are the operator's to change.
func (r *Replicator) ensureStream() error {
	ctx, cancel := r.ctx(10 * time.Second)
	defer cancel()
	_, err := r.js.CreateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName(r.o.Region),
		Description: "clickedge: clicks and conversions recorded in region " + r.o.Region,
		Subjects:    []string{"clickedge." + r.o.Region + ".>"},
		Storage:     jetstream.FileStorage,
		MaxAge:      r.o.MaxAge,
		Duplicates:  dupWindow,
	})
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("stream %s: %w", StreamName(r.o.Region), err)
	}
	return nil
}

// publishRound publishes up to publishBatch records, waits for their
// acknowledgements, and deletes the acknowledged ones from the outbox. It
// returns how many it read.
func (r *Replicator) publishRound() (int, error) {
	r.recs, r.pos, r.kinds, r.done = r.recs[:0], r.pos[:0], r.kinds[:0], r.done[:0]
	r.ownSeq = 0 // numbered by the stream as it is now (one made again starts over)
	if now := time.Now(); now.Sub(r.lastFull) >= rescanEvery {
		r.cursor, r.lastFull = store.OutboxPos{}, now
	}
	err := r.o.Store.ReplicationPending(r.cursor, publishBatch, func(e store.OutboxEntry) bool {
		kind, ok := store.ReplicationKind(e.Payload)
		if !ok {
			kind = 0 // dropped below
		}
		r.recs = append(r.recs, append([]byte(nil), e.Payload...))
		r.pos = append(r.pos, store.OutboxPos{At: e.At, ID: e.ID})
		r.kinds = append(r.kinds, kind)
		return true
	})
	if err != nil || len(r.recs) == 0 {
		return 0, err
	}
	if !r.nc.IsConnected() {
		// The client would buffer the publishes until it reconnects, and
		// every round would buffer the same records again.
		return 0, errNotConnected
	}
	futures := make([]jetstream.PubAckFuture, 0, len(r.recs))
	var firstErr error
	for i, rec := range r.recs {
		if r.kinds[i] == 0 {
			// An unreadable entry would block nothing (later ones are
			// still published) but is never published itself: drop it.
			r.log.Error("replication: dropping an unreadable outbox record", "id", r.pos[i].ID)
			r.done = append(r.done, r.pos[i])
			futures = append(futures, nil)
			continue
		}
		msg := &nats.Msg{Subject: Subject(r.o.Region, r.kinds[i]), Data: rec}
		f, err := r.js.PublishMsgAsync(msg, jetstream.WithMsgID(r.o.Region+"."+strconv.FormatUint(r.pos[i].ID, 10)))
		if err != nil {
			firstErr = err
			break
		}
		futures = append(futures, f)
	}
	deadline := time.NewTimer(ackTimeout + time.Second)
	defer deadline.Stop()
	// The cursor moves up to the first record not acknowledged, which is
	// read again next round with the ones after it (those the server
	// stored already it drops as duplicates of their Nats-Msg-Id), but no
	// closer than cursorMargin to now: a record's position is taken before
	// its batch commits, so one committed a moment after a younger one (its
	// click waited for the next group) appears behind records already read.
	firstUnacked := r.pos[len(r.pos)-1].Next()
wait:
	for i := range r.recs {
		if i >= len(futures) {
			break // not published: the client refused
		}
		f := futures[i]
		ok := f == nil // an unreadable record, dropped
		if f != nil {
			select {
			case ack := <-f.Ok():
				ok = true
				if !ack.Duplicate { // a duplicate's is its first copy's, older
					r.ownSeq = max(r.ownSeq, ack.Sequence)
				}
			case err := <-f.Err():
				if firstErr == nil {
					firstErr = err
				}
			case <-deadline.C:
				if firstErr == nil {
					firstErr = errors.New("no acknowledgement in time")
				}
				firstUnacked = min2(firstUnacked, r.pos[i])
				break wait
			case <-r.stop:
				firstUnacked = min2(firstUnacked, r.pos[i])
				break wait
			}
		}
		if !ok {
			firstUnacked = min2(firstUnacked, r.pos[i])
			continue
		}
		if f != nil {
			r.done = append(r.done, r.pos[i])
		}
	}
	if len(futures) < len(r.recs) {
		firstUnacked = min2(firstUnacked, r.pos[len(futures)])
	}
	if err := r.o.Store.ReplicationPublished(r.done, r.ownSeq); err != nil {
		return len(r.recs), err
	}
	settled := store.OutboxPos{At: time.Now().Add(-cursorMargin).UnixMilli()}
	if next := min2(firstUnacked, settled); r.cursor.Less(next) {
		r.cursor = next
	}
	published.Add(len(r.done))
	return len(r.recs), firstErr
}

var errNotConnected = errors.New("not connected to NATS")

// streamCheckEvery is how often a follower checks that its peer's stream
// has not started over (a variable for tests).
var streamCheckEvery = 5 * time.Second

// checkStream reports an error when stream no longer reaches pos, or is
// no longer the stream followed, created at created (made again since).
func (r *Replicator) checkStream(stream jetstream.Stream, pos uint64, created int64) error {
	ctx, cancel := r.ctx(10 * time.Second)
	defer cancel()
	info, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream.CachedInfo().Config.Name, err)
	}
	if info.State.LastSeq < pos {
		return fmt.Errorf("stream %s ends at %d, before the position applied here (%d): it was made again",
			info.Config.Name, info.State.LastSeq, pos)
	}
	if info.Created.UnixNano() != created {
		// Made again and already past pos: only its creation time tells.
		// (Info refreshes the stream's cached info: the followed stream's
		// creation time is passed in.)
		return fmt.Errorf("stream %s was made again (created %s, not %s)",
			info.Config.Name, info.Created.UTC().Format(time.RFC3339Nano), time.Unix(0, created).UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// measureStalled sets peer's lag (measureLag) while its follower is not
// applying it, between tries after an error.
func (r *Replicator) measureStalled(peer string, lag *metrics.Gauge, state *peerState) {
	pos, err := r.o.Store.ReplicationPosition(peer)
	if err != nil {
		return
	}
	ctx, cancel := r.ctx(5 * time.Second)
	defer cancel()
	stream, err := r.js.Stream(ctx, StreamName(peer))
	if err != nil {
		return // NATS down, or no stream: nothing to measure
	}
	r.measureLag(stream, pos, lag, state)
}

// measureLag sets peer's lag and pending from its stream as it is now: the
// records past pos, and the age of the first of them (0 when none). The
// apply loop sets them as it applies; this is what shows a follower that
// has stopped applying (a record it cannot read, a consumer that went
// quiet) rather than one caught up: its lag then grows, and the alert on
// it fires.
func (r *Replicator) measureLag(stream jetstream.Stream, pos uint64, lag *metrics.Gauge, state *peerState) {
	ctx, cancel := r.ctx(5 * time.Second)
	defer cancel()
	info, err := stream.Info(ctx)
	if err != nil {
		return
	}
	var behind time.Duration
	var pending uint64
	if st := info.State; st.LastSeq > pos && st.Msgs > 0 {
		pending = st.LastSeq - pos
		m, err := stream.GetMsg(ctx, max(pos+1, st.FirstSeq))
		if err != nil {
			return
		}
		behind = max(0, time.Since(m.Time))
	}
	lag.Set(behind.Seconds())
	state.pending.Store(pending)
	state.lagMs.Store(behind.Milliseconds())
}

// peerState is what a follower reports.
type peerState struct {
	caughtUp atomic.Bool   // its stream was applied to its end since Start
	applied  atomic.Uint64 // the stream sequence applied last
	pending  atomic.Uint64 // records behind it in the stream, at that time
	lagMs    atomic.Int64  // how old the last applied record was, when some were pending
	err      atomic.Pointer[string]
}

// Status is the replication status the admin API shows.
type Status struct {
	Region    string       `json:"region"`
	Stream    string       `json:"stream"`
	Connected bool         `json:"connected"`
	Outbox    int64        `json:"outbox"` // records waiting to be published
	Peers     []PeerStatus `json:"peers"`
}

// PeerStatus is one peer's stream as applied here.
type PeerStatus struct {
	Peer       string  `json:"peer"`
	Stream     string  `json:"stream"`
	Applied    uint64  `json:"applied"` // the last sequence applied
	Pending    uint64  `json:"pending"` // records behind it, as of that one
	LagSeconds float64 `json:"lag_seconds"`
	Error      string  `json:"error,omitempty"` // why the stream is not being read
}

// Status reports the connection, the outbox and each peer's stream.
func (r *Replicator) Status() Status {
	st := Status{Region: r.o.Region, Stream: StreamName(r.o.Region), Connected: r.nc.IsConnected(),
		Outbox: r.o.Store.ReplicationBacklog(), Peers: []PeerStatus{}}
	for _, peer := range r.o.Peers {
		ps := PeerStatus{Peer: peer, Stream: StreamName(peer)}
		if v, ok := r.peers.Load(peer); ok {
			p := v.(*peerState)
			ps.Applied, ps.Pending = p.applied.Load(), p.pending.Load()
			ps.LagSeconds = float64(p.lagMs.Load()) / 1000
			if e := p.err.Load(); e != nil {
				ps.Error = *e
			}
		}
		st.Peers = append(st.Peers, ps)
	}
	return st
}

// follow applies peer's stream to the store until Stop, starting after the
// sequence the store last applied.
func (r *Replicator) follow(peer string) {
	defer r.wg.Done()
	state := new(peerState)
	r.peers.Store(peer, state)
	if pos, err := r.o.Store.ReplicationPosition(peer); err == nil {
		state.applied.Store(pos)
	}
	lag := metrics.GetOrCreateGauge(fmt.Sprintf(`clickedge_replication_lag_seconds{peer=%q}`, peer), nil)
	backoff := minBackoff
	var lastErr string
	for {
		err := r.followOnce(peer, lag, state)
		if err == nil {
			return // stopped
		}
		msg := err.Error()
		state.err.Store(&msg)
		r.measureStalled(peer, lag, state)
		if msg != lastErr {
			if errors.Is(err, jetstream.ErrStreamNotFound) {
				// A peer that has not started yet: not a fault.
				r.log.Info("replication: waiting for a peer's stream", "peer", peer, "stream", StreamName(peer))
			} else {
				r.log.Warn("replication: cannot apply a peer's stream; will retry", "peer", peer, "err", err)
			}
			lastErr = msg
		}
		if !r.sleep(backoff) {
			return
		}
		backoff = nextBackoff(backoff)
	}
}

// followOnce reads peer's stream from the stored position until Stop (nil)
// or an error.
func (r *Replicator) followOnce(peer string, lag *metrics.Gauge, state *peerState) error {
	pos, err := r.o.Store.ReplicationPosition(peer)
	if err != nil {
		return err
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if pos > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, pos+1
	}
	ctx, cancel := r.ctx(10 * time.Second)
	defer cancel()
	stream, err := r.js.Stream(ctx, StreamName(peer))
	if err != nil {
		return fmt.Errorf("stream %s: %w", StreamName(peer), err)
	}
	created := stream.CachedInfo().Created.UnixNano()
	known, err := r.o.Store.ReplicationStream(peer)
	if err != nil {
		return err
	}
	if known != created {
		// known == 0: a store from before identities were kept, whose
		// position counts in this stream (the checks below still catch a
		// stream that is behind it).
		startOver := known != 0
		if startOver {
			r.log.Warn("replication: a peer's stream was made again since it was last applied here; applying it from its start",
				"peer", peer, "stream", StreamName(peer), "applied", pos)
		}
		if err := r.o.Store.SetReplicationStream(peer, created, startOver); err != nil {
			return err
		}
		if startOver {
			pos, cfg.DeliverPolicy, cfg.OptStartSeq = 0, jetstream.DeliverAllPolicy, 0
		}
	}
	switch state := stream.CachedInfo().State; {
	case pos > state.LastSeq:
		// The stream was deleted and made again: its sequences start over.
		r.log.Warn("replication: a peer's stream is behind the position applied here (it was made again); applying it from its start",
			"peer", peer, "stream", StreamName(peer), "applied", pos, "last", state.LastSeq)
		pos, cfg.DeliverPolicy, cfg.OptStartSeq = 0, jetstream.DeliverAllPolicy, 0
	case state.Msgs > 0 && state.FirstSeq > pos+1:
		r.log.Warn("replication: records of a peer aged out of its stream before they were applied here",
			"peer", peer, "stream", StreamName(peer), "applied", pos, "first", state.FirstSeq)
	}
	if pos >= stream.CachedInfo().State.LastSeq {
		// Nothing to apply (after the checks above, which may start the
		// stream over): caught up with this peer.
		r.peerCaughtUp(state)
	}
	cons, err := r.js.OrderedConsumer(ctx, StreamName(peer), cfg)
	if err != nil {
		return fmt.Errorf("stream %s: %w", StreamName(peer), err)
	}
	msgs := make(chan jetstream.Msg, applyBatch)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case msgs <- m:
		case <-r.stop:
		}
	})
	if err != nil {
		return fmt.Errorf("stream %s: consume: %w", StreamName(peer), err)
	}
	defer cc.Stop()
	r.log.Info("replication: applying a peer's stream", "peer", peer, "stream", StreamName(peer), "after", pos)
	state.err.Store(nil)
	recs := make([][]byte, 0, applyBatch)
	seqs := make([]uint64, 0, applyBatch)
	check := time.NewTicker(streamCheckEvery)
	defer check.Stop()
	appliedSinceCheck := false
	for {
		var m jetstream.Msg
		select {
		case <-r.stop:
			return nil
		case <-cc.Closed():
			return fmt.Errorf("stream %s: consumer closed", StreamName(peer))
		case <-check.C:
			// An ordered consumer outlives its stream: deleted and made
			// again, the stream starts its sequences over below the
			// consumer's cursor, and nothing would be delivered again.
			if err := r.checkStream(stream, pos, created); err != nil {
				return err
			}
			if !appliedSinceCheck {
				r.measureLag(stream, pos, lag, state)
			}
			appliedSinceCheck = false
			continue
		case m = <-msgs:
		}
		recs, seqs = recs[:0], seqs[:0]
		var last *jetstream.MsgMetadata
		for {
			md, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("stream %s: %w", StreamName(peer), err)
			}
			if md.Sequence.Stream > pos {
				recs = append(recs, m.Data())
				seqs = append(seqs, md.Sequence.Stream)
				last = md
			}
			if len(recs) == applyBatch {
				break
			}
			select {
			case m = <-msgs:
				continue
			default:
			}
			break
		}
		if last == nil {
			continue
		}
		a, err := r.o.Store.ApplyReplicated(peer, last.Sequence.Stream, recs)
		var bad *store.UnreadableRecordError
		if errors.As(err, &bad) && bad.Index > 0 {
			// Those before it are applied: the stream stops at it.
			if _, aerr := r.o.Store.ApplyReplicated(peer, seqs[bad.Index-1], recs[:bad.Index]); aerr == nil {
				state.applied.Store(seqs[bad.Index-1])
			}
		}
		if err != nil {
			// A record this version cannot read stops the stream here
			// rather than skipping it: an operator must look.
			return err
		}
		pos = last.Sequence.Stream
		appliedSinceCheck = true
		applied.Add(len(recs))
		appliedClicks.Add(a.Clicks)
		appliedInstalls.Add(a.Installs)
		appliedEvents.Add(a.Events)
		appliedSignups.Add(a.Signups)
		behind := time.Duration(0)
		if last.NumPending > 0 {
			behind = max(0, time.Since(last.Timestamp))
		}
		lag.Set(behind.Seconds())
		state.applied.Store(pos)
		state.pending.Store(last.NumPending)
		state.lagMs.Store(behind.Milliseconds())
		if last.NumPending == 0 {
			r.peerCaughtUp(state)
		}
	}
}

// peerCaughtUp records that a peer's stream was applied to its end; once
// every peer's was, the store is told (SetReplicationCaughtUp): holds kept
// over a restart wait for it (tracker/held.go).
func (r *Replicator) peerCaughtUp(state *peerState) {
	if !state.caughtUp.Swap(true) && r.caughtUp.Add(1) == int64(len(r.o.Peers)) {
		r.o.Store.SetReplicationCaughtUp()
	}
}

var (
	published       = metrics.NewCounter(`clickedge_replication_records_total{op="published"}`)
	applied         = metrics.NewCounter(`clickedge_replication_records_total{op="applied"}`)
	appliedClicks   = metrics.NewCounter(`clickedge_replication_stored_total{kind="click"}`)
	appliedInstalls = metrics.NewCounter(`clickedge_replication_stored_total{kind="install"}`)
	appliedEvents   = metrics.NewCounter(`clickedge_replication_stored_total{kind="event"}`)
	appliedSignups  = metrics.NewCounter(`clickedge_replication_stored_total{kind="signup"}`)
)

// outboxDepth is clickedge_replication_outbox_depth: the records the last
// replicator started has yet to publish.
var outboxDepth = latest.NewGauge(`clickedge_replication_outbox_depth`)

// connected is clickedge_replication_connected: 1 while the last
// replicator started is connected to NATS. The lag cannot be measured
// while it is not, and keeps its last value; this says why.
var connected = latest.NewGauge(`clickedge_replication_connected`)

func min2(a, b store.OutboxPos) store.OutboxPos {
	if b.Less(a) {
		return b
	}
	return a
}
