package tracker

import (
	"encoding/json"
	"testing"
	"time"
)

func BenchmarkParseConversionJSON(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(convBenchJSON)))
	var c Conversion
	for b.Loop() {
		if err := ParseConversionJSON(convBenchJSON, &c); err != nil {
			b.Fatal(err)
		}
	}
}

// The reflection-based decoder on the same body, for comparison only.
func BenchmarkParseConversionJSONStdlib(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(convBenchJSON)))
	var v struct {
		Type, InstallID, EventName, EventID, App, Platform, GAID, IP, UserAgent, Currency string
		EventTime                                                                         int64
		Revenue                                                                           json.Number
	}
	for b.Loop() {
		if err := json.Unmarshal(convBenchJSON, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseConversionForm(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(convBenchForm)))
	var c Conversion
	for b.Loop() {
		if err := ParseConversionForm(convBenchForm, &c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConversionValidate(b *testing.B) {
	b.ReportAllocs()
	var c Conversion
	if err := ParseConversionJSON(convBenchJSON, &c); err != nil {
		b.Fatal(err)
	}
	now := time.Unix(1764115200, 0)
	for b.Loop() {
		if err := c.Validate(now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecimalAppendFixed2(b *testing.B) {
	b.ReportAllocs()
	d := convDec("1234.5678")
	var buf [32]byte
	for b.Loop() {
		d.AppendFixed2(buf[:0])
	}
}
