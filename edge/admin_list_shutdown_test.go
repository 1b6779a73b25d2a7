package edge

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/clickedge/clickedge/dispatch"
	"github.com/clickedge/clickedge/store"
)

// The on-call's first look during a long partner outage is the pending
// list of one partner; a deploy's SIGTERM may come while it reads. With a
// backlog that takes longer to scan than the listeners' drain, Shutdown
// closed the store under the admin request's iterator (only exports and
// checkpoints are waited for): Pebble's Close reported leaked iterators,
// the shutdown failed and the edge exited 1, or the scan went on over a
// closed database. The same holds for a redrive of a long failed list.
func TestShutdownDuringLongAdminScan(t *testing.T) {
	for _, path := range []string{
		"/admin/v1/postbacks?status=pending&partner=net&limit=1",
		"/admin/v1/postbacks/redrive?partner=net",
	} {
		t.Run(path, func(t *testing.T) {
			e, err := Start(parseLocal(t, `admin_token: "tok"
durability: async
allow_private_targets: true
apps:
  com.example.app: {web: "https://example.com/"}
partners:
  net: {install: "http://127.0.0.1:1/i?c={click_id}"}
  other: {install: "http://127.0.0.1:1/o?c={click_id}"}
campaigns:
  camp: {app: com.example.app, partner: net}
`), nil)
			if err != nil {
				t.Fatal(err)
			}
			// A backlog of another partner's postbacks: pending, due in a
			// day, or failed (what the redrive walks).
			st := store.StatusPending
			if path != "/admin/v1/postbacks?status=pending&partner=net&limit=1" {
				st = store.StatusFailed
			}
			due := time.Now().Add(24 * time.Hour).UnixMilli()
			for b := range 60 {
				if err := e.Store().Update(func(w *store.Writer) error {
					for i := range 5000 {
						j := dispatch.Job{ID: e.Store().NewID(), Partner: "other", Kind: "install",
							InstallID: fmt.Sprintf("i%d-%d", b, i), FirstDue: due}
						w.OutboxPut(store.QueuePostback, j.ID, st, due, dispatch.AppendJob(nil, &j))
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}

			method := "GET"
			if st == store.StatusFailed {
				method = "POST"
			}
			answered := make(chan struct{})
			go func() {
				defer close(answered)
				req, _ := http.NewRequest(method, "http://"+e.AdminAddr()+path, nil)
				req.Header.Set("Authorization", "Bearer tok")
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}()
			time.Sleep(50 * time.Millisecond)                                              // the scan is under way
			ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond) // the listeners drain for 50 ms of it
			defer cancel()
			err = e.Shutdown(ctx)
			<-answered
			if err != nil {
				t.Fatalf("shutdown during an admin scan: %v", err)
			}
		})
	}
}
