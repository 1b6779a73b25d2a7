package tracker

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var testNow = time.Date(2025, 11, 26, 0, 0, 0, 0, time.UTC)

func TestClickIDFormat(t *testing.T) {
	g := NewClickIDGen("us-east")
	id := string(g.Append(nil, testNow))
	if !strings.HasPrefix(id, "us-east-") || len(id) != g.Len() || g.Len() != len("us-east-")+21 {
		t.Fatalf("id %q, Len %d", id, g.Len())
	}
	for i := 0; i < len(id); i++ {
		if !isUnreserved(id[i]) {
			t.Fatalf("id %q has %q, not URL-safe", id, id[i])
		}
	}
	// The time is readable back from the first 13 characters.
	var stamp uint64
	for _, c := range id[len("us-east-") : len("us-east-")+stampChars] {
		stamp = stamp<<5 | uint64(strings.IndexRune(base32hex, c))
	}
	if ms := int64(stamp >> seqBits); ms != testNow.UnixMilli() {
		t.Errorf("id %q encodes %d, want %d", id, ms, testNow.UnixMilli())
	}

	for region, prefix := range map[string]string{"": "", "local": "local-", "ap south/1": "apsouth1-", "é": ""} {
		id := string(NewClickIDGen(region).Append(nil, testNow))
		if !strings.HasPrefix(id, prefix) || len(id) != len(prefix)+21 {
			t.Errorf("region %q: id %q", region, id)
		}
	}
}

func TestClickIDSortedByTime(t *testing.T) {
	g := NewClickIDGen("local")
	var ids []string
	now := testNow
	for i := range 5000 {
		// Several ids a millisecond, steps of a millisecond, a second and
		// a day, and a clock that goes back once.
		switch {
		case i%7 == 0:
			now = now.Add(time.Millisecond)
		case i%997 == 0:
			now = now.Add(time.Second)
		case i%1999 == 0:
			now = now.Add(24 * time.Hour)
		case i == 2500:
			now = now.Add(-time.Minute)
		}
		ids = append(ids, string(g.Append(nil, now)))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i-1] >= ids[i] {
			t.Fatalf("ids out of order at %d: %s >= %s", i, ids[i-1], ids[i])
		}
	}
	// Separate generators (processes) still order by time across
	// milliseconds.
	a := string(NewClickIDGen("local").Append(nil, testNow))
	b := string(NewClickIDGen("local").Append(nil, testNow.Add(time.Millisecond)))
	if a >= b {
		t.Errorf("%s >= %s", a, b)
	}
	// More ids in one millisecond than the sequence holds: still unique
	// and increasing.
	g = NewClickIDGen("x")
	prev := ""
	for range 1<<seqBits + 10 {
		id := string(g.Append(nil, testNow))
		if id <= prev {
			t.Fatalf("%s <= %s", id, prev)
		}
		prev = id
	}
}

func TestClickIDConcurrent(t *testing.T) {
	const goroutines, each = 16, 100_000 / 16
	g := NewClickIDGen("local")
	results := make([][]string, goroutines)
	var wg sync.WaitGroup
	for w := range goroutines {
		wg.Go(func() {
			buf := make([]byte, 0, 64)
			ids := make([]string, 0, each)
			for range each {
				buf = g.Append(buf[:0], time.Now())
				ids = append(ids, string(buf))
			}
			results[w] = ids
		})
	}
	wg.Wait()
	seen := make(map[string]bool, goroutines*each)
	for _, ids := range results {
		// Each goroutine sees its own ids in increasing order.
		if !slices.IsSorted(ids) {
			t.Fatalf("a goroutine's ids are not increasing")
		}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("duplicate id %s", id)
			}
			seen[id] = true
		}
	}
	// Stripped of the random part, they are unique too: the sequence alone
	// keeps one generator's ids apart.
	stamps := map[string]bool{}
	for id := range seen {
		stamps[id[:len(id)-randomChars]] = true
	}
	if len(stamps) != len(seen) {
		t.Fatalf("%d stamps for %d ids", len(stamps), len(seen))
	}
}
