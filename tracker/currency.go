package tracker

// IsCurrency reports whether code is an active ISO 4217 alphabetic code
// (currency_codes.go). It is case-sensitive: the parsers upper-case the
// currency they read, so a client's "usd" is accepted as "USD".
func IsCurrency(code string) bool {
	i, ok := convCurrencyIndex(code)
	return ok && convCurrencySet[i/64]&(1<<(i%64)) != 0
}

// convCurrencySet has one bit per three-letter code, AAA..ZZZ: a lookup is an
// index computation, without hashing or allocation.
var convCurrencySet = func() (set [(26*26*26 + 63) / 64]uint64) {
	for i := 0; i+3 <= len(iso4217Codes); i += 4 {
		if n, ok := convCurrencyIndex(iso4217Codes[i : i+3]); ok {
			set[n/64] |= 1 << (n % 64)
		}
	}
	return set
}()

func convCurrencyIndex(code string) (uint, bool) {
	if len(code) != 3 {
		return 0, false
	}
	n := uint(0)
	for i := 0; i < 3; i++ {
		c := code[i]
		if c < 'A' || c > 'Z' {
			return 0, false
		}
		n = n*26 + uint(c-'A')
	}
	return n, true
}
