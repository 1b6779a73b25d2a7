package config

import (
	"net"
	"strconv"
	"strings"
	"testing"
)

// TestListenersClashWrittenOtherwise: listen and admin_listen that take the
// same socket are refused by check-config (one line naming admin_listen),
// however the address is written. The check compared the text: "every
// address" only as "", "0.0.0.0" or "::", one address only when both were
// spelled alike. An IPv6 address has many spellings ("::0", "0:0::1",
// "::0001") and an IPv4 one its IPv4-mapped form, which Go listens on as
// the IPv4 address. So these files passed check-config (and so systemd's
// ExecStartPre) and serve then failed to bind its second listener. Each row
// binds both addresses for real first, to show they do clash here.
func TestListenersClashWrittenOtherwise(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(probe.Addr().(*net.TCPAddr).Port)
	probe.Close()
	for _, tc := range []struct{ listen, admin string }{
		{"[::0]:P", "127.0.0.1:P"},              // every address, written otherwise
		{"[0:0:0:0:0:0:0:0]:P", "[::1]:P"},      // every address, written out
		{"127.0.0.1:P", "[::ffff:127.0.0.1]:P"}, // one IPv4 address, and its IPv4-mapped form
		{"[::1]:P", "[0:0::1]:P"},               // one IPv6 address, two spellings
		{"[::1]:P", "[0000:0000::0001]:P"},      // leading zeros
		{"[::ffff:0.0.0.0]:P", "127.0.0.1:P"},   // every IPv4 address, mapped
	} {
		listen := strings.ReplaceAll(tc.listen, "P", port)
		admin := strings.ReplaceAll(tc.admin, "P", port)
		t.Run(listen+" "+admin, func(t *testing.T) {
			l1, err := net.Listen("tcp", listen)
			if err != nil {
				t.Skipf("cannot listen on %s here: %v", listen, err)
			}
			l2, err := net.Listen("tcp", admin)
			l1.Close()
			if err == nil {
				l2.Close()
				t.Skipf("%s and %s do not clash on this host", listen, admin)
			}
			yaml := "listen: \"" + listen + "\"\nadmin_listen: \"" + admin + "\"\n"
			_, perr := Parse("x.yaml", []byte(yaml), env())
			if perr == nil || !strings.Contains(perr.Error(), "admin_listen:") {
				t.Fatalf("listen %q, admin_listen %q: config accepted (%v), but serve's second bind fails: %v", listen, admin, perr, err)
			}
		})
	}
}
