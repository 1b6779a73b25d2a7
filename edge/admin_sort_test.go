package edge

import (
	"strings"
	"testing"
)

// The device history is newest first by time, not by the RFC 3339 text of
// the time, which drops trailing zeros: sorted as text, a click at .370
// came before one at .373 (TestAdminDeviceHistory failed so, now and then).
func TestSortNewestFirst(t *testing.T) {
	v := []timedView{
		{1764115200370, clickView{ClickID: "a370"}},
		{1764115200373, clickView{ClickID: "b373"}},
		{1764115200300, clickView{ClickID: "c300"}},
		{1764115200373, clickView{ClickID: "a373"}},
		{1764115201000, clickView{ClickID: "d1000"}},
	}
	sortNewestFirst(v)
	var ids []string
	for _, x := range v {
		ids = append(ids, x.view.ClickID)
	}
	if got := strings.Join(ids, ","); got != "d1000,a373,b373,a370,c300" {
		t.Fatalf("order %s", got)
	}
}
