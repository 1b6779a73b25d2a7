package tracker

import (
	"reflect"
	"testing"
)

func TestForEachNDJSONLine(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{"", nil},
		{"\n", nil},
		{"\r\n \n\t\r\n", nil},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"a\r\n", []string{"a"}},
		{"a\r", []string{"a"}},
		{"a\nb", []string{"a", "b"}},
		{"a\r\n\r\nb\r\n", []string{"a", "b"}},
		{"\n\na\n  \n\tb \n\n", []string{"a", "\tb "}},
		{"a\r\r\nb", []string{"a\r", "b"}}, // only one "\r" belongs to the line end
		{`{"type":"install"}` + "\n" + `{"type":"signup"}`, []string{`{"type":"install"}`, `{"type":"signup"}`}},
	}
	for _, tt := range tests {
		var got []string
		next := 0
		ForEachNDJSONLine([]byte(tt.body), func(i int, line []byte) {
			if i != next {
				t.Errorf("%q: index %d, want %d", tt.body, i, next)
			}
			next++
			got = append(got, string(line))
		})
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: lines %q, want %q", tt.body, got, tt.want)
		}
	}
}

// A batch where one line fails gets one answer per non-blank line, in order.
func TestNDJSONBatchParse(t *testing.T) {
	body := "{\"type\":\"install\",\"install_id\":\"a\"}\r\n\r\n{\"type\":\"install\"\n{\"type\":\"signup\",\"install_id\":\"a\"}"
	var got []string
	ForEachNDJSONLine([]byte(body), func(i int, line []byte) {
		var c Conversion
		if err := ParseConversionJSON(line, &c); err != nil {
			got = append(got, err.Error())
			return
		}
		got = append(got, c.Type.String()+" "+c.InstallID)
	})
	want := []string{"install a", "body: invalid JSON at offset 17", "signup a"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
