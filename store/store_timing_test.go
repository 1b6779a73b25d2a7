package store

import (
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Benchmarks of the click path. Run with
//
//	go test ./store/ -run '^$' -bench . -benchmem

func BenchmarkEncodeClick(b *testing.B) {
	clicks := realisticClicks(1024)
	val := make([]byte, 0, 1024)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		val = appendClickValue(val[:0], &clicks[i&1023], 0x1234)
		i++
	}
	b.ReportMetric(float64(len(val)), "bytes/record")
}

func BenchmarkDecodeClick(b *testing.B) {
	clicks := realisticClicks(1024)
	vals := make([][]byte, len(clicks))
	for i := range clicks {
		vals[i] = appendClickValue(nil, &clicks[i], 0x1234)
	}
	buf := make([]byte, 0, 256)
	var c Click
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var err error
		if buf, _, err = decodeClick(vals[i&1023], &c, buf[:0]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// clickSource hands out realistic clicks with unique click_ids without
// allocating: a template from a prepared set, and an id made of a prefix
// and a counter written into the caller's buffer.
type clickSource struct {
	tmpl []Click
	next atomic.Uint64
}

func newClickSource() *clickSource { return &clickSource{tmpl: realisticClicks(4096)} }

// take fills c with the next click; idBuf must outlive the write.
func (cs *clickSource) take(c *Click, idBuf []byte) []byte {
	n := cs.next.Add(1)
	*c = cs.tmpl[n&4095]
	idBuf = append(idBuf[:0], c.ClickID[:12]...)
	idBuf = strconv.AppendUint(idBuf, n, 36)
	c.ClickID = idBuf
	return idBuf
}

func BenchmarkPutClickAsync(b *testing.B) {
	benchPutClick(b, Options{Durability: Async})
}

// BenchmarkPutClickReplicated is BenchmarkPutClickAsync with replication
// on: each click also queues its replication record in its batch, and, as
// the publisher does once the server acknowledges them, every 512 records
// are read back and deleted (in the benchmark's loop, so their cost counts
// in ns/op; publishing itself is the network's). Compare the two in one
// run:
//
//	go test ./store -run '^$' -bench 'PutClick(Async|Replicated)$' -count 6
func BenchmarkPutClickReplicated(b *testing.B) {
	benchPutClick(b, Options{Durability: Async, Replicate: true})
}

func benchPutClick(b *testing.B, o Options) {
	clk := newClock(t0)
	o.Dir, o.Now = b.TempDir(), clk.Now
	s, err := Open(o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	src := newClickSource()
	idBuf := make([]byte, 0, 64)
	var c Click
	var published []OutboxPos
	var cursor OutboxPos
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		idBuf = src.take(&c, idBuf)
		if ok, err := s.PutClick(&c); !ok || err != nil {
			b.Fatal(ok, err)
		}
		if o.Replicate && i%512 == 511 {
			published = published[:0]
			err := s.ReplicationPending(cursor, 512, func(e OutboxEntry) bool {
				published = append(published, OutboxPos{At: e.At, ID: e.ID})
				return true
			})
			if err == nil {
				err = s.ReplicationPublished(published, 0)
			}
			if len(published) > 0 {
				cursor = published[len(published)-1].Next()
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkPutClickSyncParallel writes durable clicks from 32 goroutines
// per CPU: Pebble's commit pipeline lets one WAL fsync cover all the clicks
// that queued behind it, reported as clicks/fsync.
func BenchmarkPutClickSyncParallel(b *testing.B) {
	clk := newClock(t0)
	fs := &syncCountFS{FS: vfs.Default}
	s, err := Open(Options{Dir: b.TempDir(), fs: fs, Durability: Sync, Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	src := newClickSource()
	b.ReportAllocs()
	b.SetParallelism(32)
	b.ResetTimer()
	start := fs.walSyncs.Load()
	b.RunParallel(func(pb *testing.PB) {
		idBuf := make([]byte, 0, 64)
		var c Click
		for pb.Next() {
			idBuf = src.take(&c, idBuf)
			if ok, err := s.PutClick(&c); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	if syncs := fs.walSyncs.Load() - start; syncs > 0 {
		b.ReportMetric(float64(b.N)/float64(syncs), "clicks/fsync")
	}
}

func BenchmarkGetClick(b *testing.B) {
	const n = 200_000
	clk := newClock(t0)
	s, err := Open(Options{Dir: b.TempDir(), Durability: Async, Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	g := newClickGen(3, t0, 3*time.Second) // a week: two buckets
	if err := s.bulkLoad(g, 0, n, 1000); err != nil {
		b.Fatal(err)
	}
	if err := s.Compact(); err != nil {
		b.Fatal(err)
	}
	ids := make([][]byte, 4096)
	for i := range ids {
		ids[i] = g.clickID(nil, uint64(i*47)%n)
	}
	buf := make([]byte, 0, 1024)
	var c Click
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			var ok bool
			if buf, ok, err = s.GetClick(ids[i&4095], &c, buf); !ok || err != nil {
				b.Fatal(ok, err)
			}
			i++
		}
	})
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		miss := make([][]byte, len(ids))
		for i, id := range ids {
			miss[i] = append([]byte("m"), id...)
		}
		i := 0
		for b.Loop() {
			var ok bool
			if buf, ok, err = s.GetClick(miss[i&4095], &c, buf); ok || err != nil {
				b.Fatal(ok, err)
			}
			i++
		}
	})
}

// syncCountFS counts the fsyncs of WAL files.
type syncCountFS struct {
	vfs.FS
	walSyncs atomic.Int64
}

func (fs *syncCountFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &syncCountFile{File: f, n: &fs.walSyncs}, nil
}

func (fs *syncCountFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, cat)
	return fs.wrap(name, f, err)
}

func (fs *syncCountFS) ReuseForWrite(oldname, newname string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, cat)
	return fs.wrap(newname, f, err)
}

type syncCountFile struct {
	vfs.File
	n *atomic.Int64
}

func (f *syncCountFile) Sync() error {
	f.n.Add(1)
	return f.File.Sync()
}

func (f *syncCountFile) SyncData() error {
	f.n.Add(1)
	return f.File.SyncData()
}
