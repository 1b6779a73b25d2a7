package tracker

import (
	"sort"
	"strings"
	"testing"
)

func TestIsCurrency(t *testing.T) {
	for _, c := range []string{"USD", "EUR", "INR", "JPY", "GBP", "BHD", "XCG", "ZWG", "XAD", "SLE", "VED", "VES", "XTS", "XXX", "XAU", "CHE", "AED", "ZMW"} {
		if !IsCurrency(c) {
			t.Errorf("IsCurrency(%q) = false", c)
		}
	}
	for _, c := range []string{"", "US", "USDD", "usd", "Usd", "XYZ", "AAA", "ZZZ", "ANG", "BGN", "CUC", "HRK", "ZWL", "SLL", "VEF", "LTL", "U$D", "US\x00", "ÜSD"} {
		if IsCurrency(c) {
			t.Errorf("IsCurrency(%q) = true", c)
		}
	}
}

// The table is the published list in order: sorted, unique, and nothing but
// three upper-case letters separated by single spaces.
func TestCurrencyTable(t *testing.T) {
	codes := strings.Split(iso4217Codes, " ")
	if !sort.StringsAreSorted(codes) {
		t.Error("iso4217Codes is not sorted")
	}
	for i, c := range codes {
		if len(c) != 3 || strings.ToUpper(c) != c || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			t.Errorf("bad code %q", c)
		}
		if i > 0 && codes[i-1] == c {
			t.Errorf("duplicate code %q", c)
		}
		if !IsCurrency(c) {
			t.Errorf("IsCurrency(%q) = false", c)
		}
	}
	// 165 codes with minor units plus 13 without, as in the 2026-01-01 list.
	if len(codes) != 178 {
		t.Errorf("%d codes", len(codes))
	}
	n := 0
	for _, w := range convCurrencySet {
		for ; w != 0; w &= w - 1 {
			n++
		}
	}
	if n != len(codes) {
		t.Errorf("set has %d codes, table %d", n, len(codes))
	}
}
