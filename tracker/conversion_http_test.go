package tracker_test

// POST /v1/conversions and /v1/conversions/batch as a client sees them
// (CONTRACT §4): the 400 answers that name the bad field, the method, form
// bodies, replays, and the body limits over a real listener with the
// public server's options (edge/edge.go).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/tracker"
)

const (
	attrJSON = "application/json"
	attrForm = "application/x-www-form-urlencoded"
)

// attrErrorOf decodes a {"error": …} answer; it fails the test on anything else.
func attrErrorOf(t *testing.T, resp *fasthttp.Response) string {
	t.Helper()
	if ct := string(resp.Header.ContentType()); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var v map[string]any
	if err := json.Unmarshal(resp.Body(), &v); err != nil {
		t.Fatalf("answer %q is not JSON: %v", resp.Body(), err)
	}
	msg, ok := v["error"].(string)
	if !ok || len(v) != 1 {
		t.Fatalf("answer %s is not {\"error\": string}", resp.Body())
	}
	return msg
}

func TestConversionHTTPBadInput(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	big := `{"type":"install","install_id":"i1","user_agent":"` + strings.Repeat("a", tracker.MaxConversionBody) + `"}`
	for _, tt := range []struct {
		name, ct, body string
		want           string // the answer's error starts with this
	}{
		{"unknown type", attrJSON, `{"type":"refund","install_id":"i1"}`, `type: unknown type "refund"`},
		{"missing type", attrJSON, `{"install_id":"i1"}`, "type: missing"},
		{"missing install_id", attrJSON, `{"type":"install"}`, "install_id: missing"},
		{"empty install_id", attrJSON, `{"type":"install","install_id":""}`, "install_id: missing"},
		{"null install_id", attrJSON, `{"type":"install","install_id":null}`, "install_id: missing"},
		{"event without name", attrJSON, `{"type":"event","install_id":"i1"}`, "event_name: required"},
		{"revenue exponent", attrJSON, `{"type":"event","install_id":"i1","event_name":"p","revenue":"1e5","currency":"EUR"}`, "revenue: "},
		{"revenue exponent number", attrJSON, `{"type":"event","install_id":"i1","event_name":"p","revenue":1e5,"currency":"EUR"}`, "revenue: "},
		{"revenue NaN", attrJSON, `{"type":"event","install_id":"i1","event_name":"p","revenue":"NaN","currency":"EUR"}`, "revenue: "},
		{"revenue Inf", attrJSON, `{"type":"event","install_id":"i1","event_name":"p","revenue":"Infinity","currency":"EUR"}`, "revenue: "},
		{"revenue comma", attrJSON, `{"type":"event","install_id":"i1","event_name":"p","revenue":"1,50","currency":"EUR"}`, "revenue: "},
		{"revenue hex", attrJSON, `{"type":"event","install_id":"i1","event_name":"p","revenue":"0x10","currency":"EUR"}`, "revenue: "},
		{"revenue 10^15", attrJSON, `{"type":"event","install_id":"i1","event_name":"p","revenue":"1000000000000000","currency":"EUR"}`, "revenue: "},
		{"revenue empty", attrJSON, `{"type":"event","install_id":"i1","event_name":"p","revenue":"","currency":"EUR"}`, "revenue: "},
		{"revenue bool", attrJSON, `{"type":"event","install_id":"i1","event_name":"p","revenue":true,"currency":"EUR"}`, "revenue: "},
		{"revenue without currency", attrJSON, `{"type":"event","install_id":"i1","event_name":"p","revenue":"9.99"}`, "currency: required with revenue"},
		{"unknown currency", attrJSON, `{"type":"event","install_id":"i1","event_name":"p","revenue":"9.99","currency":"XYZ"}`, `currency: unknown currency "XYZ"`},
		{"currency not a code", attrJSON, `{"type":"event","install_id":"i1","event_name":"p","revenue":"9.99","currency":"dollars"}`, "currency: unknown currency"},
		{"invalid UTF-8", attrJSON, "{\"type\":\"install\",\"install_id\":\"a\xffb\"}", "install_id: invalid UTF-8"},
		{"invalid UTF-8 other field", attrJSON, "{\"type\":\"install\",\"install_id\":\"i1\",\"country\":\"\xc3\"}", "country: invalid UTF-8"},
		{"lone surrogate", attrJSON, `{"type":"install","install_id":"\ud800"}`, "install_id: "},
		{"body over 64 KiB", attrJSON, big, "body: over 64 KiB"},
		{"event_time over 1 h ahead", attrJSON, `{"type":"install","install_id":"i1","event_time":` + strconv.FormatInt(attrStart.Unix()+3601, 10) + `}`, "event_time: more than 1 h"},
		{"event_time in ms", attrJSON, `{"type":"install","install_id":"i1","event_time":` + strconv.FormatInt(attrStart.UnixMilli(), 10) + `}`, "event_time: more than 1 h"},
		{"event_time not integer", attrJSON, `{"type":"install","install_id":"i1","event_time":"soon"}`, "event_time: "},
		{"event_time negative", attrJSON, `{"type":"install","install_id":"i1","event_time":-5}`, "event_time: "},
		{"oversize install_id", attrJSON, `{"type":"install","install_id":"` + strings.Repeat("i", 257) + `"}`, "install_id: oversize"},
		{"oversize event_id", attrJSON, `{"type":"install","install_id":"i1","event_id":"` + strings.Repeat("e", 129) + `"}`, "event_id: oversize"},
		{"not an object", attrJSON, `["install"]`, "body: "},
		{"empty body", attrJSON, ``, "body: "},
		{"trailing data", attrJSON, `{"type":"install","install_id":"i1"} {}`, "body: "},
		{"object value", attrJSON, `{"type":"install","install_id":{"a":1}}`, "install_id: "},
		{"form unknown type", attrForm, `type=refund&install_id=i1`, `type: unknown type "refund"`},
		{"form missing install_id", attrForm, `type=install`, "install_id: missing"},
		{"form revenue exponent", attrForm, `type=event&install_id=i1&event_name=p&revenue=1e5&currency=EUR`, "revenue: "},
		{"form revenue without currency", attrForm, `type=event&install_id=i1&event_name=p&revenue=1`, "currency: required"},
		{"form invalid UTF-8", attrForm, `type=install&install_id=a%FFb`, "install_id: invalid UTF-8"},
		{"form bad escape", attrForm, `type=install&install_id=a%G1`, "install_id: "},
		{"form body over 64 KiB", attrForm, "type=install&install_id=i1&user_agent=" + strings.Repeat("a", tracker.MaxConversionBody), "body: over 64 KiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do("POST", "/v1/conversions", tt.ct, []byte(tt.body), "", "")
			if resp.StatusCode() != fasthttp.StatusBadRequest {
				t.Fatalf("status %d, answer %s", resp.StatusCode(), resp.Body())
			}
			if msg := attrErrorOf(t, resp); !strings.HasPrefix(msg, tt.want) {
				t.Errorf("error %q, want it to start with %q", msg, tt.want)
			}
		})
	}
	// Nothing was stored or queued.
	if _, err := e.st.GetInstall("i1"); err != store.ErrNotFound {
		t.Errorf("install i1 stored: %v", err)
	}
	if jobs := attrJobs(t, e.st); len(jobs) != 0 {
		t.Errorf("%d postbacks queued", len(jobs))
	}
}

