package store

import (
	"fmt"
	"testing"
	"time"
)

// FuzzReplicatedRoundTrip: a peer's click, install and event made of
// arbitrary values are applied and read back exactly as the peer stored
// them (an event's postback id aside, which names the peer's outbox).
func FuzzReplicatedRoundTrip(f *testing.F) {
	f.Add("38400000-8cf0-11bd-b23e-10b96e40000d", "Mozilla/5.0 (Linux; Android 14)", "sub1", "203.0.113.9", uint16(FlagMacro), byte(PlatformAndroid), "9.99", uint8(MatchClickID), int64(1764115200))
	f.Add("", "", "", "", uint16(0), byte(0), "", uint8(0), int64(0))
	s := openOpts(f, Options{Durability: Async, Now: newClock(t0.Add(time.Hour)).Now})
	var seq uint64
	f.Fuzz(func(t *testing.T, adID, ua, sub, ip string, flags uint16, platform byte, text string, m uint8, n int64) {
		seq++
		id := fmt.Sprintf("rt-%d-%s", seq, sub)
		c := testClick(id, t0)
		c.Flags, c.Platform = ClickFlags(flags), Platform(platform)
		c.GAID, c.IDFA, c.OAID, c.IP = []byte(adID), []byte(sub), []byte(text), []byte(ip)
		c.UserAgent, c.Sub[0], c.Sub[4], c.Country, c.DeepLink = []byte(ua), []byte(sub), []byte(text), []byte(text), []byte(ua)
		in := &Install{InstallID: id, EventID: "e" + id, App: sub, Platform: Platform(platform), Time: n, Match: MatchType(m % 4),
			ClickID: text, ClickTime: n / 2, Campaign: sub, Sub: [5]string{sub, "", text}, GAID: adID, IP: ip, UserAgent: ua,
			Country: text, AppVersion: sub, DeepLink: ua}
		ev := &Event{EventID: "v" + id, InstallID: id, Kind: 3, Name: text, Time: n, Revenue: text, Currency: sub,
			Match: MatchType(m % 4), Attributed: m&4 != 0, ClickID: text, Postback: sub}
		recs := [][]byte{appendReplClick(nil, c, 0), appendReplInstall(nil, in), appendReplEvent(nil, ev)}
		if _, err := s.ApplyReplicated("rt", seq, recs); err != nil {
			t.Fatalf("apply: %v", err)
		}
		var got Click
		if _, ok, err := s.GetClick(c.ClickID, &got, nil); err != nil || !ok {
			t.Fatalf("applied click %q not found: %v", c.ClickID, err)
		}
		if d := clickDiff(c, &got, false); d != "" {
			t.Fatalf("click: %s", d)
		}
		gin, err := s.GetInstall(id)
		if err != nil || *gin != *in {
			t.Fatalf("install: got %+v, %v\nwant %+v", gin, err, in)
		}
		gev, err := s.GetEvent(ev.EventID)
		if err != nil || *gev != *ev {
			t.Fatalf("event: got %+v, %v\nwant %+v", gev, err, ev)
		}
	})
}
