package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// slowWALSyncFS makes every sync of a WAL file take d: a disk that is busy
// (compactions, a neighbour), where an fdatasync takes tens to hundreds of
// milliseconds.
type slowWALSyncFS struct {
	vfs.FS
	d time.Duration
	// syncing: the unix ns at which the WAL sync in progress began; 0: none.
	syncing *atomic.Int64
}

func (fs slowWALSyncFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, cat)
	return fs.wrap(name, f, err)
}

func (fs slowWALSyncFS) ReuseForWrite(oldname, newname string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, cat)
	return fs.wrap(newname, f, err)
}

func (fs slowWALSyncFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return slowSyncFile{f, fs.d, fs.syncing}, nil
}

type slowSyncFile struct {
	vfs.File
	d       time.Duration
	syncing *atomic.Int64
}

func (f slowSyncFile) Sync() error     { f.slow(); return f.File.Sync() }
func (f slowSyncFile) SyncData() error { f.slow(); return f.File.SyncData() }

func (f slowSyncFile) slow() {
	f.syncing.Store(time.Now().UnixNano())
	time.Sleep(f.d)
	f.syncing.Store(0)
}

// TestAsyncProcessCrashLosesAtMostSyncInterval: durability async is "fsync
// every sync_interval", so a crash loses at most the writes of the last
// sync_interval. A process crash (SIGKILL, the OOM killer, a panic) keeps
// everything written to the WAL file, synced or not: here a crash clone
// that keeps all unsynced data. With a WAL fsync that takes 100 ms, every
// click answered more than 10 sync intervals before the crash must be
// there after a restart.
func TestAsyncProcessCrashLosesAtMostSyncInterval(t *testing.T) {
	const (
		syncInterval = 2 * time.Millisecond
		fsync        = 100 * time.Millisecond
		bound        = 10 * syncInterval
	)
	mem := vfs.NewCrashableMem()
	syncing := new(atomic.Int64)
	s := openOpts(t, Options{Dir: "db", fs: slowWALSyncFS{mem, fsync, syncing}, Durability: Async, SyncInterval: syncInterval})
	type ack struct {
		id string
		at time.Time
	}
	var (
		mu   sync.Mutex
		acks []ack
		stop atomic.Bool
		wg   sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				ok, err := s.PutClick(testClick(id, time.Now()))
				if err != nil || !ok {
					return
				}
				mu.Lock()
				acks = append(acks, ack{id, time.Now()})
				mu.Unlock()
				time.Sleep(200 * time.Microsecond)
			}
		}()
	}
	// Crash half-way through a WAL sync, after 300 ms of clicks (a process
	// crash comes at any moment; with syncs back to back, this is most).
	time.Sleep(300 * time.Millisecond)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Microsecond) {
		if at := syncing.Load(); at != 0 && time.Since(time.Unix(0, at)) >= fsync/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no WAL sync seen")
		}
	}
	crashedAt := time.Now()
	crashed := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 100, RNG: rand.New(rand.NewPCG(1, 2))})
	stop.Store(true)
	wg.Wait()

	s2 := openOpts(t, Options{Dir: "db", fs: crashed, Durability: Async})
	mu.Lock()
	defer mu.Unlock()
	var lost []string
	var oldest time.Duration
	for _, a := range acks {
		age := crashedAt.Sub(a.at)
		if age <= 0 {
			continue
		}
		var c Click
		if _, ok, err := s2.GetClick([]byte(a.id), &c, nil); err != nil {
			t.Fatal(err)
		} else if !ok {
			oldest = max(oldest, age)
			if age > bound {
				lost = append(lost, fmt.Sprintf("%s (answered %v before)", a.id, age.Round(time.Millisecond)))
			}
		}
	}
	t.Logf("%d clicks answered; the oldest lost was answered %v before the crash", len(acks), oldest)
	if len(lost) > 0 {
		t.Fatalf("sync_interval %v: %d clicks answered more than %v before a process crash are lost, e.g. %v",
			syncInterval, len(lost), bound, lost[:min(3, len(lost))])
	}
}

// TestAsyncExplicitSyncReachesDisk: in async mode the store's own writes
// made with pebble.Sync (the id floor, a new bucket's key, retention's
// deletions) are on disk within a few sync intervals, as the clicks are,
// though no click or conversion follows them: with the WAL's fdatasync on
// the store's goroutine, they waited for the next click's sync or the WAL
// file's close, and a power loss on an idle edge lost them.
func TestAsyncExplicitSyncReachesDisk(t *testing.T) {
	mem := vfs.NewCrashableMem()
	s := openOpts(t, Options{Dir: "db", fs: mem, Durability: Async, SyncInterval: 2 * time.Millisecond})
	time.Sleep(20 * time.Millisecond) // what Open wrote is synced
	s.idSeq.Add(1 << 30)              // ids handed out: the floor moves
	if err := s.saveIDFloor(); err != nil {
		t.Fatal(err)
	}
	want := s.idSeq.Load()
	time.Sleep(50 * time.Millisecond) // 25 sync intervals
	crashed := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0, RNG: rand.New(rand.NewPCG(1, 2))})
	s2 := openOpts(t, Options{Dir: "db", fs: crashed, Durability: Async})
	got, err := s2.getUint64(idFloorKey, "id floor")
	if err != nil {
		t.Fatal(err)
	}
	if got < want {
		t.Fatalf("the id floor after a power loss is %d, want %d: saved with pebble.Sync 50 ms before, it never reached the disk", got, want)
	}
}
