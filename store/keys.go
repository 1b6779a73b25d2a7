package store

import (
	"encoding/binary"
	"net/netip"
	"strings"
)

// Table prefixes; see the package doc for the layout behind each.
const (
	tableClick   = 'c'
	tableDevice  = 'd'
	tableFinger  = 'f'
	tableUA      = 'u'
	tableBucket  = 'b'
	tableInstall = 'i'
	tableEvent   = 'e'
	tableSignup  = 's'
	tableOutbox  = 'o'
	tableOutIdx  = 'q'
	// 'x' day(4) event_id: the events recorded on a day, which
	// EventRetention deletes together (event_retention.go).
	tableEventDay = 'x'
)

// ImpressionIDPrefix begins the stored id of every impression, so that an
// impression and a click may carry the same id (an ad server's request id,
// say) without one refusing the other as a duplicate. Its first byte is
// not UTF-8, which no stored click_id holds (the tracker replaces invalid
// bytes): with "imp:", which earlier versions used, a tracking link's
// click_id "imp:v1" took impression v1's key.
const ImpressionIDPrefix = "\xffimp:"

// LegacyImpressionIDPrefix began the stored ids of impressions stored by
// earlier versions (they expire with their click buckets), and is how the
// admin API shows an impression's id.
const LegacyImpressionIDPrefix = "imp:"

// ImpressionID returns the impression's own id of a stored impression id,
// under either prefix.
func ImpressionID(stored string) string {
	if id, ok := strings.CutPrefix(stored, ImpressionIDPrefix); ok {
		return id
	}
	return strings.TrimPrefix(stored, LegacyImpressionIDPrefix)
}

// Device id kinds in 'd' keys: a gaid and an idfa with the same bytes are
// different devices. Impressions are indexed under the upper-case letters
// (DeviceKind.View).
const (
	deviceGAID = 'g'
	deviceIDFA = 'i'
	deviceOAID = 'o'
)

// appendClickKey appends the key of a click's record, which lives in its
// retention bucket: expiry deletes a bucket's records with one range
// deletion, and a lookup by click_id tries each live bucket.
func appendClickKey(dst []byte, bucket uint32, clickID []byte) []byte {
	dst = append(dst, tableClick)
	dst = binary.BigEndian.AppendUint32(dst, bucket)
	return append(dst, clickID...)
}

// appendDevicePrefix appends the part of a 'd' key shared by every click of
// one device in one bucket: a scan from here meets that device's clicks,
// newest first.
func appendDevicePrefix(dst []byte, bucket, app uint32, kind byte, id []byte) []byte {
	dst = append(dst, tableDevice)
	dst = binary.BigEndian.AppendUint32(dst, bucket)
	dst = binary.BigEndian.AppendUint32(dst, app)
	dst = append(dst, kind)
	return appendDeviceID(dst, id)
}

// appendFingerPrefix appends the part of an 'f' key shared by every click from
// one IP and OS version in one bucket.
func appendFingerPrefix(dst []byte, bucket, app uint32, ip netip.Addr, p Platform, os uint16) []byte {
	dst = append(dst, tableFinger)
	dst = binary.BigEndian.AppendUint32(dst, bucket)
	dst = binary.BigEndian.AppendUint32(dst, app)
	a16 := ip.As16()
	dst = append(dst, a16[:]...)
	dst = append(dst, byte(p))
	return binary.BigEndian.AppendUint16(dst, os)
}

func appendUAKey(dst []byte, bucket uint32, hash uint64) []byte {
	dst = append(dst, tableUA)
	dst = binary.BigEndian.AppendUint32(dst, bucket)
	return binary.BigEndian.AppendUint64(dst, hash)
}

func appendBucketKey(dst []byte, bucket uint32) []byte {
	dst = append(dst, tableBucket)
	return binary.BigEndian.AppendUint32(dst, bucket)
}

// appendInvSecond appends the click's unix second with its bits inverted, so
// that newer clicks sort first under one prefix.
func appendInvSecond(dst []byte, unixSec int64) []byte {
	return binary.BigEndian.AppendUint32(dst, ^uint32(clampSecond(unixSec)))
}

func clampSecond(s int64) uint32 {
	if s < 0 {
		return 0
	}
	if s > 0xFFFFFFFF {
		return 0xFFFFFFFF
	}
	return uint32(s)
}

// appendDeviceID appends the 16-byte form of an advertising id: the UUID's
// own bytes when id is a UUID in any letter case (a gaid sent lower-case at
// the click and upper-case at the install is the same device), else a hash.
// A hash collision can only offer a wrong candidate, which attribution then
// rejects by comparing the click's stored id.
func appendDeviceID(dst, id []byte) []byte {
	var u [16]byte
	if parseUUID(id, &u) {
		return append(dst, u[:]...)
	}
	h1 := hash64(id, 0x9e3779b97f4a7c15)
	h2 := hash64(id, 0xc2b2ae3d27d4eb4f)
	dst = binary.BigEndian.AppendUint64(dst, h1)
	return binary.BigEndian.AppendUint64(dst, h2)
}

// appHash names an app in index keys in four bytes.
func appHash(app []byte) uint32 { return uint32(hash64(app, 0x27d4eb2f165667c5)) }

// hash64 is FNV-1a with a seed: stable across restarts and versions, which a
// hash stored in keys must be, and allocation-free.
func hash64(b []byte, seed uint64) uint64 {
	h := uint64(14695981039346656037) ^ seed
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// parseUUID reads a canonical 36-byte UUID (8-4-4-4-12 hex digits, any case).
func parseUUID(s []byte, u *[16]byte) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return false
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// uuidCase says how a UUID's letters were written, so the compact 16-byte
// form in a record can give back the exact text that was received.
func uuidCase(s []byte) (lower, upper bool) {
	lower, upper = true, true
	for _, c := range s {
		if 'a' <= c && c <= 'f' {
			upper = false
		} else if 'A' <= c && c <= 'F' {
			lower = false
		}
	}
	return lower, upper
}

// parseOSVersion reads "14", "17.2" or "17.2.1" (or "17_2_1") into
// major<<8 | minor, each capped at 255. Reading stops at the first byte that
// is neither a digit nor a separator: "14 beta" is 14.
func parseOSVersion(v []byte) uint16 {
	var parts [2]int
	part := 0
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			parts[part] = min(parts[part]*10+int(c-'0'), 255)
			continue
		case (c == '.' || c == '_') && part == 0:
			part++
			continue
		}
		break
	}
	return uint16(parts[0])<<8 | uint16(parts[1])
}

// prefixEnd returns the first key after every key that starts with prefix,
// or nil when there is none (prefix all 0xff).
func prefixEnd(prefix []byte) []byte {
	return incrementKey(append([]byte(nil), prefix...))
}
