package tracker_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/clickedge/clickedge/store"
)

// A backend that compresses its request bodies (Content-Encoding: gzip, as
// log shippers' and SDK batchers' HTTP sinks do for NDJSON) must not be told
// its conversions were taken when none was read: the edge either decodes
// the body or refuses it with 415 (RFC 9110 §8.4, §15.5.16). Before, the
// compressed bytes were parsed as the body itself: the batch was answered
// 200 with one error line for N conversions, and none was stored.
func TestConversionContentEncodingNotIgnored(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	addr := serveTracker(t, e.tr)
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	for _, tc := range []struct {
		name, path, ct string
		plain          string
		ids            []string
	}{
		{"batch", "/v1/conversions/batch", "application/x-ndjson",
			`{"type":"install","install_id":"gz1","app":"com.test.app"}` + "\n" +
				`{"type":"install","install_id":"gz2","app":"com.test.app"}` + "\n",
			[]string{"gz1", "gz2"}},
		{"single", "/v1/conversions", "application/json",
			`{"type":"install","install_id":"gz3","app":"com.test.app"}`, []string{"gz3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", "http://"+addr+tc.path, bytes.NewReader(gz(tc.plain)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tc.ct)
			req.Header.Set("Content-Encoding", "gzip")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnsupportedMediaType {
				return // refused, and the client is told why
			}
			if resp.StatusCode/100 != 2 {
				t.Fatalf("status %d %q: neither decoded nor refused with 415", resp.StatusCode, body)
			}
			// A 2xx: every conversion must have been read and stored.
			if n := strings.Count(string(body), "\n"); n != len(tc.ids) {
				t.Errorf("200 with %d answer lines for %d conversions: %q", n, len(tc.ids), body)
			}
			for _, id := range tc.ids {
				if _, err := e.st.GetInstall(id); err != nil {
					t.Errorf("answered %d but install %s not stored: %v", resp.StatusCode, id, err)
				}
			}
		})
	}
}
