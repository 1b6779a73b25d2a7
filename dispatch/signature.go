package dispatch

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a postback's signature when its partner has a
// secret (CONTRACT §5):
//
//	X-Clickedge-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<method> <path?query>.<body>")>
//
// The signed string covers the method and the request target, not only the
// body, because a GET postback carries everything in its query; the
// timestamp is inside the MAC so a receiver can refuse replays.
const SignatureHeader = "X-Clickedge-Signature"

// Errors returned by VerifySignature.
var (
	ErrSignatureFormat   = errors.New("dispatch: malformed signature header")
	ErrSignatureMismatch = errors.New("dispatch: signature does not match")
	ErrSignatureExpired  = errors.New("dispatch: signature timestamp outside tolerance")
)

// AppendSignature appends the header value "t=<unix>,v1=<lower-case hex>"
// for one request. pathQuery is the request target exactly as sent
// ("/pb?click_id=a1b2%20c3"); body is empty for GET.
func AppendSignature(dst []byte, secret []byte, unix int64, method, pathQuery, body []byte) []byte {
	var tbuf [20]byte
	t := strconv.AppendInt(tbuf[:0], unix, 10)
	var sum [sha256.Size]byte
	mac := signatureMAC(secret, t, method, pathQuery, body, sum[:0])
	dst = append(dst, "t="...)
	dst = append(dst, t...)
	dst = append(dst, ",v1="...)
	return hex.AppendEncode(dst, mac)
}

func signatureMAC(secret, t, method, pathQuery, body, dst []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(t)
	h.Write([]byte{'.'})
	h.Write(method)
	h.Write([]byte{' '})
	h.Write(pathQuery)
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(dst)
}

// VerifySignature checks a SignatureHeader value the way a receiving sink
// should: the MAC (constant-time; any of several v1= values may match, so a
// sender can rotate secrets), then that t is within tolerance of now. A
// tolerance <= 0 skips the time check (for stored test vectors only).
func VerifySignature(header string, secret []byte, method, pathQuery, body []byte, now time.Time, tolerance time.Duration) error {
	var (
		ts   string
		sigs []string
	)
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrSignatureFormat
		}
		switch k {
		case "t":
			if ts != "" {
				return ErrSignatureFormat
			}
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
		// Unknown schemes (a future v2) are ignored, as receivers must.
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureFormat
	}
	var sum [sha256.Size]byte
	want := signatureMAC(secret, []byte(ts), method, pathQuery, body, sum[:0])
	matched := false
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			matched = true
			break
		}
	}
	if !matched {
		return ErrSignatureMismatch
	}
	if tolerance > 0 {
		d := now.Sub(time.Unix(unix, 0))
		if d < 0 {
			d = -d
		}
		if d > tolerance {
			return ErrSignatureExpired
		}
	}
	return nil
}
