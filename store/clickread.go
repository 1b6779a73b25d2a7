package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"

	"github.com/cockroachdb/pebble/v2"
)

// DeviceKind names which advertising id a lookup is for.
type DeviceKind byte

const (
	DeviceGAID DeviceKind = deviceGAID
	DeviceIDFA DeviceKind = deviceIDFA
	DeviceOAID DeviceKind = deviceOAID
)

// View returns the kind under which impressions (FlagImpression) of a
// device are indexed: view-through lookups ask for it, click lookups never
// meet it.
func (k DeviceKind) View() DeviceKind {
	switch k {
	case DeviceGAID, DeviceGAID.view():
		return DeviceGAID.view()
	case DeviceIDFA, DeviceIDFA.view():
		return DeviceIDFA.view()
	case DeviceOAID, DeviceOAID.view():
		return DeviceOAID.view()
	}
	return k
}

// view maps a click kind to its view kind: the same letter in upper case.
func (k DeviceKind) view() DeviceKind { return k - 'a' + 'A' }

// click maps a view kind back to its click kind.
func (k DeviceKind) click() DeviceKind {
	if k >= 'A' && k <= 'Z' {
		return k - 'A' + 'a'
	}
	return k
}

// GetClick reads the click stored under id into c. c's fields point into
// the returned buffer (buf reused), which the caller keeps while it uses c;
// c.ClickID is id itself. The user agent is not read; see ClickUserAgent.
func (s *Store) GetClick(id []byte, c *Click, buf []byte) ([]byte, bool, error) {
	if err := s.shut("get click"); err != nil {
		return buf, false, err
	}
	buf, _, _, ok, err := s.findClick(id, c, buf)
	if err != nil {
		return buf, false, fmt.Errorf("store: get click %q: %w", id, err)
	}
	if ok {
		c.ClickID = id
	}
	return buf, ok, nil
}

// findClick looks for click id in every bucket, newest first, and returns
// the bucket it is in and its user agent's hash. A click is stored in one bucket only (PutClick looks
// in all of them first), unless an uncreditable click (a bot's) was stored
// with its id before a creditable one, which is then found instead,
// whichever bucket each is in (see creditable). Lookups by click_id are
// mostly for recent clicks, which the first bucket tried holds.
func (s *Store) findClick(id []byte, c *Click, buf []byte) ([]byte, bucket, uint64, bool, error) {
	sc := getScratch()
	defer putScratch(sc)
	it, err := s.newIter(sc, nil, nil)
	if err != nil {
		return buf, bucket{}, 0, false, err
	}
	defer it.Close()
	var bs [16]bucket
	var first bucket // of an uncreditable click found
	found := false
	for _, b := range s.allBuckets(bs[:0]) {
		var ok bool
		var uaHash uint64
		if buf, uaHash, ok, err = getClick(it, sc, b.start, id, c, buf); err != nil {
			return buf, b, 0, false, err
		}
		if ok && creditable(c.Flags) {
			return buf, b, uaHash, true, nil
		}
		if ok && !found {
			first, found = b, true
		}
	}
	if !found {
		return buf, bucket{}, 0, false, nil
	}
	buf, uaHash, ok, err := getClick(it, sc, first.start, id, c, buf)
	return buf, first, uaHash, ok, err
}

// getClick reads click id of bucket into c through it, positioned
// anywhere, using sc's key buffer; it does not set c.ClickID, so that id
// need not outlive the call. It returns the click's user agent's hash.
func getClick(it *pebble.Iterator, sc *scratch, bucket uint32, id []byte, c *Click, buf []byte) ([]byte, uint64, bool, error) {
	sc.key = appendClickKey(sc.key[:0], bucket, id)
	if !seekKey(it, sc.key) {
		return buf, 0, false, it.Error()
	}
	val, err := it.ValueAndErr()
	if err != nil {
		return buf, 0, false, err
	}
	buf = append(buf[:0], val...)
	n := len(buf)
	*c = Click{}
	buf, uaHash, err := decodeClick(buf[:n:n], c, buf)
	return buf, uaHash, err == nil, err
}

// ClickUserAgent returns the user agent of the click stored under id, which
// clicks keep interned per retention bucket.
func (s *Store) ClickUserAgent(id []byte) (string, error) {
	if err := s.shut("click user agent"); err != nil {
		return "", err
	}
	var c Click
	_, b, hash, ok, err := s.findClick(id, &c, nil)
	switch {
	case err != nil:
		return "", fmt.Errorf("store: get click %q: %w", id, err)
	case !ok:
		return "", ErrNotFound
	case hash == 0:
		return "", nil
	}
	ua, closer, err := s.db.Get(appendUAKey(nil, b.start, hash))
	if err == pebble.ErrNotFound {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: get user agent of click %q: %w", id, err)
	}
	v := string(ua)
	closer.Close()
	return v, nil
}

