package deadline

import (
	"bytes"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestRawIO: a socket wrapped by Listener is read and written with raw
// system calls, and behaves as net.Conn does: writes larger than the
// socket buffers wait for the reader and arrive whole, a closed peer reads
// as io.EOF, a reset one as ECONNRESET, and an empty read returns at once.
func TestRawIO(t *testing.T) {
	t.Run("raw", func(t *testing.T) {
		server, _ := lazyPair(t)
		if server.raw == nil {
			t.Fatal("a TCP connection is not read raw")
		}
	})

	t.Run("large write waits for a slow reader", func(t *testing.T) {
		server, client := lazyPair(t)
		want := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB: many EAGAINs
		got := make(chan []byte)
		go func() {
			var b bytes.Buffer
			buf := make([]byte, 4096)
			for b.Len() < len(want) {
				n, err := client.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
				if b.Len()%(1<<20) < 4096 {
					time.Sleep(time.Millisecond) // let the sender fill its buffers
				}
			}
			got <- b.Bytes()
		}()
		if n, err := server.Write(want); n != len(want) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		if b := <-got; !bytes.Equal(b, want) {
			t.Fatalf("read %d bytes, not the %d written", len(b), len(want))
		}
	})

	t.Run("echo both ways", func(t *testing.T) {
		server, client := lazyPair(t)
		if _, err := client.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		n, err := server.Read(buf)
		if err != nil || string(buf[:n]) != "ping" {
			t.Fatalf("Read = %q, %v", buf[:n], err)
		}
		if n, err := server.Read(buf[:0]); n != 0 || err != nil {
			t.Fatalf("empty Read = %d, %v", n, err)
		}
		if _, err := server.Write([]byte("pong")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(client, buf[:4]); err != nil || string(buf[:4]) != "pong" {
			t.Fatalf("client read %q, %v", buf[:4], err)
		}
	})

	t.Run("peer closed", func(t *testing.T) {
		server, client := lazyPair(t)
		client.Close()
		if n, err := server.Read(make([]byte, 16)); n != 0 || err != io.EOF {
			t.Fatalf("Read = %d, %v; want 0, io.EOF", n, err)
		}
	})

	t.Run("peer reset", func(t *testing.T) {
		server, client := lazyPair(t)
		client.(*net.TCPConn).SetLinger(0)
		client.Close()
		if _, err := server.Read(make([]byte, 16)); !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("Read: %v; want ECONNRESET", err)
		}
	})

	t.Run("closed while reading", func(t *testing.T) {
		server, _ := lazyPair(t)
		done := make(chan error)
		go func() {
			_, err := server.Read(make([]byte, 16))
			done <- err
		}()
		time.Sleep(20 * time.Millisecond)
		server.Close()
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read: %v; want net.ErrClosed", err)
		}
	})

	t.Run("no allocation", func(t *testing.T) {
		server, client := lazyPair(t)
		req, buf := []byte("x"), make([]byte, 16)
		if n := testing.AllocsPerRun(100, func() {
			client.Write(req)
			server.Read(buf)
			server.Write(req)
			client.Read(buf)
		}); n != 0 {
			// The client's side is net.Conn's own; the server's must add nothing.
			t.Errorf("a round trip allocates %v times", n)
		}
	})
}
