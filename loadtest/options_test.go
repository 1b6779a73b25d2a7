package loadtest

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseMix(t *testing.T) {
	f := func(in string, want Mix, wantErr bool) {
		t.Helper()
		got, err := ParseMix(in)
		if (err != nil) != wantErr {
			t.Fatalf("ParseMix(%q) error = %v, want error %v", in, err, wantErr)
		}
		if got != want {
			t.Fatalf("ParseMix(%q) = %+v, want %+v", in, got, want)
		}
	}
	f("click=90,install=8,event=2", Mix{Click: 90, Install: 8, Event: 2}, false)
	f("click=60,impression=30,install=8,event=2", Mix{Click: 60, Install: 8, Event: 2, Impression: 30}, false)
	f("impression=1", Mix{Impression: 1}, false)
	f(" click = 1 , event=1 ", Mix{Click: 1, Event: 1}, false)
	f("install=5", Mix{Install: 5}, false)
	f("", Mix{}, true)
	f("click=0,install=0", Mix{}, true)
	f("click=-1,install=2", Mix{}, true)
	f("click=1.5", Mix{}, true)
	f("click", Mix{}, true)
	f("=3", Mix{}, true)
	f("click=1,click=2", Mix{}, true)
	f("clicks=90", Mix{}, true)
	f("click=90;install=8", Mix{}, true)
}

func TestParseFlags(t *testing.T) {
	base := []string{"-target", "http://127.0.0.1:8080", "-rate", "500", "-duration", "10s"}
	ok := func(args []string, check func(Options) bool) {
		t.Helper()
		var stderr strings.Builder
		o, err := ParseFlags(args, &stderr)
		if err != nil {
			t.Fatalf("ParseFlags(%q): %v (stderr %q)", args, err, stderr.String())
		}
		if !check(o) {
			t.Fatalf("ParseFlags(%q) = %+v", args, o)
		}
	}
	bad := func(args []string, wantInErr string) {
		t.Helper()
		var stderr strings.Builder
		_, err := ParseFlags(args, &stderr)
		if err == nil {
			t.Fatalf("ParseFlags(%q) accepted", args)
		}
		if !strings.Contains(err.Error(), wantInErr) || !strings.Contains(stderr.String(), wantInErr) {
			t.Fatalf("ParseFlags(%q): error %q, stderr %q; want both to mention %q", args, err, stderr.String(), wantInErr)
		}
	}
	with := func(kv ...string) []string {
		args := append([]string(nil), base...)
		for i := 0; i < len(kv); i += 2 {
			replaced := false
			for j := 0; j < len(args); j += 2 {
				if args[j] == kv[i] {
					args[j+1], replaced = kv[i+1], true
				}
			}
			if !replaced {
				args = append(args, kv[i], kv[i+1])
			}
		}
		return args
	}

	ok(base, func(o Options) bool {
		return o.Rate == 500 && o.Duration == 10*time.Second && o.Campaign == "demo" &&
			o.Mix == DefaultMix && o.Conns == 64 && o.BotShare == 0.02 && o.MalformedShare == 0.01 &&
			o.Timeout == DefaultTimeout
	})
	ok(with("-rate", "25000"), func(o Options) bool { return o.Conns == 250 })
	ok(with("-conversion-token", "tok-123"), func(o Options) bool { return o.ConversionToken == "tok-123" })
	bad(with("-conversion-token", "tok 123"), "-conversion-token")
	ok(with("-rate", "0.5", "-duration", "90"), func(o Options) bool { return o.Rate == 0.5 && o.Duration == 90*time.Second })
	ok(with("-duration", "1h"), func(o Options) bool { return o.Duration == time.Hour })
	ok(with("-campaign", "OgWmhiSXhG", "-mix", "click=1", "-conns", "8", "-json", "/tmp/x.json", "-seed", "7"), func(o Options) bool {
		return o.Campaign == "OgWmhiSXhG" && o.Mix == Mix{Click: 1} && o.Conns == 8 && o.JSONPath == "/tmp/x.json" && o.Seed == 7
	})
	ok(with("-target", "https://edge.example/base/"), func(o Options) bool { return o.Target == "https://edge.example/base/" })

	ok(with("-rate", "0.001"), func(o Options) bool { return o.Rate == 0.001 })
	ok(with("-conns", "100000"), func(o Options) bool { return o.Conns == 100000 })
	// 1e-10/s would overflow the schedule's length (n/rate as a Duration);
	// a million connections would take gigabytes and a million sockets.
	bad(with("-rate", "1e-10"), "-rate")
	bad(with("-conns", "1000000"), "-conns")
	for _, r := range []string{"0", "-5", "abc", "NaN", "+Inf", "1e9"} {
		bad(with("-rate", r), "-rate")
	}
	for _, d := range []string{"0s", "0", "-5", "-5s", "abc", "61m", "3601"} {
		bad(with("-duration", d), "-duration")
	}
	for _, tg := range []string{"", "127.0.0.1:8080", "ftp://host/", "http://", "/relative", "http://h/?c=demo", "http://u:p@h/", "http://h:99999/"} {
		bad(with("-target", tg), "-target")
	}
	bad([]string{"-rate", "5", "-duration", "1s"}, "-target is required")
	bad([]string{"-target", "http://h", "-duration", "1s"}, "-rate is required")
	bad([]string{"-target", "http://h", "-rate", "1"}, "-duration is required")
	bad(with("-mix", "click=0"), "-mix")
	bad(with("-conns", "-1"), "-conns")
	bad(with("-campaign", ""), "-campaign")
	bad(append(with(), "extra"), "unexpected argument")

	if _, err := ParseFlags([]string{"-nope"}, io.Discard); err == nil {
		t.Fatal("unknown flag accepted")
	}
}

func TestScheduledSlots(t *testing.T) {
	f := func(rate float64, d time.Duration, maxReq, want int64) {
		t.Helper()
		o := Options{Rate: rate, Duration: d, MaxRequests: maxReq}
		if got := o.scheduled(); got != want {
			t.Fatalf("scheduled(rate %v, %v, max %d) = %d, want %d", rate, d, maxReq, got, want)
		}
	}
	f(500, 2*time.Second, 0, 1000) // slots 0..999 are due before 2s
	f(3, 1500*time.Millisecond, 0, 5)
	f(500, 2*time.Second, 10, 10)
	f(0.1, time.Second, 0, 1)
}
