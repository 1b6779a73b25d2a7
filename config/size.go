package config

import (
	"fmt"
	"math"
	"strconv"
)

// sizeUnits are the units a size may carry: binary multiples only, since
// "MB" reads as 10^6 to some and 2^20 to others.
var sizeUnits = map[string]int64{"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}

// ParseSize parses a byte count: a number and a binary unit ("64MiB",
// "1.5GiB", "512KiB", "100B") or bare bytes ("67108864"). The result must
// be a whole number of bytes.
func ParseSize(s string) (int64, error) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	unit, ok := sizeUnits[s[i:]]
	if i == 0 || !ok {
		return 0, fmt.Errorf("invalid size %s", quote(s))
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %s", quote(s))
	}
	b := n * float64(unit)
	if b != math.Trunc(b) || b > 1<<62 {
		return 0, fmt.Errorf("invalid size %s: not a whole number of bytes up to 4EiB", quote(s))
	}
	return int64(b), nil
}
