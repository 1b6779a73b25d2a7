package deadline

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testcert"
)

// clientPair returns the client end of a 127.0.0.1 TCP connection wrapped
// by WrapClient, and the server end, plain.
func clientPair(t *testing.T) (*Conn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	client := WrapClient(c)
	t.Cleanup(func() { client.Close(); s.Close() })
	if client.raw == nil || !client.raw.holdWrites {
		t.Fatal("a TCP client connection does not hold its writes")
	}
	return client, s.(*net.TCPConn)
}

// readN reads n bytes from c (within 5 s) or fails.
func readN(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return b
}

// answer reads want from the server end and writes reply, in the
// background; the error (nil when all went well) arrives on the channel.
func answer(server net.Conn, want, reply []byte) <-chan error {
	done := make(chan error, 1)
	go func() {
		server.SetReadDeadline(time.Now().Add(5 * time.Second))
		got := make([]byte, len(want))
		if _, err := io.ReadFull(server, got); err != nil {
			done <- err
			return
		}
		if !bytes.Equal(got, want) {
			done <- errors.New("server read " + string(got[:min(len(got), 64)]))
			return
		}
		_, err := server.Write(reply)
		done <- err
	}()
	return done
}

// TestHeldWrites: a client connection's write is sent by the read that
// follows it, and the peer sees the same bytes in the same order as
// without holding, in every case: one exchange after another, two writes
// before a read, a write too large to hold, a write the socket can take
// only part of, and a held write before Close.
func TestHeldWrites(t *testing.T) {
	t.Run("held until the read", func(t *testing.T) {
		client, server := clientPair(t)
		if n, err := client.Write([]byte("ping")); n != 4 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		// Nothing is on the wire yet: the server's read times out.
		server.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if n, err := server.Read(make([]byte, 4)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("server Read before the client's read = %d, %v; want a timeout", n, err)
		}
		done := answer(server, []byte("ping"), []byte("pong"))
		if got := readN(t, client, 4); string(got) != "pong" {
			t.Fatalf("client read %q", got)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})

	t.Run("exchanges in a row", func(t *testing.T) {
		client, server := clientPair(t)
		for i := range 100 {
			req, resp := []byte{'q', byte(i)}, []byte{'a', byte(i), '!'}
			done := answer(server, req, resp)
			if _, err := client.Write(req); err != nil {
				t.Fatal(err)
			}
			if got := readN(t, client, 3); !bytes.Equal(got, resp) {
				t.Fatalf("exchange %d: client read %q", i, got)
			}
			if err := <-done; err != nil {
				t.Fatalf("exchange %d: %v", i, err)
			}
		}
	})

	t.Run("two writes before a read", func(t *testing.T) {
		client, server := clientPair(t)
		done := answer(server, []byte("headerbody"), []byte("ok"))
		client.Write([]byte("header"))
		client.Write([]byte("body"))
		if got := readN(t, client, 2); string(got) != "ok" {
			t.Fatalf("client read %q", got)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a large write is sent at once", func(t *testing.T) {
		client, server := clientPair(t)
		big := bytes.Repeat([]byte("0123456789abcdef"), (maxHeld+1024)/16)
		done := answer(server, big, []byte("ok"))
		if n, err := client.Write(big); n != len(big) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		if err := <-done; err != nil { // read by the server before the client reads
			t.Fatal(err)
		}
		if got := readN(t, client, 2); string(got) != "ok" {
			t.Fatalf("client read %q", got)
		}
	})

	t.Run("the socket is full", func(t *testing.T) {
		client, server := clientPair(t)
		// A server that does not read yet, and a client whose socket has
		// no room left: the held write cannot go out from inside the read,
		// which sends it with a waiting write instead, then reads.
		client.Conn.(*net.TCPConn).SetWriteBuffer(4096)
		server.SetReadBuffer(4096)
		filler := fill(t, client.Conn.(*net.TCPConn))
		req := bytes.Repeat([]byte("x"), maxHeld)
		if _, err := client.Write(req); err != nil {
			t.Fatal(err)
		}
		done := drainThenAnswer(server, filler, req, 5*time.Second)
		if got := readN(t, client, 2); string(got) != "ok" {
			t.Fatalf("client read %q", got)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if client.raw.stalls == 0 {
			t.Error("the held write went out whole: the case was not tested")
		}
	})

	t.Run("Close sends what is held", func(t *testing.T) {
		client, server := clientPair(t)
		client.Write([]byte("bye"))
		client.Close()
		if got := readN(t, server, 3); string(got) != "bye" {
			t.Fatalf("server read %q", got)
		}
		if n, err := server.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("server Read after the request = %d, %v; want EOF", n, err)
		}
	})

	t.Run("the read deadline covers the wait for the answer", func(t *testing.T) {
		client, server := clientPair(t)
		client.Write([]byte("ping"))
		client.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := client.Read(make([]byte, 4)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read with no answer: %v; want a timeout", err)
		}
		if got := readN(t, server, 4); string(got) != "ping" { // sent all the same
			t.Fatalf("server read %q", got)
		}
	})

	t.Run("a reset peer", func(t *testing.T) {
		client, server := clientPair(t)
		server.SetLinger(0)
		server.Close()
		time.Sleep(20 * time.Millisecond) // the RST reaches the client
		client.Write([]byte("ping"))
		_, err := client.Read(make([]byte, 4))
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("Read after the peer reset: %v; want ECONNRESET or EPIPE", err)
		}
	})

	t.Run("no allocation", func(t *testing.T) {
		client, server := clientPair(t)
		go func() { // an echo server: plain net.Conn reads and writes allocate nothing
			b := make([]byte, 1)
			for {
				if _, err := server.Read(b); err != nil {
					return
				}
				if _, err := server.Write(b); err != nil {
					return
				}
			}
		}()
		req, buf := []byte("x"), make([]byte, 16)
		if n := testing.AllocsPerRun(100, func() {
			client.Write(req)
			client.Read(buf)
		}); n != 0 {
			t.Errorf("a round trip allocates %v times", n)
		}
	})
}

// TestHeldWritesTLS: TLS over a client connection (as the postback client
// dials https partners) handshakes, exchanges and closes.
func TestHeldWritesTLS(t *testing.T) {
	certFile, keyFile := testcert.Write(t, t.TempDir(), "partner")
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	client, server := clientPair(t)
	srv := tls.Server(server, &tls.Config{Certificates: []tls.Certificate{cert}})
	done := make(chan error, 1)
	go func() {
		srv.SetDeadline(time.Now().Add(5 * time.Second))
		for range 3 {
			b := make([]byte, 4)
			if _, err := io.ReadFull(srv, b); err != nil {
				done <- err
				return
			}
			if _, err := srv.Write(bytes.ToUpper(b)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	tc := tls.Client(client, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	for _, w := range []string{"ping", "pong", "done"} {
		if _, err := tc.Write([]byte(w)); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 4)
		if _, err := io.ReadFull(tc, b); err != nil || string(b) != string(bytes.ToUpper([]byte(w))) {
			t.Fatalf("TLS exchange %q: read %q, %v", w, b, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := tc.Close(); err != nil {
		t.Fatal(err)
	}
}

// fill writes 'f's to c until its socket takes no more, without waiting,
// and returns how many it wrote. The system calls are made outside the
// poller (rc.Control), so that no deadline armed on c applies to them.
func fill(t *testing.T, c *net.TCPConn) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("f"), 1024)
	total := 0
	rc.Control(func(fd uintptr) {
		for {
			n, err := syscall.Write(int(fd), chunk)
			if n > 0 {
				total += n
			}
			if err != nil {
				return // EAGAIN: full
			}
		}
	})
	if total == 0 {
		t.Fatal("fill: 0 bytes")
	}
	return total
}

// drainThenAnswer, after a pause, reads on server the filler that filled
// the client's socket, checks it, and answers req with "ok"; the channel
// says how that went.
func drainThenAnswer(server net.Conn, filler int, req []byte, within time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		server.SetReadDeadline(time.Now().Add(within))
		got := make([]byte, filler)
		if _, err := io.ReadFull(server, got); err != nil {
			done <- err
			return
		}
		if bytes.Count(got, []byte("f")) != filler {
			done <- errors.New("the filler came back changed")
			return
		}
		done <- <-answer(server, req, []byte("ok"))
	}()
	return done
}
