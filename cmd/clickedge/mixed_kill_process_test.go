package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Under mixed load (clicks, installs, purchase events, postbacks to a
// partner that answers 503 one time in ten), SIGKILL the edge at random
// moments and restart it on the same data. Every click answered 302 and
// every install answered 200 is found after the restart, every queued
// postback arrives, and a replay of every conversion is a duplicate that
// posts nothing. In sync mode nothing answered may be lost.
func TestMixedLoadSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	// Async mode's bound is checked deterministically, without a timing
	// margin, by store's TestAsyncProcessCrashLosesAtMostSyncInterval.
	for _, tc := range []struct {
		durability string
		bound      time.Duration // answered longer than this before the kill: must survive
	}{
		{"sync", 0},
	} {
		t.Run(tc.durability, func(t *testing.T) { mixedKill(t, tc.durability, tc.bound) })
	}
}

type ackedAt struct {
	round int
	at    time.Time
}

func mixedKill(t *testing.T, durability string, bound time.Duration) {
	sk := startSink(t, "127.0.0.1:0", func(r *http.Request, n int) int {
		if rand.IntN(10) == 0 {
			return 503
		}
		return 200
	})
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, "durability: "+durability+"\nsync_interval: 2ms\nallow_private_targets: true\n"+testApps+
		"partners:"+partnerYAML("acme", sk.addr, "/pb", "")+`
campaigns:
  camp1: { app: com.test.app, partner: acme }
`)
	var (
		mu      sync.Mutex
		clicks  = map[string]ackedAt{} // answered 302
		clickID []string
		convs   = map[string]ackedAt{} // body -> when answered 200 "queued"
		install = map[string]string{}  // install_id -> click_id, answered attributed
		instAt  = map[string]ackedAt{}
		killed  []time.Time
		seq     atomic.Int64
	)
	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{MaxIdleConnsPerHost: 32},
	}
	const rounds = 3
	for round := range rounds {
		p := startEdge(t, cfg, public, admin)
		var stop atomic.Bool
		var wg sync.WaitGroup
		for w := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					n := seq.Add(1)
					if w < 6 {
						id := fmt.Sprintf("r%dk%06d", round, n)
						resp, err := client.Get(fmt.Sprintf("http://%s/?c=camp1&click_id=%s&gaid=38400000-8cf0-11bd-b23e-10b96e4%05d", public, id, n%100000))
						if err != nil {
							return // killed
						}
						resp.Body.Close()
						if resp.StatusCode == http.StatusFound {
							mu.Lock()
							clicks[id] = ackedAt{round, time.Now()}
							clickID = append(clickID, id)
							mu.Unlock()
						}
						continue
					}
					mu.Lock()
					if len(clickID) == 0 {
						mu.Unlock()
						time.Sleep(time.Millisecond)
						continue
					}
					ck := clickID[rand.IntN(len(clickID))]
					mu.Unlock()
					inst := fmt.Sprint("in-", n)
					bodies := []string{
						fmt.Sprintf(`{"type":"install","install_id":%q,"click_id":%q,"event_id":"ev-i-%d"}`, inst, ck, n),
						fmt.Sprintf(`{"type":"event","install_id":%q,"event_name":"purchase","event_id":"ev-p-%d","revenue":"1.5","currency":"USD"}`, inst, n),
					}
					for i, b := range bodies {
						resp, err := client.Post("http://"+public+"/v1/conversions", "application/json", strings.NewReader(b))
						if err != nil {
							return // killed
						}
						var a convAnswer
						err = json.NewDecoder(resp.Body).Decode(&a)
						resp.Body.Close()
						if resp.StatusCode != 200 || err != nil {
							t.Errorf("conversion %s: %d %v", b, resp.StatusCode, err)
							return
						}
						now := time.Now()
						mu.Lock()
						if a.Postback == "queued" {
							convs[b] = ackedAt{round, now}
						}
						if i == 0 && a.Attributed {
							install[inst] = ck
							instAt[inst] = ackedAt{round, now}
						}
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(400+rand.IntN(1200)) * time.Millisecond)
		mu.Lock()
		killed = append(killed, time.Now())
		mu.Unlock()
		p.kill()
		stop.Store(true)
		wg.Wait()
	}

	p := startEdge(t, cfg, public, admin)
	mu.Lock()
	defer mu.Unlock()
	// mustSurvive: answered more than bound before its round's SIGKILL.
	mustSurvive := func(a ackedAt) bool { return killed[a.round].Sub(a.at) > bound }
	t.Logf("%d clicks answered 302, %d conversions queued a postback, %d installs attributed", len(clicks), len(convs), len(install))
	var lostClicks, lostInstalls []string
	var oldest time.Duration
	for id, a := range clicks {
		if code, _ := p.adminGet("/admin/v1/clicks/" + url.PathEscape(id)); code != 200 {
			oldest = max(oldest, killed[a.round].Sub(a.at))
			if mustSurvive(a) {
				lostClicks = append(lostClicks, fmt.Sprintf("%s (answered %v before the SIGKILL)", id, killed[a.round].Sub(a.at).Round(time.Millisecond)))
			}
		}
	}
	for inst, ck := range install {
		code, body := p.adminGet("/admin/v1/installs/" + url.PathEscape(inst))
		if code != 200 || !strings.Contains(body, `"click_id":"`+ck+`"`) {
			a := instAt[inst]
			oldest = max(oldest, killed[a.round].Sub(a.at))
			if mustSurvive(a) {
				lostInstalls = append(lostInstalls, fmt.Sprintf("%s (answered %v before the SIGKILL)", inst, killed[a.round].Sub(a.at).Round(time.Millisecond)))
			}
		}
	}
	t.Logf("the oldest answer lost was given %v before its SIGKILL", oldest)
	if len(lostClicks) > 0 {
		t.Errorf("%d clicks answered 302 more than %v before a SIGKILL are lost, e.g. %v", len(lostClicks), bound, lostClicks[:min(3, len(lostClicks))])
	}
	if len(lostInstalls) > 0 {
		t.Errorf("%d installs answered 200 more than %v before a SIGKILL are lost, e.g. %v", len(lostInstalls), bound, lostInstalls[:min(3, len(lostInstalls))])
	}
	// Every postback queued by a surviving conversion arrives.
	eventID := func(b string) string {
		var v struct {
			EventID string `json:"event_id"`
		}
		json.Unmarshal([]byte(b), &v)
		return v.EventID
	}
	waitFor(t, "every queued postback delivered", 20*time.Second, func() bool {
		got := map[string]bool{}
		for _, r := range sk.received() {
			if u, err := url.Parse(r.URI); err == nil {
				got[u.Query().Get("event_id")] = true
			}
		}
		for b, a := range convs {
			if mustSurvive(a) && !got[eventID(b)] {
				return false
			}
		}
		return true
	})
	// Replays are duplicates: nothing is counted or posted twice.
	before := len(sk.received())
	for b, a := range convs {
		if !mustSurvive(a) {
			continue
		}
		if code, out := p.postConversion(b); code != 200 || !strings.Contains(out, `"postback":"duplicate"`) {
			t.Errorf("replay of %s (answered %v before a SIGKILL) answered %d %s, want duplicate", b, killed[a.round].Sub(a.at).Round(time.Millisecond), code, out)
			break
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(sk.received()); n != before {
		t.Errorf("%d postbacks sent again for replays", n-before)
	}
}
