package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
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

// GetClick reads the click stored under id into c. c's fields point into
// the returned buffer (buf reused), which the caller keeps while it uses c.
// The user agent is not read; see ClickUserAgent.
func (s *Store) GetClick(id []byte, c *Click, buf []byte) ([]byte, bool, error) {
	var kb [256]byte
	key := appendClickKey(kb[:0], id)
	val, closer, err := s.db.Get(key)
	if err == pebble.ErrNotFound {
		return buf, false, nil
	}
	if err != nil {
		return buf, false, fmt.Errorf("store: get click %q: %w", id, err)
	}
	buf = append(buf[:0], val...)
	closer.Close()
	n := len(buf)
	*c = Click{}
	buf, _, err = decodeClick(buf[:n:n], c, buf)
	if err != nil {
		return buf, false, fmt.Errorf("store: get click %q: %w", id, err)
	}
	c.ClickID = id
	return buf, true, nil
}

// ClickUserAgent returns the user agent of the click stored under id, which
// clicks keep interned per retention bucket.
func (s *Store) ClickUserAgent(id []byte) (string, error) {
	key := appendClickKey(nil, id)
	val, closer, err := s.db.Get(key)
	if err == pebble.ErrNotFound {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: get click %q: %w", id, err)
	}
	var c Click
	_, hash, err := decodeClick(val, &c, nil)
	sec := c.Time / 1000
	closer.Close()
	if err != nil || hash == 0 {
		return "", err
	}
	var bs [4]bucket
	for _, b := range s.liveBuckets(bs[:0], sec, sec) {
		ua, closer, err := s.db.Get(appendUAKey(nil, b.start, hash))
		if err == nil {
			v := string(ua)
			closer.Close()
			return v, nil
		}
	}
	return "", nil
}

// Match is a candidate test: attribution passes one that checks the click's
// own campaign window and flags.
type Match func(c *Click) bool

// LatestByDevice finds the newest click for app whose advertising id of the
// given kind is id, made in [oldest, at] unix seconds, that match accepts.
// c's fields point into the returned buffer.
func (s *Store) LatestByDevice(app []byte, kind DeviceKind, id []byte, at, oldest int64, match Match, c *Click, buf []byte) ([]byte, bool, error) {
	var want [16]byte
	appendDeviceID(want[:0], id)
	appH := appHash(app)
	prefix := func(dst []byte, b bucket) []byte {
		return appendDevicePrefix(dst, b.start, appH, byte(kind), id)
	}
	same := func(c *Click) bool {
		var got []byte
		switch kind {
		case DeviceGAID:
			got = c.GAID
		case DeviceIDFA:
			got = c.IDFA
		case DeviceOAID:
			got = c.OAID
		}
		var g [16]byte
		return len(got) != 0 && bytes.Equal(appendDeviceID(g[:0], got), want[:]) && match(c)
	}
	buf, ok, err := s.latest(prefix, at, oldest, same, c, buf)
	if err != nil {
		return buf, false, fmt.Errorf("store: latest click by device: %w", err)
	}
	return buf, ok, nil
}

// LatestByFingerprint finds the newest click for app from ip with the same
// platform and OS major.minor, made in [oldest, at], that match accepts.
func (s *Store) LatestByFingerprint(app []byte, ip netip.Addr, p Platform, osVersion []byte, at, oldest int64, match Match, c *Click, buf []byte) ([]byte, bool, error) {
	appH := appHash(app)
	os := parseOSVersion(osVersion)
	prefix := func(dst []byte, b bucket) []byte {
		return appendFingerPrefix(dst, b.start, appH, ip, p, os)
	}
	buf, ok, err := s.latest(prefix, at, oldest, match, c, buf)
	if err != nil {
		return buf, false, fmt.Errorf("store: latest click by fingerprint: %w", err)
	}
	return buf, ok, nil
}

// latest scans an index for the newest accepted click. Within one bucket
// the keys run newest first, so the first accepted click is the bucket's
// answer; buckets are visited newest first and the scan stops once no older
// bucket can hold anything newer than what was found.
func (s *Store) latest(prefix func([]byte, bucket) []byte, at, oldest int64, match Match, c *Click, buf []byte) ([]byte, bool, error) {
	var bs [16]bucket
	buckets := s.liveBuckets(bs[:0], oldest, at)
	if len(buckets) == 0 {
		return buf, false, nil
	}
	it, err := s.db.NewIter(nil)
	if err != nil {
		return buf, false, err
	}
	defer it.Close()
	var lower, upper [128]byte
	var idBuf [256]byte
	bestSec := int64(-1)
	var best []byte // click id of the best candidate so far
	for _, b := range buckets {
		if bestSec >= 0 && bestSec >= b.end() {
			break
		}
		lo := prefix(lower[:0], b)
		n := len(lo)
		up := incrementKey(append(upper[:0], lo...))
		lo = appendInvSecond(lo, at)
		it.SetBounds(lo, up)
		for valid := it.First(); valid; valid = it.Next() {
			k := it.Key()
			if len(k) < n+4 {
				continue
			}
			sec := int64(^binary.BigEndian.Uint32(k[n : n+4]))
			if sec < oldest || sec <= bestSec {
				break
			}
			id := append(idBuf[:0], k[n+4:]...)
			var ok bool
			buf, ok, err = s.GetClick(id, c, buf)
			if err != nil {
				return buf, false, err
			}
			if !ok || c.Time/1000 != sec || !match(c) {
				continue // deleted, replaced, or refused by the caller
			}
			bestSec, best = sec, append(best[:0], id...)
			break
		}
		if err := it.Error(); err != nil {
			return buf, false, err
		}
	}
	if bestSec < 0 {
		return buf, false, nil
	}
	buf, ok, err := s.GetClick(best, c, buf)
	return buf, ok, err
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
