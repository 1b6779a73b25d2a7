package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// ParseDuration parses a non-negative Go duration ("90s", "1h30m", "2ms",
// "0") that may also use "d" for 24-hour days ("7d", "1d12h", "30d"). Days
// must be whole. Signs are refused: nothing in the config is negative.
func ParseDuration(s string) (time.Duration, error) {
	bad := func(why string) (time.Duration, error) {
		return 0, fmt.Errorf("invalid duration %s: %s", quote(s), why)
	}
	if s == "" {
		return bad("empty")
	}
	if s[0] == '-' || s[0] == '+' {
		return bad("signs are not allowed")
	}
	// Split into number+unit pieces; "d" pieces are summed here, the rest is
	// handed to time.ParseDuration as one string.
	var days uint64
	var rest strings.Builder
	for r := s; r != ""; {
		i := 0
		for i < len(r) && (r[i] >= '0' && r[i] <= '9' || r[i] == '.') {
			i++
		}
		if i == 0 {
			return bad("expected a number")
		}
		j := i
		for j < len(r) && !(r[j] >= '0' && r[j] <= '9' || r[j] == '.') {
			j++
		}
		if r[i:j] == "d" {
			n, err := strconv.ParseUint(r[:i], 10, 64)
			if err != nil {
				return bad("days must be a whole number")
			}
			if days += n; days < n || days > maxDays {
				return bad("too long")
			}
		} else {
			rest.WriteString(r[:j])
		}
		r = r[j:]
	}
	total := time.Duration(days) * day
	if rest.Len() > 0 {
		d, err := time.ParseDuration(rest.String())
		if err != nil {
			return bad("want a number and a unit (ns, us, ms, s, m, h, d) per part")
		}
		if d > math.MaxInt64-total {
			return bad("too long")
		}
		total += d
	}
	return total, nil
}

// maxDays keeps days*24h within time.Duration.
const maxDays = uint64(math.MaxInt64 / int64(day))

// formatDuration is the inverse of ParseDuration for messages: whole days as
// "d", the rest as Go prints it without trailing zero units ("1d12h", "40d",
// "1h30m", "2ms", "0").
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	if d < 0 {
		if d == math.MinInt64 {
			return d.String()
		}
		return "-" + formatDuration(-d)
	}
	var s string
	if days := d / day; days > 0 {
		s = strconv.FormatInt(int64(days), 10) + "d"
		d -= days * day
	}
	if d > 0 {
		r := d.String()
		if strings.HasSuffix(r, "h0m0s") {
			r = strings.TrimSuffix(r, "0m0s")
		} else if strings.HasSuffix(r, "m0s") {
			r = strings.TrimSuffix(r, "0s")
		}
		s += r
	}
	return s
}
