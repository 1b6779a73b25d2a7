package dispatch

import (
	"errors"
	"net/netip"
	"testing"
)

// TestCheckTargetLocalUseNAT64: RFC 8215's local-use NAT64 prefix,
// 64:ff9b:1::/48, wraps IPv4 addresses as the well-known 64:ff9b::/96
// does, for a translator the operator runs inside their own network; it
// is never a public destination (IANA: not globally reachable). A partner
// name answering 64:ff9b:1::a9fe:a9fe (169.254.169.254) or
// 64:ff9b:1::a00:1 (10.0.0.1) reached, through such a translator, what the
// IPv4 address itself is refused for: the README refuses "NAT64/6to4
// wrappings of refused IPv4", and only the well-known prefix was checked.
func TestCheckTargetLocalUseNAT64(t *testing.T) {
	for _, addr := range []string{
		"64:ff9b:1::a9fe:a9fe",     // /96 under the local-use prefix: 169.254.169.254
		"64:ff9b:1::7f00:1",        // 127.0.0.1
		"64:ff9b:1::a00:1",         // 10.0.0.1
		"64:ff9b:1:a9fe:a9:fe00::", // /64 form (RFC 6052 §2.2): 169.254.169.254
	} {
		err := CheckTarget(netip.MustParseAddr(addr), false)
		if !errors.Is(err, ErrPrivateTarget) {
			t.Errorf("CheckTarget(%s) = %v; want a refusal (local-use NAT64)", addr, err)
		}
	}
}
