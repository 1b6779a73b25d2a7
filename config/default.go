package config

import (
	_ "embed"
	"net"
	"os"
	"strings"
)

//go:embed default.yaml
var defaultYAML []byte

const (
	defaultSource = "embedded default"
	demoSinkPath  = "/_demo/postback"
)

// LoadDefault returns the embedded default config (default.yaml), read with
// the real environment so CLICKEDGE_ADMIN_TOKEN applies: the one way it can
// fail is a token that variable holds and validation refuses (a secret
// file's newline). Each call returns a new value the caller may change.
func LoadDefault() (*Config, error) {
	c, err := Parse(defaultSource, defaultYAML, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	c.Demo = true
	return c, nil
}

// Default is LoadDefault for tests and tools whose environment is known
// good; it panics where LoadDefault fails.
func Default() *Config {
	c, err := LoadDefault()
	if err != nil {
		panic("config: embedded default: " + err.Error())
	}
	return c
}

// DefaultYAML returns a copy of the embedded default file, for printing or as
// a starting point for a real config.
func DefaultYAML() []byte {
	return append([]byte(nil), defaultYAML...)
}

// SetDemoSink points the demo partner's templates at
// http://<adminAddr>/_demo/postback, for when the admin listener is moved
// (e.g. -admin-listen). adminAddr is host:port as given to the listener; an
// empty or unspecified host means loopback, since postbacks are dialled, not
// listened on. It only acts on the embedded default (Demo) and leaves the
// templates alone when adminAddr is not host:port. Call Validate after.
func (c *Config) SetDemoSink(adminAddr string) {
	if !c.Demo {
		return
	}
	host, port, err := net.SplitHostPort(adminAddr)
	if err != nil {
		return
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	authority := net.JoinHostPort(host, port)
	for _, p := range c.Partners {
		if p == nil {
			continue
		}
		p.Install = retarget(p.Install, authority)
		p.Signup = retarget(p.Signup, authority)
		for ev, t := range p.Events {
			p.Events[ev] = retarget(t, authority)
		}
	}
}

// retarget swaps the authority of an http://<authority>/_demo/postback
// template; any other template is returned unchanged.
func retarget(t, authority string) string {
	const scheme = "http://"
	if !strings.HasPrefix(t, scheme) {
		return t
	}
	rest := t[len(scheme):]
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return t
	}
	path := rest[slash:]
	if !strings.HasPrefix(path, demoSinkPath) {
		return t
	}
	if after := path[len(demoSinkPath):]; after != "" && after[0] != '?' && after[0] != '#' {
		return t // e.g. /_demo/postbacks: not the sink
	}
	return scheme + authority + path
}
