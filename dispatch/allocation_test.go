package dispatch

import "testing"

// typicalTemplate has eight macros, values needing encoding among them: the
// shape of a real install/purchase postback.
const typicalTemplate = "https://pb.partner.example/postback?click_id={click_id}&event={event_name}" +
	"&install_id={install_id}&gaid={gaid}&rev={revenue}&cur={currency}&ts={event_time}&sub2={sub2}"

const typicalJSONTemplate = `{"click_id":"{click_id}","event":"{event_name}","install_id":"{install_id}",` +
	`"gaid":"{gaid}","revenue":"{revenue}","currency":"{currency}","ts":{event_time},"sub2":"{sub2}"}`

func TestRenderAllocatesNothing(t *testing.T) {
	v := testValues()
	for _, tc := range []struct {
		name   string
		tmpl   *Template
		render func(*Template, []byte, *Values) []byte
	}{
		{"url", CompileTemplate(typicalTemplate), (*Template).AppendURL},
		{"json", CompileTemplate(typicalJSONTemplate), (*Template).AppendJSON},
	} {
		buf := make([]byte, 0, 1024)
		if n := testing.AllocsPerRun(100, func() { buf = tc.render(tc.tmpl, buf[:0], v) }); n != 0 {
			t.Errorf("%s: %v allocations per render; want 0", tc.name, n)
		}
	}
}

func TestValuesAllocateNothing(t *testing.T) {
	var v Values
	name := []byte("sale_amount")
	b := []byte("x")
	n := testing.AllocsPerRun(100, func() {
		m, _ := LookupMacro(name)
		v.SetString(m, "9.99")
		v.Set(MacroClickID, b)
		_ = v.Get(m)
		v.Reset()
	})
	if n != 0 {
		t.Errorf("%v allocations per LookupMacro/Set/SetString/Get/Reset; want 0", n)
	}
}
