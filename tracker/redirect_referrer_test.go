package tracker_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/clickedge/clickedge/store"
)

// A followed redirect= to Google Play that already carries referrer= must not
// produce a Location with two referrer parameters: the config refuses such an
// app URL because "Play would see two and the install might not find its
// click" (config/validate.go), and the README says a Play redirect "gets its
// referrer= as an app's would".
// TestRedirectPlayWithReferrerRefused: a followed redirect to a Play URL
// that already has referrer= got the edge's own appended, and Play would
// see two: the install might find the link sender's click_id, or none. The
// config refuses such app URLs; such a redirect is refused, and the user
// goes to the app's URL. Found by an audit.
func TestRedirectPlayWithReferrerRefused(t *testing.T) {
	e := attrNewEnv(t, store.Sync, `
region: test
apps:
  com.shop.app:
    android: "https://play.google.com/store/apps/details?id=com.shop.app"
    redirect_hosts: [play.google.com]
campaigns:
  shop:
    app: com.shop.app
`)
	redirect := "https://play.google.com/store/apps/details?id=com.shop.app&referrer=click_id%3Dforged"
	resp := e.do("GET", "/?c=shop&click_id=r5&redirect="+url.QueryEscape(redirect), "", nil, "",
		attrUserAgents["android14"])
	loc := string(resp.Header.Peek("Location"))
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	refs := u.Query()["referrer"]
	if len(refs) != 1 || !strings.Contains(refs[0], "click_id=r5") {
		t.Fatalf("Location %s\nhas referrer values %q; want exactly one, naming click r5", loc, refs)
	}
}
