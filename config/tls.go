package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
)

// checkTLS loads the TLS pair as the listener will, so that a missing,
// unreadable or mismatched file is a config error naming its key, reported
// by check-config and before serve listens, rather than the listener's
// "edge: tls: open …". It is Load's check, not Validate's: Parse and
// Validate stay functions of their input alone (the fuzz target runs them on
// arbitrary bytes), and only a file loaded to be used is held to the disk it
// is loaded on.
func (c *Config) checkTLS() error {
	if c.TLSCert == "" || c.TLSKey == "" {
		return nil // Validate has required both or neither
	}
	pair, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err == nil {
		// LoadX509KeyPair parses the leaf; a certificate past its dates
		// still loads (the listener would serve it), so they are a note.
		c.tlsNotBefore, c.tlsNotAfter = pair.Leaf.NotBefore, pair.Leaf.NotAfter
		return nil
	}
	// A read error is an *fs.PathError carrying the path, which says which
	// key is at fault; anything else is about the two files' contents.
	var pe *fs.PathError
	if errors.As(err, &pe) {
		key := "tls_key"
		if pe.Path == c.TLSCert {
			key = "tls_cert" // read first, so it is named when both are one bad path
		}
		return &Error{File: c.Source, Key: key, Msg: "cannot read " + quote(pe.Path) + ": " + pe.Err.Error(), Err: err}
	}
	return &Error{File: c.Source, Key: "tls_key", Err: err,
		Msg: fmt.Sprintf("%s and tls_cert %s do not form a key pair (%v)", quote(c.TLSKey), quote(c.TLSCert), err)}
}
