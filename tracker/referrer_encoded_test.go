package tracker

import (
	"net/url"
	"strings"
	"testing"
)

// A 512-byte click_id (valid, CONTRACT §3) of non-ASCII text: the referrer
// Play hands the app is "click_id=<enc id>&c=<camp>"; an app that forwards
// it still encoded once more (a form ClickIDFromReferrer reads) sends it
// at about five bytes per id byte, past maxReferrerLen: cut, never used.
// TestStillEncodedLongReferrer: a referrer forwarded still encoded once more
// for a 512-byte non-ASCII click_id (5 bytes a byte) is not cut. Found by
// a review.
func TestStillEncodedLongReferrer(t *testing.T) {
	id := strings.Repeat("é", 256) // 512 bytes
	play := "click_id=" + url.QueryEscape(id) + "&c=camp7d"
	for _, ref := range []string{play, url.QueryEscape(play)} {
		if got := ClickIDFromReferrer(ref); got != id {
			t.Fatalf("ClickIDFromReferrer does not read the form (len %d)", len(ref))
		}
		c := Conversion{Type: ConversionInstall, InstallID: "i1", InstallReferrer: ref}
		c.Tidy()
		if ids := c.AttributionClickIDs(); ids[0] != id && ids[1] != id {
			t.Errorf("referrer of %d bytes: click_id not used after Tidy (cut to %d)", len(ref), len(c.InstallReferrer))
		}
	}
}
