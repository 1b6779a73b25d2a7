package tracker

import "errors"

// Decimal is an exact decimal amount in major units, as a conversion's
// revenue is sent: it keeps every digit it was given, so no binary rounding
// can creep in between the client and the postback ("0.1"+"0.2" problems are
// impossible), and it is rounded once, half away from zero, when rendered.
//
// It holds the sign and the digits as text, in canonical form: the integer
// part without leading zeros ("0" when it is zero), then the fraction exactly
// as sent, trailing zeros included ("1234.50" stays "1234.50"). A float or an
// int64 mantissa could not keep an arbitrary number of fraction digits; text
// can, and it is what the store and the postback want anyway.
//
// The zero Decimal is 0.
type Decimal struct {
	neg    bool   // never set for a zero value: there is no "-0"
	digits string // canonical magnitude; "" is 0
}

// convMaxIntDigits bounds the magnitude: under 10^15, so at most 15
// integer digits. The bound is on the value as given: "999999999999999.999"
// is accepted and rounds to "1000000000000000.00".
const convMaxIntDigits = 15

// ErrNotDecimal is ParseDecimal's only error, for anything but a plain
// decimal under 10^15; its text is what the revenue field's FieldError says.
var ErrNotDecimal = errors.New("not a finite decimal")

// ParseDecimal reads a plain decimal: an optional '+' or '-', one or more
// digits, optionally a '.' followed by one or more digits. There is no
// exponent, no space, no thousands separator, and no bare point (".5" and
// "5." are refused: the contract's "digits, optional point and digits" reads
// as digits on both sides). The magnitude must be under 10^15; the number of
// fraction digits is not limited. The result shares s's memory.
func ParseDecimal(s string) (Decimal, error) {
	if _, _, ok := convScanDecimal(s); !ok {
		return Decimal{}, ErrNotDecimal
	}
	return convDecimalOf(s), nil
}

// convDecimalOf builds the Decimal of s, which convScanDecimal accepted.
func convDecimalOf(s string) Decimal {
	neg, start, _ := convScanDecimal(s)
	return Decimal{neg: neg, digits: s[start:]}
}

// convScanDecimal checks s and returns whether the value is negative (a negative
// zero is not) and where its canonical digits start in s.
func convScanDecimal[T string | []byte](s T) (neg bool, start int, ok bool) {
	i := 0
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		i = 1
	}
	intStart := i
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	intEnd := i
	if intEnd == intStart {
		return false, 0, false
	}
	if i < len(s) {
		if s[i] != '.' {
			return false, 0, false
		}
		i++
		fracStart := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == fracStart || i != len(s) {
			return false, 0, false
		}
	}
	// Skip leading zeros but keep the last integer digit.
	start = intStart
	for start < intEnd-1 && s[start] == '0' {
		start++
	}
	if intEnd-start > convMaxIntDigits {
		return false, 0, false
	}
	if neg {
		neg = false
		for j := start; j < len(s); j++ {
			if c := s[j]; c != '0' && c != '.' {
				neg = true
				break
			}
		}
	}
	return neg, start, true
}

// String returns the canonical text: "-" for a negative value, the integer
// part without leading zeros, and the fraction digits as given.
func (d Decimal) String() string {
	if d.digits == "" {
		return "0"
	}
	if d.neg {
		return "-" + d.digits
	}
	return d.digits
}

// IsZero reports whether d is zero.
func (d Decimal) IsZero() bool {
	for i := 0; i < len(d.digits); i++ {
		if c := d.digits[i]; c != '0' && c != '.' {
			return false
		}
	}
	return true
}

// Sign returns -1, 0 or +1. Revenue may be negative: a refund.
func (d Decimal) Sign() int {
	switch {
	case d.neg:
		return -1
	case d.IsZero():
		return 0
	}
	return 1
}

// AppendFixed2 appends d with exactly two decimals, rounded half away from
// zero as the postback contract says: "9.995" is "10.00", "-0.005" is
// "-0.01", "1" is "1.00". A value that rounds to zero is "0.00", never
// "-0.00". It does not allocate when dst has room.
func (d Decimal) AppendFixed2(dst []byte) []byte {
	ip, fp := d.digits, ""
	for i := 0; i < len(d.digits); i++ {
		if d.digits[i] == '.' {
			ip, fp = d.digits[:i], d.digits[i+1:]
			break
		}
	}
	if ip == "" {
		ip = "0"
	}
	// The magnitude in hundredths, as digits: 15 integer digits, 2 fraction
	// digits and room for a carry in front.
	var m [1 + convMaxIntDigits + 2]byte
	n := copy(m[1:], ip)
	for k := 0; k < 2; k++ {
		c := byte('0')
		if k < len(fp) {
			c = fp[k]
		}
		m[1+n] = c
		n++
	}
	digits := m[1 : 1+n]
	// Half away from zero on the magnitude: only the third fraction digit
	// decides, since 0.005 <= rest < 0.01 exactly when it is 5..9.
	if len(fp) > 2 && fp[2] >= '5' {
		k := len(digits) - 1
		for k >= 0 && digits[k] == '9' {
			digits[k] = '0'
			k--
		}
		if k >= 0 {
			digits[k]++
		} else {
			m[0] = '1'
			digits = m[:1+n]
		}
	}
	if d.neg && !convAllZero(digits) {
		dst = append(dst, '-')
	}
	dst = append(dst, digits[:len(digits)-2]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-2:]...)
}

func convAllZero(b []byte) bool {
	for _, c := range b {
		if c != '0' {
			return false
		}
	}
	return true
}
