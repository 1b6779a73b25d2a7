package edge

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clickedge/clickedge/store"
)

// POST /admin/v1/checkpoint makes a consistent copy of the running store
// beside its data directory: a store opened on it has the clicks stored
// before the call.
func TestAdminCheckpoint(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	e := startTestEdge(t, `listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
admin_token: "tok"
durability: async
data_dir: "`+data+`"
apps:
  com.example.app: {web: "https://example.com/"}
campaigns:
  camp: {app: com.example.app}
`)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, url, auth string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := do("GET", "http://"+e.PublicAddr()+"/?c=camp&click_id=before-checkpoint", ""); code != 302 {
		t.Fatalf("click: %d", code)
	}
	url := "http://" + e.AdminAddr() + "/admin/v1/checkpoint"
	if code, _ := do("POST", url, ""); code != 401 {
		t.Errorf("without a token: %d, want 401", code)
	}
	if code, body := do("GET", url, "Bearer tok"); code != 405 {
		t.Errorf("GET: %d %s, want 405", code, body)
	}
	var dirs []string
	for range 2 {
		code, body := do("POST", url, "Bearer tok")
		var got struct{ Checkpoint string }
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("POST: %d %s", code, body)
		}
		if !strings.HasPrefix(got.Checkpoint, data+".checkpoints"+string(filepath.Separator)) {
			t.Fatalf("checkpoint at %q; want it under %s.checkpoints", got.Checkpoint, data)
		}
		dirs = append(dirs, got.Checkpoint)
	}
	if dirs[0] == dirs[1] {
		t.Fatalf("two checkpoints in one second share %s", dirs[0])
	}
	st, err := store.Open(store.Options{Dir: dirs[1]})
	if err != nil {
		t.Fatalf("open the checkpoint: %v", err)
	}
	defer st.Close()
	var c store.Click
	if _, ok, err := st.GetClick([]byte("before-checkpoint"), &c, nil); !ok || err != nil {
		t.Fatalf("the checkpoint lacks the click stored before it: %v %v", ok, err)
	}
}
