package deadline

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestHeldCloseUnblocksWrite: as on any net.Conn, Close must unblock a
// Write that waits for room on a socket whose peer does not read.
func TestHeldCloseUnblocksWrite(t *testing.T) {
	client, _ := clientPair(t)
	wrote := make(chan error, 1)
	go func() {
		_, err := client.Write(make([]byte, 64<<20)) // larger than maxHeld: sent at once, and blocks
		wrote <- err
	}()
	time.Sleep(200 * time.Millisecond) // the write is parked, waiting for room
	closed := make(chan error, 1)
	go func() { closed <- client.Close() }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		client.Conn.Close() // unblock the Write, so that the test can end
		t.Fatal("Close did not return within 3 s while a Write was blocked")
	}
	select {
	case <-wrote:
	case <-time.After(3 * time.Second):
		t.Fatal("the Write was not unblocked by Close")
	}
}

// TestHeldStalledWriteOutlivesAnEarlierDeadline: the write deadline armed for an
// earlier request has passed, and a later one (5 s away) was asked for, as
// fasthttp does on a reused connection. A held write the socket takes only
// part of must still go out whole: the earlier deadline's expiry is an
// early one, retried, and nothing held is dropped (it was, and the read
// waited out its deadline for an answer the server could not give).
func TestHeldStalledWriteOutlivesAnEarlierDeadline(t *testing.T) {
	client, server := clientPair(t)
	// A server that does not read yet, and a client socket with no room.
	client.Conn.(*net.TCPConn).SetWriteBuffer(4096)
	server.SetReadBuffer(4096)
	// An earlier request's write deadline, armed and long past.
	client.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
	time.Sleep(50 * time.Millisecond)
	// This request's: later than the armed one, so only remembered.
	client.SetWriteDeadline(time.Now().Add(5 * time.Second))
	client.SetReadDeadline(time.Now().Add(3 * time.Second))
	filler := fill(t, client.Conn.(*net.TCPConn))

	req := bytes.Repeat([]byte("x"), maxHeld)
	if _, err := client.Write(req); err != nil {
		t.Fatal(err)
	}
	done := drainThenAnswer(server, filler, req, 2*time.Second)
	b := make([]byte, 2)
	_, err := io.ReadFull(client, b)
	if err != nil || string(b) != "ok" {
		t.Errorf("client read %q, %v; want \"ok\"", b, err)
	}
	if err := <-done; err != nil {
		t.Errorf("server: %v", err)
	}
}
