package store

// fsck: a consistency checker over a store's whole keyspace, for tests.
// It states every invariant of the layout in doc.go that the code relies
// on, and reports each one broken as a line.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

type fsckOpts struct {
	// now (unix s) and the retentions: nothing may be older than its
	// retention plus the documented slack, when retention passes ran.
	now            int64
	expiredClicks  bool // ExpireClicks ran at now
	expiredEvents  bool // ExpireEvents ran at now
	eventRetention int64
	// replBacklog: the gauge must equal the pending replicate entries.
	checkBacklog bool
}

type fsckReport struct {
	problems []string
	counts   map[string]int
}

func (r *fsckReport) bad(format string, args ...any) {
	if len(r.problems) < 200 {
		r.problems = append(r.problems, fmt.Sprintf(format, args...))
	}
}

// fsck reads every key of s (from one snapshot) and checks the layout.
func fsck(s *Store, o fsckOpts) *fsckReport {
	r := &fsckReport{counts: map[string]int{}}
	// ExpireClicks changes disk and memory under expiryMu: read both
	// under it.
	s.expiryMu.Lock()
	snap := s.db.NewSnapshot()
	mem := s.allBuckets(nil)
	s.bucketMu.RLock()
	unsaved := append([]uint32(nil), s.unsaved...)
	s.bucketMu.RUnlock()
	s.expiryMu.Unlock()
	defer snap.Close()
	it, err := snap.NewIter(nil)
	if err != nil {
		r.bad("iter: %v", err)
		return r
	}
	defer it.Close()

	type clickRec struct {
		c      Click
		uaHash uint64
		bucket uint32
	}
	buckets := map[uint32]uint32{}     // start -> width
	clicks := map[string]*clickRec{}   // key (bucket+id) -> record
	idBuckets := map[string][]uint32{} // click id -> buckets holding it
	indexKeys := map[string]bool{}     // 'd'/'f' keys present
	uaKeys := map[string]bool{}        // bucket(4)+hash(8)
	events := map[string]*Event{}
	installs := map[string]*Install{}
	signups := map[string]string{}
	dayKeys := map[string][]uint32{} // event id -> days
	outIDs := map[Queue]map[uint64][]string{}
	var replPending int64
	var maxOutID uint64
	var floor uint64
	var dfKeys [][]byte

	for valid := it.First(); valid; valid = it.Next() {
		k := append([]byte(nil), it.Key()...)
		v, err := it.ValueAndErr()
		if err != nil {
			r.bad("value of %x: %v", k, err)
			continue
		}
		v = append([]byte(nil), v...)
		if len(k) == 0 {
			r.bad("empty key")
			continue
		}
		r.counts[string(k[0])]++
		switch k[0] {
		case tableBucket:
			if len(k) != 5 || len(v) != 4 {
				r.bad("bucket key %x = %x: bad shape", k, v)
				continue
			}
			buckets[binary.BigEndian.Uint32(k[1:])] = binary.BigEndian.Uint32(v)
		case tableClick:
			if len(k) <= 5 {
				r.bad("click key %x: short", k)
				continue
			}
			cr := &clickRec{bucket: binary.BigEndian.Uint32(k[1:5])}
			buf, uh, err := decodeClick(v, &cr.c, nil)
			_ = buf
			if err != nil {
				r.bad("click %q: %v", k[5:], err)
				continue
			}
			cr.uaHash = uh
			cr.c.ClickID = append([]byte(nil), k[5:]...)
			clicks[string(k)] = cr
			idBuckets[string(k[5:])] = append(idBuckets[string(k[5:])], cr.bucket)
		case tableDevice, tableFinger:
			indexKeys[string(k)] = true
			dfKeys = append(dfKeys, k)
		case tableUA:
			if len(k) != 13 {
				r.bad("ua key %x: bad shape", k)
				continue
			}
			uaKeys[string(k[1:])] = true
		case tableInstall:
			in := new(Install)
			if err := in.decode(v); err != nil {
				r.bad("install %q: %v", k[1:], err)
				continue
			}
			if in.InstallID != string(k[1:]) {
				r.bad("install key %q holds install %q", k[1:], in.InstallID)
			}
			installs[in.InstallID] = in
		case tableEvent:
			ev := new(Event)
			if err := ev.decode(v); err != nil {
				r.bad("event %q: %v", k[1:], err)
				continue
			}
			if ev.EventID != string(k[1:]) {
				r.bad("event key %q holds event %q", k[1:], ev.EventID)
			}
			events[ev.EventID] = ev
		case tableSignup:
			signups[string(k[1:])] = string(v)
		case tableEventDay:
			if len(k) < 6 || len(v) != 0 {
				r.bad("event day key %x: bad shape", k)
				continue
			}
			day := binary.BigEndian.Uint32(k[1:5])
			dayKeys[string(k[5:])] = append(dayKeys[string(k[5:])], day)
			if o.expiredEvents && o.eventRetention > 0 {
				lastDay := (o.now-o.eventRetention)/secondsPerDay - 1
				if int64(day) <= lastDay {
					r.bad("event day key of day %d (event %q) outlived event_retention (last expired day %d)", day, k[5:], lastDay)
				}
			}
		case tableOutIdx:
			if len(k) != 19 && !isSegmentKey(k) {
				r.bad("outbox key %x: bad shape", k)
				continue
			}
			q, st := Queue(k[1]), Status(k[2])
			switch q {
			case QueuePostback, QueueReplicate, QueueHold:
			default:
				r.bad("outbox key %x: unknown queue %q", k, q)
			}
			switch st {
			case StatusPending, StatusDelivered, StatusFailed:
			default:
				r.bad("outbox key %x: unknown status %q", k, st)
			}
			if q != QueuePostback && st != StatusPending {
				r.bad("outbox key %x: queue %q has status %q", k, q, st)
			}
			at := int64(binary.BigEndian.Uint64(k[3:11]))
			if outIDs[q] == nil {
				outIDs[q] = map[uint64][]string{}
			}
			add := func(id uint64) {
				outIDs[q][id] = append(outIDs[q][id], fmt.Sprintf("%c@%d", st, at))
				maxOutID = max(maxOutID, id)
			}
			if isSegmentKey(k) {
				if st != StatusDelivered {
					r.bad("segment under status %q", st)
				}
				maxOutID = max(maxOutID, binary.BigEndian.Uint64(k[11:19]))
				if _, err := eachInSegment(v, false, func(id uint64, _ []byte) bool { add(id); return true }); err != nil {
					r.bad("segment %x: %v", k, err)
				}
				continue
			}
			add(binary.BigEndian.Uint64(k[11:19]))
			if q == QueueReplicate {
				replPending++
				if _, ok := ReplicationKind(v); !ok {
					r.bad("replicate entry %x: unreadable record", k)
				}
			}
			if q == QueueHold && len(v) == 0 {
				r.bad("hold %x: empty payload", k)
			}
		case tableReplPos:
			if len(v) != 8 {
				r.bad("replication key %q: value %x", k, v)
			}
		case tableIDFloor:
			if len(k) != 1 || len(v) != 8 {
				r.bad("id floor %x = %x", k, v)
				continue
			}
			floor = binary.BigEndian.Uint64(v)
		case tableOutbox:
			r.bad("legacy locator %x after Open", k)
		default:
			r.bad("key %x belongs to no table", k)
		}
	}
	if err := it.Error(); err != nil {
		r.bad("iter: %v", err)
	}

	// Buckets: disjoint, and the store's memory agrees with the disk.
	var starts []uint32
	for st := range buckets {
		starts = append(starts, st)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	for i := 1; i < len(starts); i++ {
		if int64(starts[i-1])+int64(buckets[starts[i-1]]) > int64(starts[i]) {
			r.bad("buckets %d(+%d) and %d overlap", starts[i-1], buckets[starts[i-1]], starts[i])
		}
	}
	inMem := map[uint32]bool{}
	for _, b := range mem {
		inMem[b.start] = true
		if w, ok := buckets[b.start]; !ok {
			if slices.Contains(unsaved, b.start) {
				continue // made for a click not stored (a duplicate)
			}
			r.bad("bucket %d in memory, not on disk", b.start)
		} else if w != b.width {
			r.bad("bucket %d: width %d in memory, %d on disk", b.start, b.width, w)
		}
	}
	for st := range buckets {
		if !inMem[st] {
			r.bad("bucket %d on disk, unknown to the store", st)
		}
	}
	cutoff := o.now - int64(s.opts.Retention.Seconds())
	for st, w := range buckets {
		if o.expiredClicks && int64(st)+int64(w) <= cutoff {
			r.bad("bucket %d (+%d) outlived click_retention (cutoff %d)", st, w, cutoff)
		}
	}

	// Clicks: in a bucket that exists, with their index keys and agent.
	for key, cr := range clicks {
		w, ok := buckets[cr.bucket]
		if !ok {
			r.bad("click %q in bucket %d, which has no 'b' key: it never expires", cr.c.ClickID, cr.bucket)
			continue
		}
		sec := min(max(cr.c.Time/1000, 0), maxSecond)
		if sec < int64(cr.bucket) || sec >= int64(cr.bucket)+int64(w) {
			r.bad("click %q made at %d lies outside its bucket [%d,+%d)", cr.c.ClickID, sec, cr.bucket, w)
		}
		if cr.uaHash != 0 {
			var uk [12]byte
			binary.BigEndian.PutUint32(uk[:4], cr.bucket)
			binary.BigEndian.PutUint64(uk[4:], cr.uaHash)
			if !uaKeys[string(uk[:])] {
				r.bad("click %q: its user agent %x is not interned in bucket %d", cr.c.ClickID, cr.uaHash, cr.bucket)
			}
		}
		if !creditable(cr.c.Flags) {
			continue
		}
		var sc scratch
		var batch = s.db.NewBatch()
		s.putClickIndexes(batch, &sc, bucket{start: cr.bucket, width: w}, &cr.c, sec)
		bi := batch.Reader()
		for {
			kind, ik, _, ok, err := bi.Next()
			if !ok || err != nil {
				break
			}
			_ = kind
			if !indexKeys[string(ik)] {
				r.bad("click %q: index key %x missing", cr.c.ClickID, ik)
			}
			delete(indexKeys, string(ik)) // each key is one click's
		}
		batch.Close()
		_ = key
	}
	for ik := range indexKeys {
		r.bad("index key %x points to no click with that key", ik)
	}
	for id, bs := range idBuckets {
		if len(bs) > 1 {
			n := 0
			for _, b := range bs {
				var kk []byte
				kk = appendClickKey(kk, b, []byte(id))
				if creditable(clicks[string(kk)].c.Flags) {
					n++
				}
			}
			desc := ""
			for _, b := range bs {
				kk := appendClickKey(nil, b, []byte(id))
				c := clicks[string(kk)].c
				desc += fmt.Sprintf(" [bucket %d time %d flags %b]", b, c.Time/1000, c.Flags)
			}
			if n > 1 {
				r.bad("click id %q stored in %d buckets (%d creditable):%s", id, len(bs), n, desc)
			} else {
				r.counts["uncreditable click left beside a creditable one"]++
			}
		}
	}
	_ = dfKeys

	// Conversions.
	for id, sid := range signups {
		if _, ok := installs[id]; !ok {
			if o.eventRetention == 0 {
				r.counts["signup without install"]++
			}
		}
		if _, ok := events[sid]; !ok {
			r.counts["signup of an expired event"]++
		}
	}
	for id, ev := range events {
		if s.opts.EventRetention > 0 && len(dayKeys[id]) == 0 {
			r.counts["event without day key"]++
		}
		if ev.Postback == "queued" && ev.PostbackID != 0 {
			if len(outIDs[QueuePostback][ev.PostbackID]) == 0 {
				r.counts["event whose postback is gone"]++
			}
		}
	}
	for id, days := range dayKeys {
		if _, ok := events[id]; !ok {
			r.counts[fmt.Sprintf("day key without event (%d days)", len(days))]++
		}
	}

	// Outbox: one key per entry.
	for q, ids := range outIDs {
		for id, where := range ids {
			if len(where) != 1 {
				r.bad("outbox %q entry %d indexed %d times: %s", q, id, len(where), strings.Join(where, " "))
			}
		}
	}
	if o.checkBacklog && replPending != s.ReplicationBacklog() {
		r.bad("replication backlog gauge %d, %d records pending", s.ReplicationBacklog(), replPending)
	}
	if floor != 0 && maxOutID > floor && maxOutID > s.idSeq.Load() {
		r.bad("outbox id %d past the id floor %d and the id sequence %d", maxOutID, floor, s.idSeq.Load())
	}
	return r
}

// fsckIndexKeyTarget parses a 'd' or 'f' key's bucket and click id.
func fsckIndexKeyTarget(k []byte) (uint32, []byte) {
	b := binary.BigEndian.Uint32(k[1:5])
	switch k[0] {
	case tableDevice:
		return b, k[1+4+4+1+16+4:]
	default:
		return b, k[1+4+4+16+1+2+4:]
	}
}

var _ = netip.Addr{}
var _ = bytes.Equal
var _ = pebble.Sync