// The limits of valid input are accepted.
func TestConversionHTTPEdgesAccepted(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	pad := func(prefix string, size int) string { // a JSON object of exactly size bytes
		return prefix + strings.Repeat(" ", size-len(prefix)-1) + "}"
	}
	for _, tt := range []struct{ name, ct, body string }{
		{"event_time exactly 1 h ahead", attrJSON, `{"type":"install","install_id":"a1","event_time":` + strconv.FormatInt(attrStart.Unix()+3600, 10) + `}`},
		{"body of exactly 64 KiB", attrJSON, pad(`{"type":"install","install_id":"a2"`, tracker.MaxConversionBody)},
		{"revenue just under 10^15", attrJSON, `{"type":"event","install_id":"a1","event_name":"p","revenue":"-999999999999999.999","currency":"EUR"}`},
		{"revenue as a number", attrJSON, `{"type":"event","install_id":"a1","event_name":"p","revenue":9.99,"currency":"eur"}`},
		{"currency without revenue is dropped", attrJSON, `{"type":"event","install_id":"a1","event_name":"p","currency":"XYZ"}`},
		{"type in any case", attrJSON, `{"type":"Install","install_id":"a3"}`},
		{"unknown fields are ignored", attrJSON, `{"type":"install","install_id":"a4","sdk":{"v":[1,2]},"extra":null}`},
		{"form", attrForm, `type=install&install_id=a5&click_id=x+y`},
		{"form with charset", attrForm + "; charset=utf-8", `type=install&install_id=a6`},
		{"form in upper case", "Application/X-WWW-Form-URLEncoded", `type=install&install_id=a7`},
		// CONTRACT §4 lists what a 400 is for; a long descriptive value or
		// an unknown platform is not among it, and refusing them lost the
		// install. They are cut, or dropped, as a click's are.
		{"oversize user_agent", attrJSON, `{"type":"install","install_id":"a8","user_agent":"` + strings.Repeat("u", 600) + `"}`},
		{"oversize click_id", attrJSON, `{"type":"install","install_id":"a9","click_id":"` + strings.Repeat("c", 513) + `"}`},
		{"every descriptive value oversize", attrForm, "type=install&install_id=a10" + func() string {
			var b strings.Builder
			for _, f := range []string{"click_id", "install_referrer", "app", "gaid", "idfa", "oaid", "ip", "user_agent", "country", "app_version"} {
				b.WriteString("&" + f + "=" + strings.Repeat("%C3%A9", 300))
			}
			return b.String()
		}()},
		{"unknown platform", attrJSON, `{"type":"install","install_id":"a11","platform":"windows"}`},
		{"platform web", attrJSON, `{"type":"install","install_id":"a12","platform":"web"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do("POST", "/v1/conversions", tt.ct, []byte(tt.body), "", "")
			if resp.StatusCode() != fasthttp.StatusOK {
				t.Fatalf("status %d, answer %s", resp.StatusCode(), resp.Body())
			}
		})
	}
}

// A form-encoded conversion is attributed as a JSON one is.
func TestConversionHTTPForm(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	if resp := e.do("GET", "/?c=camp7d&click_id=a+b%26c&sub1=x", "", nil, "", ""); resp.StatusCode() != 302 {
		t.Fatalf("click: %d", resp.StatusCode())
	}
	e.clock.Add(time.Minute)
	resp := e.do("POST", "/v1/conversions", attrForm,
		[]byte("type=install&install_id=f1&click_id=a+b%26c&app=com.test.app&event_id=ev%2F1"), "", "")
	const want = `{"event_id":"ev/1","install_id":"f1","attributed":true,"match":"click_id","campaign":"camp7d","click_id":"a b&c","postback":"queued"}` + "\n"
	if resp.StatusCode() != 200 || string(resp.Body()) != want {
		t.Fatalf("got %d %s\nwant %s", resp.StatusCode(), resp.Body(), want)
	}
	if ct := string(resp.Header.ContentType()); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	resp = e.do("POST", "/v1/conversions", attrForm,
		[]byte("type=event&install_id=f1&event_name=purchase&event_id=ev2&revenue=9.995&currency=usd"), "", "")
	if resp.StatusCode() != 200 || !bytes.Contains(resp.Body(), []byte(`"postback":"queued"`)) {
		t.Fatalf("event: %d %s", resp.StatusCode(), resp.Body())
	}
	jobs := attrJobs(t, e.st)
	if len(jobs) != 2 || jobs[1].Revenue != "10.00" || jobs[1].Currency != "USD" || jobs[1].Sub[0] != "x" {
		t.Fatalf("jobs %+v", jobs)
	}
}

// TestConversionHTTPJSONSentAsForm: curl -d sends a JSON body labelled as a
// form (its default Content-Type), as do many quick integrations. A body
// that starts with '{' is no form (no conversion field starts with one),
// so it is read as the JSON it is; it was answered 400 "type: missing".
func TestConversionHTTPJSONSentAsForm(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	for i, body := range []string{
		`{"type":"install","install_id":"curl1","app":"com.test.app"}`,
		" \n\t{\"type\":\"install\",\"install_id\":\"curl2\",\"app\":\"com.test.app\"}",
	} {
		resp := e.do("POST", "/v1/conversions", attrForm, []byte(body), "", "")
		if resp.StatusCode() != 200 || !bytes.Contains(resp.Body(), []byte(`"install_id":"curl`+string(rune('1'+i))+`"`)) {
			t.Fatalf("%q: %d %s", body, resp.StatusCode(), resp.Body())
		}
	}
	// A form is still a form.
	resp := e.do("POST", "/v1/conversions", attrForm, []byte("type=install&install_id=form1&app=com.test.app"), "", "")
	if resp.StatusCode() != 200 || !bytes.Contains(resp.Body(), []byte(`"install_id":"form1"`)) {
		t.Fatalf("form: %d %s", resp.StatusCode(), resp.Body())
	}
}

func TestConversionHTTPMethod(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	for _, path := range []string{"/v1/conversions", "/v1/conversions/batch"} {
		for _, method := range []string{"GET", "HEAD", "PUT", "DELETE"} {
			body := []byte(`{"type":"install","install_id":"m1"}`)
			resp := e.do(method, path, attrJSON, body, "", "")
			if resp.StatusCode() != fasthttp.StatusMethodNotAllowed {
				t.Errorf("%s %s: status %d", method, path, resp.StatusCode())
				continue
			}
			// RFC 9110 §15.5.6: a 405 lists the allowed methods.
			if allow := string(resp.Header.Peek("Allow")); allow != "POST" {
				t.Errorf("%s %s: Allow %q", method, path, allow)
			}
			if method != "HEAD" {
				if msg := attrErrorOf(t, resp); !strings.HasPrefix(msg, "method") {
					t.Errorf("%s %s: error %q", method, path, msg)
				}
			}
		}
	}
	if _, err := e.st.GetInstall("m1"); err != store.ErrNotFound {
		t.Errorf("install stored by a refused method: %v", err)
	}
}

// A replayed request (a client retrying after a timeout) changes nothing:
// the answer is the original's with postback "duplicate", the stored records
// are unchanged and nothing more is queued.
func TestConversionHTTPReplay(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	e.do("GET", "/?c=camp7d&click_id=r1&gaid=38400000-8cf0-11bd-b23e-10b96e40ffff", "", nil, "", "")
	e.clock.Add(time.Hour)
	requests := []struct{ path, ct, body string }{
		{"/v1/conversions", attrJSON, `{"type":"install","install_id":"r1","click_id":"r1","app":"com.test.app"}`},
		{"/v1/conversions", attrForm, `type=signup&install_id=r1&event_id=s1`},
		{"/v1/conversions", attrJSON, `{"type":"event","install_id":"r1","event_name":"purchase","event_id":"e1","revenue":"1.5","currency":"EUR"}`},
		{"/v1/conversions/batch", "application/x-ndjson", `{"type":"install","install_id":"r2","app":"com.test.app","gaid":"38400000-8cf0-11bd-b23e-10b96e40ffff"}` + "\n" +
			`{"type":"event","install_id":"r2","event_name":"purchase","event_id":"e2"}` + "\n"},
	}
	first := make([]string, len(requests))
	for i, r := range requests {
		resp := e.do("POST", r.path, r.ct, []byte(r.body), "", "")
		if resp.StatusCode() != 200 || !bytes.Contains(resp.Body(), []byte(`"postback":"queued"`)) {
			t.Fatalf("%s: %d %s", r.body, resp.StatusCode(), resp.Body())
		}
		first[i] = string(resp.Body())
	}
	jobs := attrJobs(t, e.st)
	in1, _ := e.st.GetInstall("r1")
	ev1, _ := e.st.GetEvent("e1")
	if len(jobs) != 5 || in1 == nil || ev1 == nil {
		t.Fatalf("%d jobs, install %v, event %v", len(jobs), in1, ev1)
	}

	// Replay everything, later, after a click that would change the answer.
	e.clock.Add(time.Minute)
	e.do("GET", "/?c=camp1d&click_id=r9&gaid=38400000-8cf0-11bd-b23e-10b96e40ffff", "", nil, "", "")
	for round := 0; round < 3; round++ {
		for i, r := range requests {
			resp := e.do("POST", r.path, r.ct, []byte(r.body), "", "")
			want := strings.ReplaceAll(first[i], `"postback":"queued"`, `"postback":"duplicate"`)
			if resp.StatusCode() != 200 || string(resp.Body()) != want {
				t.Errorf("replay of %s:\ngot  %d %s\nwant %s", r.body, resp.StatusCode(), resp.Body(), want)
			}
		}
	}
	if got := attrJobs(t, e.st); len(got) != len(jobs) {
		t.Errorf("%d jobs after replays, want %d", len(got), len(jobs))
	}
	in1b, _ := e.st.GetInstall("r1")
	ev1b, _ := e.st.GetEvent("e1")
	if fmt.Sprint(in1b) != fmt.Sprint(in1) || fmt.Sprint(ev1b) != fmt.Sprint(ev1) {
		t.Errorf("records changed by replays:\n%+v\n%+v\n%+v\n%+v", in1, in1b, ev1, ev1b)
	}
}

// A batch large enough to be worth splitting answers every line in order,
// each as it would be answered alone.
func TestConversionHTTPBatchLarge(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	const clicks = 50
	for i := range clicks {
		uri := fmt.Sprintf("/?c=camp7d&click_id=ck%02d&gaid=38400000-8cf0-11bd-b23e-0000000000%02d", i, i)
		if resp := e.do("GET", uri, "", nil, "", ""); resp.StatusCode() != 302 {
			t.Fatalf("click %d: %d", i, resp.StatusCode())
		}
		e.clock.Add(time.Second)
	}
	var body bytes.Buffer
	var want []string
	for k := range 1000 {
		c := k % clicks
		switch k % 5 {
		case 0:
			fmt.Fprintf(&body, `{"type":"install","install_id":"n%d","click_id":"ck%02d","app":"com.test.app"}`+"\n", k, c)
			want = append(want, fmt.Sprintf(`"install_id":"n%d","attributed":true,"match":"click_id","campaign":"camp7d","click_id":"ck%02d","postback":"queued"}`, k, c))
		case 1:
			fmt.Fprintf(&body, `{"type":"install","install_id":"n%d","gaid":"38400000-8cf0-11bd-b23e-0000000000%02d","app":"com.test.app"}`+"\n", k, c)
			want = append(want, fmt.Sprintf(`"install_id":"n%d","attributed":true,"match":"device_id","campaign":"camp7d","click_id":"ck%02d","postback":"queued"}`, k, c))
		case 2:
			fmt.Fprintf(&body, `{"type":"install","install_id":"n%d","app":"com.test.app"}`+"\n", k)
			want = append(want, fmt.Sprintf(`"install_id":"n%d","attributed":false,"match":"organic","campaign":"","click_id":"","postback":"none"}`, k))
		case 3: // the install two lines up, again
			fmt.Fprintf(&body, `{"type":"install","install_id":"n%d","click_id":"ck%02d","app":"com.test.app"}`+"\n", k-2, c)
			want = append(want, fmt.Sprintf(`"install_id":"n%d","attributed":true,"match":"device_id","campaign":"camp7d","click_id":"ck%02d","postback":"duplicate"}`, k-2, (k-2)%clicks))
		case 4:
			fmt.Fprintf(&body, `{"type":"install","install_id":"n%d","revenue":"1e3","currency":"EUR"}`+"\n", k)
			want = append(want, `{"error":"revenue: not a finite decimal"}`)
		}
	}
	resp := e.do("POST", "/v1/conversions/batch", "application/x-ndjson", body.Bytes(), "", "")
	if resp.StatusCode() != 200 {
		t.Fatalf("%d %.300s", resp.StatusCode(), resp.Body())
	}
	got := strings.Split(strings.TrimSuffix(string(resp.Body()), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d answer lines, want %d", len(got), len(want))
	}
	for i := range got {
		if !strings.HasSuffix(got[i], want[i]) {
			t.Errorf("line %d: %s\nwant …%s", i+1, got[i], want[i])
		}
	}
	if jobs := attrJobs(t, e.st); len(jobs) != 400 {
		t.Errorf("%d postbacks queued, want 400", len(jobs))
	}
}

func TestConversionHTTPBatchTooManyLines(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	line := `{"type":"install","install_id":"x"}` + "\n"
	resp := e.do("POST", "/v1/conversions/batch", "application/x-ndjson",
		[]byte(strings.Repeat(line, tracker.MaxBatchLines+1)), "", "")
	if resp.StatusCode() != 400 {
		t.Fatalf("%d %.200s", resp.StatusCode(), resp.Body())
	}
	if msg := attrErrorOf(t, resp); msg != "body: more than 10000 lines" {
		t.Errorf("error %q", msg)
	}
	// Blank lines do not count.
	body := strings.Repeat(line, tracker.MaxBatchLines) + strings.Repeat("\n \r\n", 100)
	if resp := e.do("POST", "/v1/conversions/batch", "application/x-ndjson", []byte(body), "", ""); resp.StatusCode() != 200 {
		t.Fatalf("%d %.200s", resp.StatusCode(), resp.Body())
	}
}

// attrPartialRequest sends head and then only the first part of a body
// whose header promises more, and reads the answer without sending the
// rest: a server that waited for the whole body would never answer.
func attrPartialRequest(t *testing.T, addr, head string, part []byte) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(part); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer while the rest of the body is unsent: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	// The server hangs up rather than read the rest: a FIN, or a reset when
	// what was sent is still unread.
	if _, err := br.ReadByte(); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("connection still open after the answer: %v", err)
	}
	return resp, body
}

func TestConversionHTTPBodyLimits(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	addr := serveTracker(t, e.tr)
	const tenMiB = 10 << 20
	part := bytes.Repeat([]byte("x"), 128<<10)

	t.Run("10 MiB by length", func(t *testing.T) {
		head := "POST /v1/conversions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
			"Content-Length: " + strconv.Itoa(tenMiB) + "\r\n\r\n"
		resp, body := attrPartialRequest(t, addr, head, part)
		if resp.StatusCode != 400 || !bytes.Contains(body, []byte(`"body: over 64 KiB"`)) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("10 MiB chunked", func(t *testing.T) {
		head := "POST /v1/conversions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
			"Transfer-Encoding: chunked\r\n\r\n"
		var chunks []byte
		for range 8 { // 128 KiB of a body that goes on
			chunks = append(chunks, "4000\r\n"...)
			chunks = append(chunks, bytes.Repeat([]byte(" "), 0x4000)...)
			chunks = append(chunks, "\r\n"...)
		}
		resp, body := attrPartialRequest(t, addr, head, chunks)
		if resp.StatusCode != 400 || !bytes.Contains(body, []byte(`"body: over 64 KiB"`)) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("10 MiB multipart", func(t *testing.T) {
		head := "POST /v1/conversions HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b0undary\r\n" +
			"Content-Length: " + strconv.Itoa(tenMiB) + "\r\n\r\n"
		body := append([]byte("--b0undary\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n"), part...)
		resp, b := attrPartialRequest(t, addr, head, body)
		if resp.StatusCode != 400 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	})
	t.Run("batch over 16 MiB by length", func(t *testing.T) {
		head := "POST /v1/conversions/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n" +
			"Content-Length: " + strconv.Itoa(tracker.MaxBatchBody+1) + "\r\n\r\n"
		resp, body := attrPartialRequest(t, addr, head, part)
		if resp.StatusCode != 400 || !bytes.Contains(body, []byte(`"body: over 16 MiB"`)) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})

	// Whole bodies around the limit, sent by an ordinary client.
	client := &http.Client{Timeout: 30 * time.Second}
	post := func(t *testing.T, path, ct string, body []byte) (int, []byte) {
		t.Helper()
		resp, err := client.Post("http://"+addr+path, ct, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	padded := func(id string, size int) []byte {
		prefix := `{"type":"install","install_id":"` + id + `"`
		return []byte(prefix + strings.Repeat(" ", size-len(prefix)-1) + "}")
	}
	t.Run("64 KiB", func(t *testing.T) {
		if code, b := post(t, "/v1/conversions", attrJSON, padded("l1", tracker.MaxConversionBody)); code != 200 {
			t.Fatalf("%d %s", code, b)
		}
	})
	t.Run("64 KiB and a byte", func(t *testing.T) {
		code, b := post(t, "/v1/conversions", attrJSON, padded("l2", tracker.MaxConversionBody+1))
		if code != 400 || !bytes.Contains(b, []byte(`"body: over 64 KiB"`)) {
			t.Fatalf("%d %s", code, b)
		}
	})
	t.Run("batch of 1 MiB", func(t *testing.T) {
		var body []byte
		n := 0
		for len(body) < 1<<20 {
			n++
			body = fmt.Appendf(body, `{"type":"install","install_id":"b%05d","app":"com.test.app","gaid":"38400000-8cf0-11bd-b23e-%012d","ip":"203.0.113.1","user_agent":"Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240305.019)"}`+"\n", n, n)
		}
		code, b := post(t, "/v1/conversions/batch", "application/x-ndjson", body)
		if code != 200 {
			t.Fatalf("%d %.200s", code, b)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(lines) != n {
			t.Fatalf("%d answer lines for %d conversions", len(lines), n)
		}
		for i, l := range lines {
			if want := fmt.Sprintf(`"install_id":"b%05d"`, i+1); !strings.Contains(l, want) {
				t.Fatalf("line %d: %s, want %s", i+1, l, want)
			}
		}
		if _, err := e.st.GetInstall(fmt.Sprintf("b%05d", n)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("keep-alive after a good request", func(t *testing.T) {
		// Two requests on one connection: a body read in full leaves the
		// connection ready for the next request.
		c := &fasthttp.Client{}
		for i := range 2 {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			req.SetRequestURI("http://" + addr + "/v1/conversions")
			req.Header.SetMethod("POST")
			req.Header.SetContentType(attrJSON)
			req.SetBody(padded("k"+strconv.Itoa(i), 20<<10))
			if err := c.Do(req, resp); err != nil || resp.StatusCode() != 200 {
				t.Fatalf("request %d: %v %d %s", i, err, resp.StatusCode(), resp.Body())
			}
			fasthttp.ReleaseRequest(req)
			fasthttp.ReleaseResponse(resp)
		}
	})
}