// Match is a candidate test: attribution passes one that checks the click's
// own campaign window and flags. c and its fields are valid only during the
// call; c.ClickID may point into the index being scanned.
type Match func(c *Click) bool

// LatestByDevice finds the newest click for app whose advertising id of the
// given kind is id, made in [oldest, at] unix seconds, that match accepts.
// A UUID matches in any letter case; any other id matches exactly. c's
// fields point into the returned buffer.
func (s *Store) LatestByDevice(app []byte, kind DeviceKind, id []byte, at, oldest int64, match Match, c *Click, buf []byte) ([]byte, bool, error) {
	if err := s.shut("latest click by device"); err != nil {
		return buf, false, err
	}
	if len(id) == 0 {
		return buf, false, nil
	}
	q := latestQuery{table: tableDevice, app: app, kind: kind, id: id, match: match}
	q.uuid = parseUUID(id, &q.dev)
	var dev [16]byte
	appendDeviceID(dev[:0], id)
	q.tail = binary.BigEndian.AppendUint32(q.tailBuf[:0], appHash(app))
	q.tail = append(q.tail, byte(kind))
	q.tail = append(q.tail, dev[:]...)
	buf, ok, err := s.latest(&q, at, oldest, c, buf)
	if err != nil {
		return buf, false, fmt.Errorf("store: latest click by device: %w", err)
	}
	return buf, ok, nil
}

// DeviceClicks calls fn for every stored click of app whose advertising id
// of the given kind is id (with a view kind, every impression), newest
// bucket first and, within a bucket, newest second first. c is valid only
// during the call. For support tools: it reads every candidate's record.
func (s *Store) DeviceClicks(app []byte, kind DeviceKind, id []byte, fn func(c *Click)) error {
	if err := s.shut("device clicks"); err != nil {
		return err
	}
	var c Click
	// Every candidate is refused, so the scan walks them all.
	each := func(c *Click) bool { fn(c); return false }
	if _, _, err := s.LatestByDevice(app, kind, id, math.MaxUint32, 0, each, &c, nil); err != nil {
		return err
	}
	return nil
}

// LatestByFingerprint finds the newest click for app from ip with the same
// platform and OS major.minor, or whose agent named no OS version, made in
// [oldest, at], that match accepts. An IPv4 address and its IPv4-mapped
// IPv6 form are the same address.
func (s *Store) LatestByFingerprint(app []byte, ip netip.Addr, p Platform, osVersion []byte, at, oldest int64, match Match, c *Click, buf []byte) ([]byte, bool, error) {
	if err := s.shut("latest click by fingerprint"); err != nil {
		return buf, false, err
	}
	if !ip.IsValid() || p == PlatformUnknown {
		return buf, false, nil // never indexed
	}
	version := parseOSVersion(osVersion)
	query := func(version uint16, oldest int64, buf []byte) ([]byte, bool, error) {
		q := latestQuery{table: tableFinger, app: app, match: match}
		q.tail = binary.BigEndian.AppendUint32(q.tailBuf[:0], appHash(app))
		a16 := ip.As16()
		q.tail = append(q.tail, a16[:]...)
		q.tail = append(q.tail, byte(p))
		q.tail = binary.BigEndian.AppendUint16(q.tail, version)
		buf, ok, err := s.latest(&q, at, oldest, c, buf)
		if err != nil {
			return buf, false, fmt.Errorf("store: latest click by fingerprint: %w", err)
		}
		return buf, ok, nil
	}
	if version == 0 {
		return query(0, oldest, buf)
	}
	// Clicks whose agent named no version (Chrome's reduced agent) are
	// the install's too: the newer of the two lookups wins, the named
	// version on a tie. The unnamed one is made first, for its time only,
	// so that the named one need look no further back; it is made again
	// when it wins, as the answer is read into c and buf.
	buf, unnamed, err := query(0, oldest, buf)
	if err != nil {
		return buf, false, err
	}
	var unnamedMs int64
	from := oldest
	if unnamed {
		unnamedMs = c.Time
		from = max(oldest, unnamedMs/1000)
	}
	buf, named, err := query(version, from, buf)
	if err != nil || named && (!unnamed || c.Time >= unnamedMs) {
		return buf, named, err
	}
	if !unnamed {
		return buf, false, nil
	}
	return query(0, oldest, buf)
}

