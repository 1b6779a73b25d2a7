package dispatch

import (
	"encoding/binary"
	"errors"
	"fmt"
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

// DecodeJob decodes an outbox payload into j.
func DecodeJob(b []byte, j *Job) error {
	d := jobDecoder{b: b}
	if d.byte() != jobVersion {
		return fmt.Errorf("%w: version", errCorruptJob)
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
	n := d.uint()
	if n > maxKeptAttempts+1 {
		return fmt.Errorf("%w: %d attempts", errCorruptJob, n)
	}
	j.Attempts = j.Attempts[:0]
	for range n {
		a := Attempt{Time: d.int(), StatusCode: int(d.int()), LatencyUS: d.int(), Error: d.str()}
		j.Attempts = append(j.Attempts, a)
	}
	if d.bad || len(d.b) != 0 {
		return errCorruptJob
	}
	return nil
}

// addAttempt records a, keeping the first attempt and the latest ones.
func (j *Job) addAttempt(a Attempt) {
	if len(j.Attempts) >= maxKeptAttempts {
		copy(j.Attempts[1:], j.Attempts[2:])
		j.Attempts = j.Attempts[:len(j.Attempts)-1]
	}
	j.Attempts = append(j.Attempts, a)
}

type jobEncoder struct{ b []byte }

func (e *jobEncoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *jobEncoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *jobEncoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

type jobDecoder struct {
	b   []byte
	bad bool
}

func (d *jobDecoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *jobDecoder) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *jobDecoder) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *jobDecoder) str() string {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
