package dispatch

import "unsafe"

// Values holds one conversion's macro values by canonical id. The zero value
// is empty, and a nil *Values renders like an empty one. Values keeps the
// slices it is given: they must stay unchanged until rendering is done, and
// slices returned by Get must not be written to.
type Values struct {
	v [numMacros][]byte
}

// Set stores b as m's value without copying it. An id past the last macro
// panics (index out of range) rather than silently dropping a value.
func (v *Values) Set(m Macro, b []byte) { v.v[m] = b }

// SetString stores s as m's value without copying it. The bytes alias the
// string, which is safe because nothing in this package writes to a value.
func (v *Values) SetString(m Macro, s string) {
	v.v[m] = unsafe.Slice(unsafe.StringData(s), len(s))
}

// Get returns m's value; nil when unset (rendered as empty).
func (v *Values) Get(m Macro) []byte {
	if v == nil || !m.Valid() {
		return nil
	}
	return v.v[m]
}

// Reset empties v so it can be reused for the next conversion.
func (v *Values) Reset() { clear(v.v[:]) }
