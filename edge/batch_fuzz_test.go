package edge

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/clickedge/clickedge/tracker"
)

// FuzzConversionBatch: POST /v1/conversions/batch answers any body (under
// the limits) with one JSON object a line, one per non-blank input line,
// in order: the line's result ({"event_id",…}) or its error ({"error"}),
// and a line answered with a result is one the single endpoint accepts.
func FuzzConversionBatch(f *testing.F) {
	f.Add([]byte("{\"type\":\"install\",\"install_id\":\"b1\"}\n\n{\"type\":\"event\",\"install_id\":\"b1\",\"event_name\":\"purchase\",\"revenue\":\"1.5\",\"currency\":\"usd\"}\r\n \t\nnot json\n{\"type\":\"signup\"}"))
	f.Add([]byte("{\"type\":\"install\",\"install_id\":\"\xff\"}\r\r\n\r"))
	f.Add([]byte("[1]\n\"x\"\nnull\n{}\n{\"type\":\"install\",\"install_id\":\"b2\",\"event_time\":1e3}"))
	e := startLocalEdge(f, `apps:
  com.example.app: {web: "https://example.com/"}
campaigns:
  ca: {app: com.example.app}
`)
	url := "http://" + e.PublicAddr() + "/v1/conversions/batch"
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 16<<10 {
			return
		}
		var lines [][]byte
		tracker.ForEachNDJSONLine(body, func(_ int, l []byte) { lines = append(lines, l) })
		resp, err := http.Post(url, "application/x-ndjson", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("%q: %d %s", body, resp.StatusCode, out)
		}
		var got [][]byte
		if len(out) > 0 {
			if out[len(out)-1] != '\n' {
				t.Fatalf("%q: answer %q does not end its last line", body, out)
			}
			got = bytes.Split(out[:len(out)-1], []byte("\n"))
		}
		if len(got) != len(lines) {
			t.Fatalf("%q: %d answer lines for %d input lines: %q", body, len(got), len(lines), out)
		}
		for i, g := range got {
			var m map[string]any
			if err := json.Unmarshal(g, &m); err != nil {
				t.Fatalf("%q: answer line %d %q is not a JSON object: %v", body, i, g, err)
			}
			_, isErr := m["error"]
			_, isRes := m["event_id"]
			if isErr == isRes {
				t.Fatalf("%q: answer line %d %q is neither a result nor an error", body, i, g)
			}
			if isRes {
				var cv tracker.Conversion
				if err := tracker.ParseConversionJSON(lines[i], &cv); err != nil {
					t.Fatalf("%q: line %d %q answered %q, but does not parse: %v", body, i, lines[i], g, err)
				}
			}
		}
	})
}
