package tracker

import (
	"net/url"
	"testing"
)

// FuzzParseConversionFormDiff: on a body net/url reads as a query, the
// fields ParseConversionForm reads are net/url's, the last of a repeated
// key winning and an empty value absent.
func FuzzParseConversionFormDiff(f *testing.F) {
	f.Add([]byte("type=install&install_id=i&click_id=a+b%26c&install_id=j&ip="))
	f.Add([]byte("type=event&install%5Fid=i&event_name=purchase&user_agent=Mozilla%2F5.0&app_version=1.2&country=in"))
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return
		}
		var c Conversion
		if err := ParseConversionForm(body, &c); err != nil {
			return
		}
		for name, got := range map[string]string{
			"install_id": c.InstallID, "event_name": c.EventName, "event_id": c.EventID,
			"click_id": c.ClickID, "install_referrer": c.InstallReferrer, "app": c.App,
			"ip": c.IP, "user_agent": c.UserAgent, "country": c.Country, "app_version": c.AppVersion,
		} {
			want := ""
			if v := q[name]; len(v) > 0 {
				want = v[len(v)-1]
			}
			if got != want {
				t.Fatalf("%q: %s = %q, net/url reads %q", body, name, got, want)
			}
		}
	})
}
