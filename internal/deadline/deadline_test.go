package deadline

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// lazyPair returns the server end of a 127.0.0.1 TCP connection, accepted
// through a Listener, and the client end.
func lazyPair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := Listener{ln}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return server.(*Conn), client
}

// sendAfter writes p to c after d, from another goroutine.
func sendAfter(c net.Conn, d time.Duration, p string) {
	go func() {
		time.Sleep(d)
		c.Write([]byte(p))
	}()
}

// The deadlines fasthttp asks for, in the order it asks, must behave as
// if each had been set on the connection itself. The margins are wide (a
// deadline 50ms away against data 300ms away): the tests check which of
// the two comes first, never how long anything takes.
func TestLazyDeadlineRead(t *testing.T) {
	const soon, later, data = 50 * time.Millisecond, 2 * time.Second, 300 * time.Millisecond
	tests := []struct {
		name      string
		deadlines []time.Duration // from now, in order; 0: none
		wantErr   bool
	}{
		{"a later deadline: the earlier timer's expiry is retried", []time.Duration{soon, later}, false},
		{"no deadline after one: the timer's expiry is retried", []time.Duration{soon, 0}, false},
		{"an earlier deadline is armed at once", []time.Duration{later, soon}, true},
		{"a deadline before the data expires", []time.Duration{soon}, true},
		{"the idle, read, idle pattern of a keep-alive connection", []time.Duration{later, soon, later}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, client := lazyPair(t)
			began := time.Now()
			for _, d := range tt.deadlines {
				var at time.Time
				if d != 0 {
					at = began.Add(d)
				}
				if err := server.SetReadDeadline(at); err != nil {
					t.Fatal(err)
				}
			}
			sendAfter(client, data, "GET")
			buf := make([]byte, 8)
			n, err := server.Read(buf)
			if tt.wantErr {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("Read = %d, %v; want the deadline exceeded", n, err)
				}
				if el := time.Since(began); el < soon {
					t.Fatalf("deadline exceeded after %v, before the %v asked for", el, soon)
				}
				return
			}
			if err != nil || string(buf[:n]) != "GET" {
				t.Fatalf("Read = %q, %v; want GET", buf[:n], err)
			}
		})
	}
}

// A write that times out early may have sent part of its buffer: the rest
// must follow, once, in order.
func TestLazyDeadlineWriteResumes(t *testing.T) {
	server, client := lazyPair(t)
	// More than the socket buffers hold, so the write blocks until the
	// client reads, which it starts after the first (early) deadline.
	payload := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16)
	began := time.Now()
	server.SetWriteDeadline(began.Add(50 * time.Millisecond))
	server.SetWriteDeadline(began.Add(10 * time.Second))
	got := make(chan []byte)
	go func() {
		time.Sleep(300 * time.Millisecond)
		b, _ := io.ReadAll(client)
		got <- b
	}()
	n, err := server.Write(payload)
	if err != nil || n != len(payload) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(payload))
	}
	server.Close()
	if b := <-got; !bytes.Equal(b, payload) {
		t.Fatalf("client read %d bytes, not the %d written", len(b), len(payload))
	}
}

// A write deadline that has passed still fails the write.
func TestLazyDeadlineWriteExpires(t *testing.T) {
	server, _ := lazyPair(t)
	payload := bytes.Repeat([]byte("x"), 16<<20) // the client never reads
	began := time.Now()
	server.SetWriteDeadline(began.Add(100 * time.Millisecond))
	n, err := server.Write(payload)
	if !errors.Is(err, os.ErrDeadlineExceeded) || n == len(payload) {
		t.Fatalf("Write = %d, %v; want a partial write and the deadline exceeded", n, err)
	}
	if el := time.Since(began); el < 100*time.Millisecond {
		t.Fatalf("deadline exceeded after %v, before the 100ms asked for", el)
	}
}

// A busy keep-alive connection re-arms its timer about once per timeout,
// not on every request.
func TestLazyDeadlineArmsRarely(t *testing.T) {
	server, _ := lazyPair(t)
	now := time.Now()
	arms := 0
	for i := range 1000 {
		at := now.Add(time.Duration(i) * time.Microsecond)
		for _, d := range []struct {
			dl    *lazyDeadline
			read  bool
			until time.Time
		}{{&server.read, true, at.Add(2 * time.Minute)}, {&server.read, true, at.Add(30 * time.Second)}, {&server.write, false, at.Add(30 * time.Second)}} {
			before := d.dl.armed
			if err := server.set(d.dl, d.read, d.until); err != nil {
				t.Fatal(err)
			}
			if !d.dl.armed.Equal(before) {
				arms++
			}
		}
	}
	// The first request arms the read timer twice (idle, then the earlier
	// read timeout) and the write timer once; no later one arms anything.
	if arms != 3 {
		t.Fatalf("1000 requests armed timers %d times, want 3", arms)
	}
}
