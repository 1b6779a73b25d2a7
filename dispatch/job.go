package dispatch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Job is one postback waiting in, or finished in, the store's outbox: the
// conversion's values, which partner template renders them, and every
// delivery attempt. Values are kept rather than a rendered URL so that the
// template in force at delivery renders them (a partner fixing a typo in its
// template fixes pending postbacks too) and so that {timestamp} is the time
// the postback is built.
type Job struct {
	ID        uint64
	Partner   string
	Kind      string // "install", "signup" or "event": picks the partner's template
	EventName string // the event's own name, before the partner's rename
	Created   int64  // unix ms
	FirstDue  int64  // unix ms; retries and max_age count from here

	ClickID, InstallID, EventID string
	EventTime                   int64 // unix s
	Revenue, Currency           string
	Platform                    string
	GAID, IDFA, OAID, IP        string
	Country                     string
	AppID, AppVersion           string
	CampaignID, CampaignName    string
	Sub                         [5]string
	AffID, PubID, OfferID       string
	CreativeID                  string
	ClickTime                   int64 // unix ms; 0 when organic
	MatchType                   string

	Attempts []Attempt
}

// Attempt is one delivery try.
type Attempt struct {
	Time       int64 // unix ms
	StatusCode int   // 0 when no response
	LatencyUS  int64
	Error      string
}

// maxKeptAttempts bounds a job's record: a postback retried for a day at a
// ten-minute cap makes ~150 attempts; the first and the latest are what an
// operator reads.
const maxKeptAttempts = 32

const jobVersion = 1

var errCorruptJob = errors.New("dispatch: corrupt outbox job")

// AppendJob encodes j for the outbox.
func AppendJob(dst []byte, j *Job) []byte {
	dst = slices.Grow(dst, j.sizeHint())
	e := jobEncoder{b: append(dst, jobVersion)}
	e.uint(j.ID)
	e.str(j.Partner)
	e.str(j.Kind)
	e.str(j.EventName)
	e.int(j.Created)
	e.int(j.FirstDue)
	for _, s := range [...]string{j.ClickID, j.InstallID, j.EventID} {
		e.str(s)
	}
	e.int(j.EventTime)
	for _, s := range [...]string{j.Revenue, j.Currency, j.Platform, j.GAID, j.IDFA, j.OAID, j.IP,
		j.Country, j.AppID, j.AppVersion, j.CampaignID, j.CampaignName,
		j.Sub[0], j.Sub[1], j.Sub[2], j.Sub[3], j.Sub[4], j.AffID, j.PubID, j.OfferID, j.CreativeID} {
		e.str(s)
	}
	e.int(j.ClickTime)
	e.str(j.MatchType)
	e.uint(uint64(len(j.Attempts)))
	for _, a := range j.Attempts {
		e.int(a.Time)
		e.int(int64(a.StatusCode))
		e.int(a.LatencyUS)
		e.str(a.Error)
	}
	return e.b
}

// sizeHint is an upper bound of j's encoded size, so AppendJob grows its
// buffer once.
func (j *Job) sizeHint() int {
	n := 1 + 10 + 3*10 + 2*10 + 4*10 // version, id, times, attempt count
	for _, s := range [...]string{j.Partner, j.Kind, j.EventName, j.ClickID, j.InstallID, j.EventID,
		j.Revenue, j.Currency, j.Platform, j.GAID, j.IDFA, j.OAID, j.IP,
		j.Country, j.AppID, j.AppVersion, j.CampaignID, j.CampaignName,
		j.Sub[0], j.Sub[1], j.Sub[2], j.Sub[3], j.Sub[4], j.AffID, j.PubID, j.OfferID, j.CreativeID, j.MatchType} {
		n += binary.MaxVarintLen64 + len(s)
	}
	for _, a := range j.Attempts {
		n += 3*binary.MaxVarintLen64 + binary.MaxVarintLen64 + len(a.Error)
	}
	return n
}

// DecodeJob decodes an outbox payload into j. The payload is copied once,
// into one string that every field of j is a substring of.
func DecodeJob(b []byte, j *Job) error {
	_, err := decodeJob(b, j)
	return err
}

// encodedJob is a job's payload as it was read, kept so that recording an
// attempt appends to it instead of encoding every field again.
type encodedJob struct {
	src    string // the payload; "": none kept
	attOff int    // where its attempt count begins
	attEnd int    // where the count ends and the attempts begin
}

