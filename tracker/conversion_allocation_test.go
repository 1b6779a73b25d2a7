package tracker

import (
	"testing"
	"time"
)

// convBenchJSON is a realistic 12-field purchase event from an app's backend.
var convBenchJSON = []byte(`{"type":"event","install_id":"inst_7f3a9c","event_name":"purchase","event_id":"evt_0001",` +
	`"event_time":1764115200,"app":"com.example.app","platform":"android","gaid":"38400000-8cf0-11bd-b23e-10b96e40000d",` +
	`"ip":"2001:db8:85a3::8a2e:370:7334","user_agent":"Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A)",` +
	`"revenue":"9.99","currency":"USD"}`)

var convBenchForm = []byte("type=event&install_id=inst_7f3a9c&event_name=purchase&event_id=evt_0001" +
	"&event_time=1764115200&app=com.example.app&platform=android&gaid=38400000-8cf0-11bd-b23e-10b96e40000d" +
	"&ip=2001%3Adb8%3A85a3%3A%3A8a2e%3A370%3A7334&user_agent=Dalvik%2F2.1.0+%28Linux%3B+U%3B+Android+14%3B+Pixel+8+Build%2FAP1A%29" +
	"&revenue=9.99&currency=USD")

// Parsing a conversion costs one allocation, the string all its fields
// share; validating, rendering revenue and splitting a batch cost none.
func TestConversionAllocations(t *testing.T) {
	now := time.Unix(1764115200, 0)
	var c Conversion
	var buf [32]byte
	for _, tt := range []struct {
		name string
		max  float64
		fn   func()
	}{
		{"ParseConversionJSON", 1, func() {
			if err := ParseConversionJSON(convBenchJSON, &c); err != nil {
				t.Fatal(err)
			}
		}},
		{"ParseConversionForm", 1, func() {
			if err := ParseConversionForm(convBenchForm, &c); err != nil {
				t.Fatal(err)
			}
		}},
		{"Validate", 0, func() {
			if err := c.Validate(now); err != nil {
				t.Fatal(err)
			}
		}},
		{"AppendFixed2", 0, func() { c.Revenue.AppendFixed2(buf[:0]) }},
		{"IsCurrency", 0, func() { IsCurrency(c.Currency) }},
		{"ParseDecimal", 0, func() { ParseDecimal(c.Revenue.String()) }},
		{"ClickIDFromReferrer", 0, func() { ClickIDFromReferrer("click_id=abc&c=demo") }},
		{"ForEachNDJSONLine", 0, func() { ForEachNDJSONLine(convBenchJSON, func(int, []byte) {}) }},
	} {
		tt.fn()
		if n := testing.AllocsPerRun(100, tt.fn); n > tt.max {
			t.Errorf("%s: %v allocations, want at most %v", tt.name, n, tt.max)
		}
	}
}
