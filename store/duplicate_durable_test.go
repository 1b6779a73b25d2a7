package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// gatedSyncFS holds WAL syncs while the gate is closed, so a test can crash
// the file system while a commit's fsync is under way.
type gatedSyncFS struct {
	vfs.FS
	mu   sync.Mutex
	held bool
	open chan struct{}
}

func newGatedSyncFS(fs vfs.FS) *gatedSyncFS { return &gatedSyncFS{FS: fs} }

func (g *gatedSyncFS) hold() {
	g.mu.Lock()
	g.held, g.open = true, make(chan struct{})
	g.mu.Unlock()
}

func (g *gatedSyncFS) release() {
	g.mu.Lock()
	if g.held {
		g.held = false
		close(g.open)
	}
	g.mu.Unlock()
}

func (g *gatedSyncFS) wait() {
	g.mu.Lock()
	held, ch := g.held, g.open
	g.mu.Unlock()
	if held {
		<-ch
	}
}

func (g *gatedSyncFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &gatedFile{File: f, g: g}, nil
}

func (g *gatedSyncFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := g.FS.Create(name, cat)
	return g.wrap(name, f, err)
}

func (g *gatedSyncFS) ReuseForWrite(o, n string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := g.FS.ReuseForWrite(o, n, cat)
	return g.wrap(n, f, err)
}

type gatedFile struct {
	vfs.File
	g *gatedSyncFS
}

func (f *gatedFile) Sync() error     { f.g.wait(); return f.File.Sync() }
func (f *gatedFile) SyncData() error { f.g.wait(); return f.File.SyncData() }

// TestDuplicateConversionWaitsForOriginal: in sync mode a
// conversion transaction that reads another's install (the tracker then
// answers "duplicate", 200) commits, and returns, while that install's WAL
// record is not yet fsynced. A crash then loses the install although a
// request about it was answered as recorded. Now an empty transaction
// waits for the conversions applied before it to be synced. Found by an
// audit.
func TestDuplicateConversionWaitsForOriginal(t *testing.T) {
	mem := vfs.NewCrashableMem()
	g := newGatedSyncFS(mem)
	clk := newClock(t0)
	s := openOpts(t, Options{Dir: "db", fs: g, Durability: Sync, Now: clk.Now})
	defer g.release()

	g.hold()
	first := make(chan error, 1)
	go func() {
		tx := s.BeginConversions()
		tx.PutInstall(&Install{InstallID: "in1", ClickID: "c1"})
		first <- tx.Commit() // waits for the held fsync
	}()

	// Wait until the first install is visible (applied, fsync held).
	deadline := time.Now().Add(5 * time.Second)
	for {
		tx := s.BeginConversions()
		_, seen, err := tx.Install("in1")
		tx.Abort()
		if err != nil {
			t.Fatal(err)
		}
		if seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("first install never visible")
		}
		time.Sleep(time.Millisecond)
	}
	// The retry of the same install: seen, so the tracker answers
	// "duplicate" once its transaction commits.
	answered := make(chan error, 1)
	go func() {
		tx := s.BeginConversions()
		_, seen, err := tx.Install("in1")
		if err != nil || !seen {
			tx.Abort()
			answered <- fmt.Errorf("retry saw %v %v", seen, err)
			return
		}
		answered <- tx.Commit() // nothing to write
	}()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(300 * time.Millisecond):
		// The duplicate waits for the first install's fsync: correct.
		g.release()
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if err := <-answered; err != nil {
			t.Fatal(err)
		}
		return
	}
	select {
	case err := <-first:
		t.Fatalf("first commit returned (%v) while its fsync is held", err)
	default:
	}
	// The duplicate's 200 has left. Now the machine loses power.
	crashed := mem.CrashClone(vfs.CrashCloneCfg{})
	g.release()
	<-first

	s2 := openOpts(t, Options{Dir: "db", fs: crashed, Durability: Sync, Now: clk.Now})
	if _, err := s2.GetInstall("in1"); errors.Is(err, ErrNotFound) {
		t.Fatal("install in1 lost in a crash after a transaction that read it committed (answered duplicate/200) in sync mode")
	} else if err != nil {
		t.Fatal(err)
	}
}
