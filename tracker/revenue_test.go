package tracker

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in, str, fixed2 string // str "" means: rejected
	}{
		{"0", "0", "0.00"},
		{"1", "1", "1.00"},
		{"9.99", "9.99", "9.99"},
		{"9.995", "9.995", "10.00"},
		{"9.994", "9.994", "9.99"},
		{"99.995", "99.995", "100.00"},
		{"-99.995", "-99.995", "-100.00"},
		{"0.005", "0.005", "0.01"},
		{"0.0049", "0.0049", "0.00"},
		{"-0.005", "-0.005", "-0.01"},
		{"-0.0050", "-0.0050", "-0.01"},
		{"-0.004", "-0.004", "0.00"}, // rounds to zero: no "-0.00"
		{"-0.001", "-0.001", "0.00"},
		{"1234.5", "1234.5", "1234.50"},
		{"1234.50", "1234.50", "1234.50"},
		{"0.1", "0.1", "0.10"},
		{"00012.30", "12.30", "12.30"},
		{"000", "0", "0.00"},
		{"00.5", "0.5", "0.50"},
		{"-0", "0", "0.00"},
		{"-0.00", "0.00", "0.00"},
		{"+0", "0", "0.00"},
		{"+1.5", "1.5", "1.50"},
		{"-007", "-7", "-7.00"},
		{"1.005", "1.005", "1.01"}, // 1.00499999999999989... as a float64
		{"1.015", "1.015", "1.02"},
		{"2.675", "2.675", "2.68"}, // 2.67499999999999982... as a float64
		{"0.045", "0.045", "0.05"},
		{"1.00499999999999999999", "1.00499999999999999999", "1.00"},
		{"1.00500000000000000000", "1.00500000000000000000", "1.01"},
		{"0.0000000000000000000000000000001", "0.0000000000000000000000000000001", "0.00"},
		{"999999999999999", "999999999999999", "999999999999999.00"},
		{"999999999999999.994", "999999999999999.994", "999999999999999.99"},
		// The bound is on the value as given; rounding may then reach 10^15.
		{"999999999999999.995", "999999999999999.995", "1000000000000000.00"},
		{"999999999999999.999", "999999999999999.999", "1000000000000000.00"},
		{"-999999999999999.999", "-999999999999999.999", "-1000000000000000.00"},
		{"000999999999999999", "999999999999999", "999999999999999.00"},
		{"1000000000000000", "", ""},
		{"-1000000000000000", "", ""},
		{"1000000000000000.0", "", ""},
		{"0001000000000000000", "", ""},
		{"", "", ""},
		{"+", "", ""},
		{"-", "", ""},
		{"--1", "", ""},
		{"+-1", "", ""},
		{"-+1", "", ""},
		{".5", "", ""},
		{"5.", "", ""},
		{"-.5", "", ""},
		{".", "", ""},
		{"1.2.3", "", ""},
		{"1e5", "", ""},
		{"1E5", "", ""},
		{"1.5e2", "", ""},
		{"NaN", "", ""},
		{"nan", "", ""},
		{"Infinity", "", ""},
		{"-Inf", "", ""},
		{"1,5", "", ""},
		{"1,000.00", "", ""},
		{"1_000", "", ""},
		{" 1", "", ""},
		{"1 ", "", ""},
		{"0x10", "", ""},
		{"$5", "", ""},
		{"5$", "", ""},
		{"١", "", ""}, // Arabic-Indic digit one
		{"1\x00", "", ""},
	}
	for _, tt := range tests {
		d, err := ParseDecimal(tt.in)
		if tt.str == "" {
			if !errors.Is(err, ErrNotDecimal) {
				t.Errorf("ParseDecimal(%q) = %v, %v; want ErrNotDecimal", tt.in, d, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDecimal(%q): %v", tt.in, err)
			continue
		}
		if got := d.String(); got != tt.str {
			t.Errorf("ParseDecimal(%q).String() = %q, want %q", tt.in, got, tt.str)
		}
		if got := string(d.AppendFixed2(nil)); got != tt.fixed2 {
			t.Errorf("ParseDecimal(%q).AppendFixed2 = %q, want %q", tt.in, got, tt.fixed2)
		}
		if back, err := ParseDecimal(d.String()); err != nil || back != d {
			t.Errorf("ParseDecimal(%q).String() does not parse back: %v %v", tt.in, back, err)
		}
	}
	if got := string(Decimal{}.AppendFixed2([]byte("x="))); got != "x=0.00" {
		t.Errorf("zero Decimal: %q", got)
	}
	if got := (Decimal{}).String(); got != "0" {
		t.Errorf("zero Decimal String: %q", got)
	}
}

func TestDecimalSign(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "-0.000": 0, "0.001": 1, "-0.001": -1, "12": 1, "-12": -1} {
		d := convDec(in)
		if got := d.Sign(); got != want {
			t.Errorf("%q.Sign() = %d, want %d", in, got, want)
		}
		if d.IsZero() != (want == 0) {
			t.Errorf("%q.IsZero() = %v", in, d.IsZero())
		}
	}
}

// convRatFixed2 is the reference rounding: exact rational arithmetic, halves
// away from zero (big.Rat.FloatString), without a negative zero.
func convRatFixed2(r *big.Rat) string {
	s := r.FloatString(2)
	if s == "-0.00" {
		return "0.00"
	}
	return s
}

// convFormatScaled writes n / 10^scale as a plain decimal, the way a client
// holding minor units would.
func convFormatScaled(n int64, scale int) string {
	neg := n < 0
	digits := strconv.FormatUint(uint64(n), 10)
	if neg {
		digits = strconv.FormatUint(uint64(-n), 10)
	}
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

func TestDecimalMatchesBigRat(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	limit := new(big.Rat).SetInt64(1_000_000_000_000_000)
	for i := 0; i < 200000; i++ {
		var n int64
		switch r.IntN(3) {
		case 0:
			n = r.Int64N(2000) - 1000 // small values: halves and zero
		case 1:
			n = r.Int64N(1_000_000_000_000) - 500_000_000_000
		default:
			n = int64(r.Uint64()) // the whole int64 range
		}
		scale := r.IntN(22)
		s := convFormatScaled(n, scale)
		want, _ := new(big.Rat).SetString(s)
		inRange := new(big.Rat).Abs(want).Cmp(limit) < 0
		d, err := ParseDecimal(s)
		if (err == nil) != inRange {
			t.Fatalf("ParseDecimal(%q): err %v, in range %v", s, err, inRange)
		}
		if err != nil {
			continue
		}
		if got, exp := string(d.AppendFixed2(nil)), convRatFixed2(want); got != exp {
			t.Fatalf("%q: AppendFixed2 %q, big.Rat %q", s, got, exp)
		}
		if got, _ := new(big.Rat).SetString(d.String()); got.Cmp(want) != 0 {
			t.Fatalf("%q: String %q changes the value", s, d.String())
		}
	}
}
