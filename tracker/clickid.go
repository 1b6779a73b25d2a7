package tracker

import (
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// base32hex in lower case: its alphabet is in ASCII order, so ids compare as
// strings in the order of the numbers they encode, and it is URL-safe.
const base32hex = "0123456789abcdefghijklmnopqrstuv"

const (
	seqBits       = 16 // ids per millisecond before the clock is borrowed from
	timeBits      = 64 - seqBits
	stampChars    = 13 // 64 bits of time and sequence
	randomChars   = 8  // 40 random bits
	clickIDSuffix = stampChars + randomChars
)

// ClickIDGen makes click ids for clicks that came without one:
//
//	<region>-<13 chars: unix ms (48 bits) and a sequence (16 bits)><8 random chars>
//	local-036ltems00000fcbnmevm   (2025-11-26T00:00:00Z, first of its millisecond)
//
// all in lower-case base32hex. One generator's ids are strictly increasing,
// so sorting them as strings sorts them by time; the sequence keeps ids
// made in the same millisecond apart, and beyond 65536 a millisecond it runs
// into the next one rather than repeat. The region keeps regions' ids apart;
// the random part keeps apart the ids of two processes of one region (or of
// one restarted with its clock set back).
//
// It is safe for concurrent use and allocates nothing.
type ClickIDGen struct {
	prefix string
	last   atomic.Uint64 // time<<seqBits | sequence of the latest id
}

// NewClickIDGen returns a generator whose ids start with region and a dash.
// Bytes of region outside the URL-unreserved set are dropped; an empty
// region gives ids with no prefix.
func NewClickIDGen(region string) *ClickIDGen {
	prefix := make([]byte, 0, len(region)+1)
	for i := 0; i < len(region); i++ {
		if isUnreserved(region[i]) {
			prefix = append(prefix, region[i])
		}
	}
	if len(prefix) > 0 {
		prefix = append(prefix, '-')
	}
	return &ClickIDGen{prefix: string(prefix)}
}

// Len is the length of every id g makes.
func (g *ClickIDGen) Len() int { return len(g.prefix) + clickIDSuffix }

// Append appends a new id made at now to dst.
func (g *ClickIDGen) Append(dst []byte, now time.Time) []byte {
	ms := max(now.UnixMilli(), 0) & (1<<timeBits - 1)
	floor := uint64(ms) << seqBits
	var stamp uint64
	for {
		last := g.last.Load()
		stamp = max(floor, last+1)
		if g.last.CompareAndSwap(last, stamp) {
			break
		}
	}
	dst = append(dst, g.prefix...)
	for shift := 5 * (stampChars - 1); shift >= 0; shift -= 5 {
		dst = append(dst, base32hex[(stamp>>shift)&31])
	}
	r := rand.Uint64()
	for range randomChars {
		dst = append(dst, base32hex[r&31])
		r >>= 5
	}
	return dst
}
