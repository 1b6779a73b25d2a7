package config

import (
	"fmt"
	"strings"
	"testing"
)

// aliasBomb is n partners whose events are all one anchored mapping of n
// events: n² templates from a file that grows with n.
func aliasBomb(n int) []byte {
	var b strings.Builder
	b.WriteString("partners:\n  p0:\n    events: &E\n")
	for i := range n {
		fmt.Fprintf(&b, "      e%d: \"https://pb.example/e?c={click_id}\"\n", i)
	}
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  p%d: {events: *E}\n", i)
	}
	return []byte(b.String())
}

// TestAliasAmplificationBounded: aliases are followed within a budget, so
// a small file cannot expand into millions of values (a 136 KiB one became
// four million templates and 1.7 GB, in check-config, serve and every
// reload); the YAML library refuses such files itself, but the decoder
// walks nodes and followed aliases without its guard. A config that uses
// aliases modestly, or is merely large, is accepted. Found by an audit.
func TestAliasAmplificationBounded(t *testing.T) {
	_, err := Parse("x.yaml", aliasBomb(1500), nil)
	if err == nil || !strings.Contains(err.Error(), "aliases") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("an alias bomb: %v, want one line about aliases", err)
	}
	if _, err := Parse("x.yaml", aliasBomb(50), nil); err != nil {
		t.Fatalf("50 partners sharing 50 events: %v", err)
	}
	var big strings.Builder
	big.WriteString("apps:\n  a: {web: \"https://a.example/\"}\ncampaigns:\n")
	for i := range 100_000 {
		fmt.Fprintf(&big, "  c%d: {app: a, name: \"campaign %d\", click_lookback: 7d}\n", i, i)
	}
	if _, err := Parse("x.yaml", []byte(big.String()), nil); err != nil {
		t.Fatalf("100,000 campaigns: %v", err)
	}
}
