package dispatch

import "testing"

func TestLookupMacro(t *testing.T) {
	f := func(name string, want Macro, wantOK bool) {
		t.Helper()
		got, ok := LookupMacro([]byte(name))
		if got != want || ok != wantOK {
			t.Errorf("LookupMacro(%q) = %v, %v; want %v, %v", name, got, ok, want, wantOK)
		}
		got, ok = LookupMacroString(name)
		if got != want || ok != wantOK {
			t.Errorf("LookupMacroString(%q) = %v, %v; want %v, %v", name, got, ok, want, wantOK)
		}
	}
	// Canonical names.
	f("click_id", MacroClickID, true)
	f("install_id", MacroInstallID, true)
	f("event_time_iso", MacroEventTimeISO, true)
	f("advertising_id", MacroAdvertisingID, true)
	f("sub5", MacroSub5, true)
	// Aliases resolve to the canonical id.
	f("tid", MacroClickID, true)
	f("event", MacroEventName, true)
	f("sale_amount", MacroRevenue, true)
	f("amount", MacroRevenue, true)
	f("s2", MacroSub2, true)
	f("s3", MacroSub3, true)
	f("s4", MacroSub4, true)
	// Extensions.
	f("timestamp", MacroTimestamp, true)
	f("aff_id", MacroAffID, true)
	f("pub_id", MacroPubID, true)
	f("offer_id", MacroOfferID, true)
	f("creative_id", MacroCreativeID, true)
	f("click_time", MacroClickTime, true)
	f("match_type", MacroMatchType, true)
	// Not macros: click-URL aliases, other vendors' names, case, braces.
	f("clickid", 0, false)
	f("s1", 0, false)
	f("s5", 0, false)
	f("user_agent", 0, false)
	f("CLICK_ID", 0, false)
	f("Click_id", 0, false)
	f("{click_id}", 0, false)
	f(" click_id", 0, false)
	f("", 0, false)
}

func TestMacroString(t *testing.T) {
	seen := map[string]Macro{}
	for _, m := range AllMacros() {
		name := m.String()
		if name == "" {
			t.Fatalf("macro %d has no name", m)
		}
		if prev, dup := seen[name]; dup {
			t.Fatalf("macros %d and %d share the name %q", prev, m, name)
		}
		seen[name] = m
		if got, ok := LookupMacroString(name); !ok || got != m {
			t.Errorf("LookupMacroString(%q) = %v, %v; want %d", name, got, ok, m)
		}
		for _, c := range []byte(name) {
			if !IsMacroNameByte(c) {
				t.Errorf("canonical name %q has byte %q outside [a-z0-9_]", name, c)
			}
		}
	}
	if len(seen) != 31 {
		t.Errorf("%d canonical macros; CONTRACT §5 lists 31", len(seen))
	}
	if got := Macro(0).String(); got != "Macro(0)" {
		t.Errorf("Macro(0).String() = %q", got)
	}
	if got := numMacros.String(); got != "Macro(32)" {
		t.Errorf("numMacros.String() = %q", got)
	}
}

func TestValues(t *testing.T) {
	var v Values
	if got := v.Get(MacroClickID); got != nil {
		t.Fatalf("zero Values: Get = %q", got)
	}
	b := []byte("abc")
	v.Set(MacroClickID, b)
	v.SetString(MacroSub1, "newsletter")
	b[0] = 'X' // Set keeps the slice: the change shows.
	if got := string(v.Get(MacroClickID)); got != "Xbc" {
		t.Errorf("Get(click_id) = %q; want the caller's slice", got)
	}
	if got := string(v.Get(MacroSub1)); got != "newsletter" {
		t.Errorf("Get(sub1) = %q", got)
	}
	if got := v.Get(Macro(0)); got != nil {
		t.Errorf("Get(0) = %q", got)
	}
	if got := v.Get(Macro(200)); got != nil {
		t.Errorf("Get(200) = %q", got)
	}
	var nilValues *Values
	if got := nilValues.Get(MacroClickID); got != nil {
		t.Errorf("nil Values: Get = %q", got)
	}
	v.Reset()
	for _, m := range AllMacros() {
		if got := v.Get(m); got != nil {
			t.Errorf("after Reset, Get(%v) = %q", m, got)
		}
	}
}
