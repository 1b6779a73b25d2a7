package edge

import (
	"encoding/json"
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
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	if code, _ := request(t, "GET", public, "/?c=camp&click_id=before-checkpoint", ""); code != 302 {
		t.Fatalf("click: %d", code)
	}
	const path = "/admin/v1/checkpoint"
	if code, _ := request(t, "POST", admin, path, ""); code != 401 {
		t.Errorf("without a token: %d, want 401", code)
	}
	if code, body := request(t, "GET", admin, path, "Bearer tok"); code != 405 {
		t.Errorf("GET: %d %s, want 405", code, body)
	}
	var dirs []string
	for range 2 {
		code, body := request(t, "POST", admin, path, "Bearer tok")
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
