package dispatch

import (
	"reflect"
	"testing"
)

// FuzzAppendWithAttempt: for any payload that decodes, recording an attempt
// by appending to the payload as read gives a payload that decodes to the
// job with that attempt added, as encoding the whole job again would.
func FuzzAppendWithAttempt(f *testing.F) {
	j := renderJob()
	f.Add(AppendJob(nil, j), int64(1764115300003), int64(503), int64(777), "timeout")
	j.Attempts = []Attempt{{Time: 1, StatusCode: 500, LatencyUS: 2, Error: "x"}}
	f.Add(AppendJob(nil, j), int64(-1), int64(0), int64(1<<40), "")
	f.Fuzz(func(t *testing.T, data []byte, tm, code, lat int64, msg string) {
		var got Job
		enc, err := decodeJob(data, &got)
		if err != nil {
			return
		}
		a := Attempt{Time: tm, StatusCode: int(code), LatencyUS: lat, Error: msg}
		b, ok := enc.appendWithAttempt(nil, len(got.Attempts), a)
		if !ok {
			return
		}
		want := got
		want.Attempts = append([]Attempt(nil), got.Attempts...)
		want.addAttempt(a)
		var back Job
		if err := DecodeJob(b, &back); err != nil {
			t.Fatalf("payload with the attempt appended does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalize(want), normalize(back)) {
			t.Fatalf("appended\n got %+v\nwant %+v", back, want)
		}
	})
}
