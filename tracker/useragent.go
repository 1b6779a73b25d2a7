package tracker

import (
	"bytes"
	"strconv"

	"github.com/clickedge/clickedge/store"
)

// ParseUserAgent reads the device platform and OS version (major.minor, or
// the major alone when that is all the agent says) from a user agent:
//
//	"… (Linux; Android 14; Pixel 8) …"                  android "14"
//	"… (Linux; Android 8.1.0; …) …"                    android "8.1"
//	"… (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) …" ios "17.2"
//	"… (iPad; CPU OS 16_6 like Mac OS X) …"            ios "16.6"
//	"MyApp/3.1 CFNetwork/1474 Darwin/23.0.0"           ios ""
//	anything else, desktops included                   unknown ""
//
// The version is a sub-slice of ua, or for iOS (whose agents write 17_2) a
// read-only slice of a static table: nothing is allocated. Its capacity ends
// with it, so appending to it never writes into ua or the table.
//
// An iPad asking for the desktop site sends a Macintosh agent and reads as
// unknown, as does a CFNetwork agent's version: Darwin's numbers do not map
// to iOS versions reliably. Chrome's reduced Android agent names no version,
// and Safari 26's names its own (see reducedAndroid).
func ParseUserAgent(ua []byte) (p store.Platform, osVersion []byte) {
	if i := indexFold(ua, "android"); i >= 0 {
		if bytes.HasPrefix(ua[i:], reducedAndroid) { // where the word is: no second scan of the agent
			return store.PlatformAndroid, nil
		}
		v := androidVersion(ua[i:])
		// KaiOS feature phones (JioPhone) say ";Android;", with no
		// version, and run no Android apps: not Android. Looked for only
		// when no version was read, so most agents are not scanned again.
		if v == nil && indexFold(ua[i:], "kaios/") >= 0 {
			return store.PlatformUnknown, nil
		}
		return store.PlatformAndroid, v
	}
	if indexFold(ua, "iphone") >= 0 || indexFold(ua, "ipad") >= 0 || indexFold(ua, "ipod") >= 0 {
		v := iosVersion(ua)
		if fv := frozenSafariVersion(ua, v); fv != nil {
			return store.PlatformIOS, fv
		}
		return store.PlatformIOS, v
	}
	// Apps' own HTTP clients on iOS: "<App>/<v> CFNetwork/<v> Darwin/<v>".
	if bytes.Contains(ua, []byte("CFNetwork/")) || bytes.Contains(ua, []byte("Darwin/")) {
		return store.PlatformIOS, nil
	}
	return store.PlatformUnknown, nil
}

// Agents that hide the OS version behind a fixed one, so that fingerprint
// matching, which compares versions, does not read the fixed one:
//   - Chrome's reduced agent (Chrome 110 on, and the browsers built on it)
//     says "(Linux; Android 10; K)" on every Android, its first "Android":
//     no version is read;
//   - Safari 26 says "iPhone OS 18_6" (later 18_7) on every iOS, and puts
//     the OS's version in its own Version/26.x, which is read instead.
var reducedAndroid = []byte("Android 10; K)")

// frozenSafariVersion returns the Version/ of a Safari agent whose OS
// version v is one Safari 26 freezes (18.6, 18.7) and whose Version/ is 26
// or later; nil otherwise.
func frozenSafariVersion(ua, v []byte) []byte {
	if string(v) != "18.6" && string(v) != "18.7" {
		return nil
	}
	i := bytes.Index(ua, []byte(" Version/"))
	if i < 0 {
		return nil
	}
	start := i + len(" Version/")
	n, end := digits(ua, start)
	if n != 2 || atoiSmall(ua[start:end]) < 26 {
		return nil
	}
	if end+1 < len(ua) && ua[end] == '.' {
		if m, minorEnd := digits(ua, end+1); m > 0 && m <= 2 {
			end = minorEnd
		}
	}
	return ua[start:end:end]
}

// androidVersion reads "14", "8.1" from the first "Android 14;", "Android
// 8.1.0;" in ua, which starts with "Android" in some case. Only a space may
// separate the word and the version: "Telegram-Android/10.2.0" is an app's
// own version, not the OS's.
func androidVersion(ua []byte) []byte {
	for len(ua) > 0 {
		i := indexFold(ua, "android")
		if i < 0 {
			return nil
		}
		ua = ua[i+len("android"):]
		if len(ua) < 2 || ua[0] != ' ' {
			continue
		}
		major, end := digits(ua, 1)
		if major == 0 || major > 3 {
			continue
		}
		if end+1 < len(ua) && ua[end] == '.' {
			if minor, minorEnd := digits(ua, end+1); minor > 0 && minor <= 3 {
				end = minorEnd
			}
		}
		return ua[1:end:end]
	}
	return nil
}

// iosVersion finds "OS 17_2_1" (in "iPhone OS", "CPU OS", "iOS") and turns it
// into "17.2" from dottedVersions. A version outside the table gives its
// major alone, a sub-slice of ua.
func iosVersion(ua []byte) []byte {
	for from := 0; from < len(ua); {
		k := bytes.Index(ua[from:], []byte("OS "))
		if k < 0 {
			return nil
		}
		start := from + k + len("OS ")
		from = start
		n, end := digits(ua, start)
		if n == 0 {
			continue
		}
		if n > 2 {
			return nil
		}
		major := atoiSmall(ua[start:end])
		if end+1 < len(ua) && (ua[end] == '_' || ua[end] == '.') {
			if m, minorEnd := digits(ua, end+1); m > 0 && m <= 2 {
				if v := dottedVersion(major, atoiSmall(ua[end+1:minorEnd])); v != nil {
					return v
				}
			}
		}
		return ua[start:end:end]
	}
	return nil
}

// digits returns how many ASCII digits b has from i, and where they end.
func digits(b []byte, i int) (n, end int) {
	end = i
	for end < len(b) && b[end] >= '0' && b[end] <= '9' {
		end++
	}
	return end - i, end
}

// atoiSmall converts at most two ASCII digits.
func atoiSmall(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

// iOS majors run past 26 now; no iOS release has had a minor above 7.
const (
	dottedMajors = 100
	dottedMinors = 20
)

// dottedText holds every "major.minor" for major < dottedMajors and minor <
// dottedMinors back to back; dottedOffsets[k] is where entry k starts. iOS
// agents write 17_2: a table of dotted forms lets ParseUserAgent return
// "17.2" without writing anywhere.
var dottedText, dottedOffsets = func() ([]byte, []uint16) {
	text := make([]byte, 0, dottedMajors*dottedMinors*5)
	offsets := make([]uint16, 0, dottedMajors*dottedMinors+1)
	for major := 0; major < dottedMajors; major++ {
		for minor := 0; minor < dottedMinors; minor++ {
			offsets = append(offsets, uint16(len(text)))
			text = strconv.AppendInt(text, int64(major), 10)
			text = append(text, '.')
			text = strconv.AppendInt(text, int64(minor), 10)
		}
	}
	return text, append(offsets, uint16(len(text)))
}()

func dottedVersion(major, minor int) []byte {
	if major < 0 || major >= dottedMajors || minor < 0 || minor >= dottedMinors {
		return nil
	}
	k := major*dottedMinors + minor
	from, to := dottedOffsets[k], dottedOffsets[k+1]
	return dottedText[from:to:to]
}