// latestQuery is one index lookup. An index key is table, bucket(4), tail,
// inverted second(4), click_id; the tail names the app (by a 4-byte hash)
// and the device or fingerprint (a device id by its 16-byte form, a hash
// for non-UUIDs). Hashes can collide, so every candidate click is checked
// against the app and device actually asked for.
type latestQuery struct {
	table   byte
	tail    []byte
	tailBuf [32]byte
	app     []byte
	kind    DeviceKind // device lookups
	id      []byte
	uuid    bool // id is a UUID, whose bytes are dev
	dev     [16]byte
	match   Match
}

// accepts reports whether candidate c is really the app's and the device's
// and the caller's match takes it.
func (q *latestQuery) accepts(c *Click) bool {
	if !bytes.Equal(c.App, q.app) {
		return false
	}
	if q.table == tableDevice {
		var got []byte
		switch q.kind.click() {
		case DeviceGAID:
			got = c.GAID
		case DeviceIDFA:
			got = c.IDFA
		case DeviceOAID:
			got = c.OAID
		}
		if q.uuid {
			var u [16]byte
			if !parseUUID(got, &u) || u != q.dev {
				return false
			}
		} else if !bytes.Equal(got, q.id) {
			return false
		}
	}
	return q.match(c)
}

// latest scans an index for the newest accepted click. Within one bucket
// the keys run newest second first, so the first accepted click is the
// bucket's answer unless a click of the same second made later in that
// second follows it; buckets are visited newest first and skipped once they
// cannot hold anything as new as what was found.
func (s *Store) latest(q *latestQuery, at, oldest int64, c *Click, buf []byte) ([]byte, bool, error) {
	if at < oldest {
		return buf, false, nil
	}
	var bs [16]bucket
	buckets := s.liveBuckets(bs[:0], oldest, at)
	if len(buckets) == 0 {
		return buf, false, nil
	}
	sc := getScratch()
	defer putScratch(sc)
	it, err := s.newIter(sc, nil, nil)
	if err != nil {
		return buf, false, err
	}
	defer it.Close() // before the scratch whose options it uses goes back
	// A second iterator reads the candidates' records.
	csc := getScratch()
	defer putScratch(csc)
	cit, err := s.newIter(csc, nil, nil)
	if err != nil {
		return buf, false, err
	}
	defer cit.Close()
	var bestBuf [128]byte
	bestSec, bestMs := int64(-1), int64(0)
	var bestBucket uint32
	best := bestBuf[:0] // click id of the best candidate so far
	holdsBest := false  // c holds the best candidate
	for _, b := range buckets {
		if bestSec >= b.end() {
			continue
		}
		lo := append(sc.key[:0], q.table)
		lo = binary.BigEndian.AppendUint32(lo, b.start)
		lo = append(lo, q.tail...)
		n := len(lo)
		up := incrementKey(append(sc.val[:0], lo...))
		lo = appendInvSecond(lo, at)
		it.SetBounds(lo, up)
		sc.key, sc.val = lo, up
		for valid := it.First(); valid; valid = it.Next() {
			k := it.Key()
			if len(k) < n+4 {
				continue
			}
			sec := int64(^binary.BigEndian.Uint32(k[n : n+4]))
			if sec < oldest || sec < bestSec {
				break
			}
			id := k[n+4:] // valid until the iterator moves
			var ok bool
			buf, _, ok, err = getClick(cit, csc, b.start, id, c, buf)
			if err != nil {
				return buf, false, fmt.Errorf("click %q: %w", id, err)
			}
			holdsBest = false
			c.ClickID = id
			if !ok || c.Time/1000 != sec || !q.accepts(c) {
				continue // deleted, replaced, not this device's or refused
			}
			if sec > bestSec || c.Time > bestMs {
				bestSec, bestMs, best = sec, c.Time, append(best[:0], id...)
				bestBucket = b.start
				holdsBest = true
			}
		}
		if err := it.Error(); err != nil {
			return buf, false, err
		}
	}
	if bestSec < 0 {
		return buf, false, nil
	}
	if !holdsBest {
		var ok bool
		if buf, _, ok, err = getClick(cit, csc, bestBucket, best, c, buf); err != nil || !ok {
			return buf, false, err
		}
	}
	// c.ClickID must outlive this frame: keep it in buf after the record.
	start := len(buf)
	buf = append(buf, best...)
	c.ClickID = buf[start:len(buf):len(buf)]
	return buf, true, nil
}

// incrementKey turns k, in place, into the first key after every key with
// prefix k; nil when there is none.
func incrementKey(k []byte) []byte {
	for i := len(k) - 1; i >= 0; i-- {
		k[i]++
		if k[i] != 0 {
			return k[:i+1]
		}
	}
	return nil
}
