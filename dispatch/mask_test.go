package dispatch

import "testing"

func TestMaskURL(t *testing.T) {
	f := func(raw string, secrets []string, want string) {
		t.Helper()
		if got := MaskURL(raw, secrets...); got != want {
			t.Errorf("MaskURL(%q, %q)\n got %q\nwant %q", raw, secrets, got, want)
		}
	}
	f("https://pb.example/i?token=abc123&c=x", nil, "https://pb.example/i?token=abc123&c=x")
	f("https://pb.example/i?token=abc123&c=x", []string{""}, "https://pb.example/i?token=abc123&c=x")
	f("https://pb.example/i?token=abc123&c=x", []string{"abc123"}, "https://pb.example/i?token=****&c=x")
	// Every occurrence, in path, query, userinfo and fragment.
	f("https://u:abc123@pb.example/abc123?t=abc123#abc123", []string{"abc123"}, "https://u:****@pb.example/****?t=****#****")
	// Percent-encoded forms: as we render values, with lower-case hex, and
	// form-encoded.
	f("https://pb.example/i?a=s%2Fk%20y&b=s%2fk%20y&c=s%2Fk+y&d=s/k y", []string{"s/k y"},
		"https://pb.example/i?a=****&b=****&c=****&d=****")
	// Several secrets; the longer one first so no fragment of it is left.
	f("https://pb.example/i?t=abcdef&k=abc", []string{"abc", "abcdef"}, "https://pb.example/i?t=****&k=****")
	// A secret that is a substring of its own encoding.
	f("https://pb.example/i?t=a%25&u=a%", []string{"a%"}, "https://pb.example/i?t=****&u=****")
	// Letters keep their case: only the hex of escapes is case-folded.
	f("https://pb.example/i?t=ABC&u=abc", []string{"ABC"}, "https://pb.example/i?t=****&u=abc")
}

// maskURL, what the admin listing and the logs show, also masks the
// password of a URL's userinfo (fasthttp sends it as Basic credentials),
// or its user when there is no password.
func TestMaskURLUserinfo(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"http://acme:hunter2pw@pb.example/i?c=1", "http://acme:****@pb.example/i?c=1"},
		{"https://acme:p%40ss@pb.example:8443/i", "https://acme:****@pb.example:8443/i"},
		// A user alone, or with an empty password, is the credential:
		// API keys are given so (https://KEY@host/, sent as Basic KEY:).
		{"http://acme@pb.example/i", "http://****@pb.example/i"},
		{"https://sk_live_123:@pb.example/i", "https://****:@pb.example/i"},
		{"http://pb.example/i?next=a:b@c", "http://pb.example/i?next=a:b@c"}, // not the authority
		{"http://pb.example/a:b@c", "http://pb.example/a:b@c"},
		{"http://u:p@pb.example", "http://u:****@pb.example"},
	} {
		if got := maskURL(tc.raw, ""); got != tc.want {
			t.Errorf("maskURL(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

// TestMaskCredentialNames: a query parameter is a credential by its name in
// any of the spellings partners use: snake_case, kebab-case, camelCase, a
// vendor prefix (x-api-key). Only exact and "_"-suffixed names were masked,
// so x-api-key, api-key, accessToken and authToken showed in the admin
// listing. Found by an audit.
func TestMaskCredentialNames(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"https://pb.example/i?api_key=1&c=2", "https://pb.example/i?api_key=****&c=2"},
		{"https://pb.example/i?x-api-key=1&c=2", "https://pb.example/i?x-api-key=****&c=2"},
		{"https://pb.example/i?api-key=1&apiKey=2", "https://pb.example/i?api-key=****&apiKey=****"},
		{"https://pb.example/i?accessToken=1&authToken=2", "https://pb.example/i?accessToken=****&authToken=****"},
		{"https://pb.example/i?AUTH=1&hmac=2&client_secret=3", "https://pb.example/i?AUTH=****&hmac=****&client_secret=****"},
		{"https://pb.example/i?click_id=1&sub1=2&event=3", "https://pb.example/i?click_id=1&sub1=2&event=3"},
		// Spaces around a name (form-encoded '+', or %20) do not hide it.
		{"https://pb.example/i?token+=1&+key%20=2", "https://pb.example/i?token+=****&+key%20=****"},
	} {
		if got := maskURL(tc.raw, ""); got != tc.want {
			t.Errorf("maskURL(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}
