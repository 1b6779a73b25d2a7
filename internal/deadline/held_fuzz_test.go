package deadline

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// FuzzHeldWrites: over a real 127.0.0.1 connection whose client end holds
// its writes, any sequence of exchanges (a request written in one to three
// writes of any size, held or not; an answer of any size read in reads of
// any size; now and then after the connection sat idle; small socket
// buffers or not) carries the same bytes in the same order both ways as a
// plain connection would.
func FuzzHeldWrites(f *testing.F) {
	f.Add([]byte{10, 3, 200, 7, 0}, false)
	f.Add([]byte{0xff, 0xff, 0xff, 1, 1, 3, 0x80, 2, 40, 5, 5}, true)
	f.Add([]byte{50, 0x41, 100, 3, 9, 0xc0, 7, 7, 7, 7}, false)
	f.Fuzz(func(t *testing.T, ops []byte, small bool) {
		if len(ops) > 40 {
			ops = ops[:40]
		}
		client, s := clientPair(t)
		if small {
			client.Conn.(*net.TCPConn).SetWriteBuffer(4096)
			s.SetReadBuffer(4096)
		}

		next := func() int {
			if len(ops) == 0 {
				return 0
			}
			b := ops[0]
			ops = ops[1:]
			return int(b)
		}
		idles := 0
		for seq := 0; len(ops) > 0; seq++ {
			flags := next()
			nwrites := 1 + flags%3
			var writes [][]byte
			var req []byte
			for range nwrites {
				n := next()
				if flags&0x40 != 0 {
					n *= 97 // up to ~24 KiB: past maxHeld
				}
				w := make([]byte, n)
				for i := range w {
					w[i] = byte(seq*31 + len(req) + i)
				}
				writes = append(writes, w)
				req = append(req, w...)
			}
			ansLen := 1 + next()*(1+flags>>7*300)
			ans := make([]byte, ansLen)
			for i := range ans {
				ans[i] = byte(seq*17 + i*7)
			}
			readSize := 1 + next()*(1+flags>>5&1*50)
			if flags&0x08 != 0 && idles < 2 {
				idles++
				time.Sleep(idleCheckAfter + 10*time.Millisecond)
			}

			done := make(chan error, 1)
			go func() {
				s.SetDeadline(time.Now().Add(5 * time.Second))
				got := make([]byte, len(req))
				if _, err := io.ReadFull(s, got); err != nil {
					done <- err
					return
				}
				if !bytes.Equal(got, req) {
					done <- errMismatch
					return
				}
				_, err := s.Write(ans)
				done <- err
			}()
			client.SetDeadline(time.Now().Add(5 * time.Second))
			for _, w := range writes {
				if n, err := client.Write(w); n != len(w) || err != nil {
					t.Fatalf("exchange %d: Write(%d bytes) = %d, %v", seq, len(w), n, err)
				}
			}
			var got []byte
			buf := make([]byte, readSize)
			for len(got) < len(ans) {
				n, err := client.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					t.Fatalf("exchange %d (request %d bytes in %d writes, answer %d, reads of %d, small %v): client read %d then %v",
						seq, len(req), len(writes), len(ans), readSize, small, len(got), err)
				}
			}
			if !bytes.Equal(got, ans) {
				t.Fatalf("exchange %d: client read the wrong answer", seq)
			}
			if err := <-done; err != nil {
				t.Fatalf("exchange %d (request %d bytes in %d writes): server: %v", seq, len(req), len(writes), err)
			}
		}
	})
}

var errMismatch = io.ErrUnexpectedEOF