// decodeJob is DecodeJob, also returning the payload and where its
// attempts are.
func decodeJob(b []byte, j *Job) (encodedJob, error) {
	d := jobDecoder{s: string(b)}
	if d.byte() != jobVersion {
		return encodedJob{}, fmt.Errorf("%w: version", errCorruptJob)
	}
	j.ID = d.uint()
	j.Partner = d.str()
	j.Kind = d.str()
	j.EventName = d.str()
	j.Created = d.int()
	j.FirstDue = d.int()
	for _, p := range [...]*string{&j.ClickID, &j.InstallID, &j.EventID} {
		*p = d.str()
	}
	j.EventTime = d.int()
	for _, p := range [...]*string{&j.Revenue, &j.Currency, &j.Platform, &j.GAID, &j.IDFA, &j.OAID, &j.IP,
		&j.Country, &j.AppID, &j.AppVersion, &j.CampaignID, &j.CampaignName,
		&j.Sub[0], &j.Sub[1], &j.Sub[2], &j.Sub[3], &j.Sub[4], &j.AffID, &j.PubID, &j.OfferID, &j.CreativeID} {
		*p = d.str()
	}
	j.ClickTime = d.int()
	j.MatchType = d.str()
	enc := encodedJob{src: d.s, attOff: d.off}
	n := d.uint()
	enc.attEnd = d.off
	if n > maxKeptAttempts+1 {
		return encodedJob{}, fmt.Errorf("%w: %d attempts", errCorruptJob, n)
	}
	j.Attempts = j.Attempts[:0]
	if n > 0 && cap(j.Attempts) < int(n) {
		j.Attempts = make([]Attempt, 0, n+1) // room for the next attempt
	}
	for range n {
		a := Attempt{Time: d.int(), StatusCode: int(d.int()), LatencyUS: d.int(), Error: d.str()}
		j.Attempts = append(j.Attempts, a)
	}
	if d.bad || d.off != len(d.s) {
		return encodedJob{}, errCorruptJob
	}
	return enc, nil
}

// appendWithAttempt appends the encoding of the job enc was decoded into,
// with attempt a added, to dst: AppendJob of that job after addAttempt(a),
// given the job was not changed since. ok is false when it cannot (no
// payload kept, or the attempts are at maxKeptAttempts and one must go).
func (enc *encodedJob) appendWithAttempt(dst []byte, n int, a Attempt) ([]byte, bool) {
	if enc.src == "" || n >= maxKeptAttempts {
		return dst, false
	}
	dst = slices.Grow(dst, len(enc.src)+4*binary.MaxVarintLen64+len(a.Error))
	dst = append(dst, enc.src[:enc.attOff]...)
	e := jobEncoder{b: dst}
	e.uint(uint64(n + 1))
	e.b = append(e.b, enc.src[enc.attEnd:]...)
	e.int(a.Time)
	e.int(int64(a.StatusCode))
	e.int(a.LatencyUS)
	e.str(a.Error)
	return e.b, true
}

// peekPartner returns the partner name of an encoded job without decoding
// (or copying) the rest; the scheduler reads it for every due entry.
func peekPartner(b []byte) (name []byte, ok bool) {
	if len(b) == 0 || b[0] != jobVersion {
		return nil, false
	}
	b = b[1:]
	if _, n := binary.Uvarint(b); n > 0 {
		b = b[n:]
	} else {
		return nil, false
	}
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return nil, false
	}
	return b[n : n+int(l)], true
}

// jobs recycles the dispatcher's Jobs: one is decoded for every postback
// handed out, and freed once its result is written.
var jobs = sync.Pool{New: func() any { return new(Job) }}

func getJob() *Job { return jobs.Get().(*Job) }

func putJob(j *Job) {
	a := j.Attempts[:0]
	clear(a[:cap(a)])
	*j = Job{Attempts: a}
	jobs.Put(j)
}

// addAttempt records a, keeping the first attempt and the latest ones.
func (j *Job) addAttempt(a Attempt) {
	if len(j.Attempts) >= maxKeptAttempts {
		copy(j.Attempts[1:], j.Attempts[2:])
		j.Attempts = j.Attempts[:len(j.Attempts)-1]
	}
	j.Attempts = append(j.Attempts, a)
}

// triesSince counts the attempts made at or after since (unix ms): a
// redriven postback's backoff starts over.
func (j *Job) triesSince(since int64) int {
	n := 0
	for _, a := range j.Attempts {
		if a.Time >= since {
			n++
		}
	}
	return n
}

type jobEncoder struct{ b []byte }

func (e *jobEncoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *jobEncoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *jobEncoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

type jobDecoder struct {
	s   string
	off int
	bad bool
}

func (d *jobDecoder) fail() { d.bad, d.off = true, len(d.s) }

func (d *jobDecoder) byte() byte {
	if d.off >= len(d.s) {
		d.fail()
		return 0
	}
	c := d.s[d.off]
	d.off++
	return c
}

// uint reads a uvarint exactly as binary.Uvarint does.
func (d *jobDecoder) uint() uint64 {
	var x uint64
	var shift uint
	for i := 0; d.off+i < len(d.s); i++ {
		if i == binary.MaxVarintLen64 {
			break // overflow
		}
		c := d.s[d.off+i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break // overflow
			}
			d.off += i + 1
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	d.fail()
	return 0
}

// int reads a varint exactly as binary.Varint does.
func (d *jobDecoder) int() int64 {
	ux := d.uint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *jobDecoder) str() string {
	n := d.uint()
	if n > uint64(len(d.s)-d.off) {
		d.fail()
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}
