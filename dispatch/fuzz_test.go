package dispatch

import (
	"encoding/json"
	"testing"
)

// FuzzRender checks, for any template and any value:
//   - compiling and rendering never panic, and String returns the template;
//   - with empty Values, the output is the template with recognised macros
//     removed, computed independently with a regexp;
//   - with every macro set to value, the URL output is that same regexp
//     rendering with net/url's encoding, and the value's part of it holds
//     only unreserved bytes and %XX escapes;
//   - the JSON output of the value inside quotes is a valid JSON string that
//     encoding/json reads back as the value (invalid UTF-8 as U+FFFD).
//
// Seeds live in testdata/fuzz/FuzzRender; run: go test ./dispatch -run '^$' -fuzz FuzzRender -fuzztime 30s
func FuzzRender(f *testing.F) {
	f.Add(typicalTemplate, []byte("a1b2 c3&d"))
	f.Add(typicalJSONTemplate, []byte("say \"hi\"\n\\"))
	f.Fuzz(func(t *testing.T, tmplStr string, value []byte) {
		tmpl := CompileTemplate(tmplStr)
		if tmpl.String() != tmplStr {
			t.Fatalf("String() = %q; want %q", tmpl.String(), tmplStr)
		}

		stripped := oracleRender(tmplStr, "")
		if got := string(tmpl.AppendURL(nil, nil)); got != stripped {
			t.Fatalf("AppendURL(no values)\n got %q\nwant %q", got, stripped)
		}
		if got := string(tmpl.AppendJSON(nil, &Values{})); got != stripped {
			t.Fatalf("AppendJSON(no values)\n got %q\nwant %q", got, stripped)
		}

		var v Values
		for _, m := range AllMacros() {
			v.Set(m, value)
		}
		want := oracleRender(tmplStr, oracleEncode(string(value)))
		if got := string(tmpl.AppendURL(nil, &v)); got != want {
			t.Fatalf("AppendURL\n got %q\nwant %q", got, want)
		}
		enc := CompileTemplate("{click_id}").AppendURL(nil, &v)
		for i := 0; i < len(enc); i++ {
			c := enc[i]
			switch {
			case unreservedByte(c):
			case c == '%' && i+2 < len(enc) && isUpperHex(enc[i+1]) && isUpperHex(enc[i+2]):
				i += 2
			default:
				t.Fatalf("URL value %q has %q at %d", enc, c, i)
			}
		}
		_ = tmpl.AppendJSON(nil, &v)

		js := CompileTemplate(`"{tid}"`).AppendJSON(nil, &v)
		var back string
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatalf("AppendJSON output %s is not a JSON string: %v", js, err)
		}
		// encoding/json writes each invalid UTF-8 byte as U+FFFD, as we do.
		ref, _ := json.Marshal(string(value))
		var wantBack string
		if err := json.Unmarshal(ref, &wantBack); err != nil {
			t.Fatal(err)
		}
		if back != wantBack {
			t.Fatalf("JSON round trip: got %q; want %q", back, wantBack)
		}
	})
}

// oracleRender replaces each recognised {name} of s by val, by regexp.
func oracleRender(s, val string) string {
	return macroToken.ReplaceAllStringFunc(s, func(tok string) string {
		if _, ok := LookupMacroString(tok[1 : len(tok)-1]); ok {
			return val
		}
		return tok
	})
}

func unreservedByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }
