package tracker_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/tracker"
)

// TestConversionBatchMemoryBounded: batch bodies being received must not
// pin memory without bound. Each unfinished upload to /v1/conversions/batch
// (up to 16 MiB, read with io.ReadAll) is held in the heap for as long as
// its client keeps the body open (ReadTimeout, 30 s), and nothing bounds
// how many are read at once: anyone who can reach the public listener
// (no conversion_tokens is the default) holds about 17 MiB per connection,
// so a few hundred connections take the whole edge, clicks included, down
// with it.
func TestConversionBatchMemoryBounded(t *testing.T) {
	e := attrNewEnv(t, store.Async, "")
	addr := serveTracker(t, e.tr)
	const (
		conns = 16
		limit = 128 << 20 // the heap these uploads may hold between them
	)
	line := `{"type":"install","install_id":"` + strings.Repeat("x", 200) + `"}` + "\n"
	body := []byte(strings.Repeat(line, (15<<20)/len(line)))

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapInuse

	var wg sync.WaitGroup
	var mu sync.Mutex
	var cs []net.Conn
	defer func() {
		mu.Lock()
		for _, c := range cs {
			c.Close() // unblocks a writer the server is not reading from
		}
		mu.Unlock()
		wg.Wait()
	}()
	for range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		cs = append(cs, c)
		mu.Unlock()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The declared length is one byte more than is ever sent: the
			// upload stays open, as a slow or hostile client's does.
			fmt.Fprintf(c, "POST /v1/conversions/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n", len(body)+1)
			c.Write(body)
		}()
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if grown := int64(ms.HeapInuse) - int64(before); grown > limit {
			t.Fatalf("%d unfinished 15 MiB batch uploads hold %d MiB of heap, want at most %d MiB", conns, grown>>20, limit>>20)
		}
	}
}

// TestConversionBatchBusy: while maxBatchReads large batch bodies are being
// received, another waits for a slot, and is answered 503 with Retry-After
// if none frees in time; a small batch (read by fasthttp before the
// handler, within MaxConversionBody) is never held back.
func TestConversionBatchBusy(t *testing.T) {
	tracker.SetBatchReadWait(t, 300*time.Millisecond)
	e := attrNewEnv(t, store.Async, "")
	addr := serveTracker(t, e.tr)
	line := `{"type":"install","install_id":"` + strings.Repeat("x", 200) + `"}` + "\n"
	big := strings.Repeat(line, (200<<10)/len(line))
	head := func(n int) string {
		return fmt.Sprintf("POST /v1/conversions/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n", n)
	}
	for range 4 { // four uploads that never finish hold the slots
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		io.WriteString(c, head(len(big)+1)+big)
	}
	time.Sleep(200 * time.Millisecond) // their handlers hold the slots
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, head(len(big))+big)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(b), "busy") {
		t.Fatalf("a fifth large batch: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	// A small batch goes through.
	small, err := http.Post("http://"+addr+"/v1/conversions/batch", "application/x-ndjson",
		strings.NewReader(`{"type":"install","install_id":"small1"}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer small.Body.Close()
	if small.StatusCode != 200 {
		b, _ := io.ReadAll(small.Body)
		t.Fatalf("a small batch: %d %s", small.StatusCode, b)
	}
}
