package tracker

import "testing"

// TestEncodedBraceReadsAsDecoded: "%7Bx%7D" is a macro exactly when "{x}"
// is one (README: encoded JSON "is no macro, as {"id":42} is none"; nor is
// a GUID in braces). The hex letters of an escape ("%2F" for '/') are not
// letters of the name, and a GUID is a GUID whichever of its bytes were
// escaped.
func TestEncodedBraceReadsAsDecoded(t *testing.T) {
	for _, tc := range []struct{ encoded, decoded string }{
		{"%7Bgaid%7D", "{gaid}"},
		{"%7Bcampaign%20name%7D", "{campaign name}"},
		{"%7B%7Bclick_id%7D%7D", "{{click_id}}"},
		{"%7B3F2504E0-4F89-11D3-9A0C-0305E82C3301%7D", "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}"},
		{"%7B%22id%22%3A42%7D", `{"id":42}`},
		{"%7B12%2F25%7D", "{12/25}"},
		{"%7B1%2E5%7D", "{1.5}"},
		{"%7B2025%2D11%2D26%7D", "{2025-11-26}"},
		{"%7B1%5F2%7D", "{1_2}"},
		{"%7B%7B7%7D%7D", "{{7}}"},
		{"%7B3F2504E0%2D4F89%2D11D3%2D9A0C%2D0305E82C3301%7D", "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}"},
		{"%7B%7B3F2504E0-4F89-11D3-9A0C-0305E82C3301%7D%7D", "{{3F2504E0-4F89-11D3-9A0C-0305E82C3301}}"},
	} {
		want := isMacro([]byte(tc.decoded))
		if got := isMacro([]byte(tc.encoded)); got != want {
			t.Errorf("isMacro(%q) = %v, but %q (its decoded form) is %v", tc.encoded, got, tc.decoded, want)
		}
		// What a click sees: the value stored flagged (and a click_id never
		// matched, a /v1/click refused 400) or not.
		_, fe := AppendSanitized(nil, []byte(tc.encoded))
		_, fd := AppendSanitized(nil, []byte(tc.decoded))
		if fe != fd {
			t.Errorf("AppendSanitized(%q) flags %s, %q flags %s", tc.encoded, flagNames(fe), tc.decoded, flagNames(fd))
		}
	}
}
