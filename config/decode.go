package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder turns the YAML node tree into a Config. It walks the tree by hand
// rather than unmarshalling into tagged structs because the yaml package's
// KnownFields errors are multi-line, name a line rather than the key, and stop
// at the Go type (they cannot say "partners.acme.retry.bse"). Values are
// expanded here, after parsing, so ${VAR} can never inject YAML.
//
// Only shape and type are checked here (and durations, which must be parsed
// to be stored); range and reference checks are Validate's, so they also run
// on configs changed after Parse.
type decoder struct {
	file   string
	lookup func(string) (string, bool)

	// written is the text of each value that the config stores in another
	// form ("720h1s" is stored as a Duration that prints 30d1s, "put" as
	// PUT), by key path, so Parse's messages quote what the file says.
	written map[string]string

	// visits counts the mapping entries and list items decoded, aliases
	// followed included, against budget: anchors shared through aliases
	// can make a small file expand into millions of values.
	visits, budget int
}

// aliasBudget is the least number of values a document may expand into,
// its aliases followed; a larger document may expand ten times its nodes.
const aliasBudget = 1_000_000

// visit counts one value decoded, and fails once the document has expanded
// past its budget.
func (d *decoder) visit(path string) error {
	d.visits++
	if d.visits > d.budget {
		return d.errf(path, "the document expands through aliases into more than %d values", d.budget)
	}
	return nil
}

// countNodes counts n's nodes without following aliases: the document's
// own size.
func countNodes(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

// field decodes the value of one known key; path is that key's dotted path.
type field func(n *yaml.Node, path string) error

func (d *decoder) errf(path, format string, args ...any) error {
	return &Error{File: d.file, Key: path, Msg: fmt.Sprintf(format, args...)}
}

// wroteExpanded records the file's text of a string that ${VAR}
// expansion changed: a message about it quotes what the file says, never
// the variable's value, which may be a credential (an api_key in a
// template, a password in nats_url).
func (d *decoder) wroteExpanded(n *yaml.Node, path, expanded string) {
	if raw := deref(n).Value; raw != expanded {
		d.wrote(path, raw)
	}
}

// wrote records the text of the value at path; see decoder.written.
func (d *decoder) wrote(path, text string) {
	if d.written == nil {
		d.written = map[string]string{}
	}
	d.written[path] = text
}

func (d *decoder) top(n *yaml.Node, c *Config) error {
	return d.fields(n, "", map[string]field{
		"listen":           d.str(&c.Listen),
		"tls_cert":         d.str(&c.TLSCert),
		"tls_key":          d.str(&c.TLSKey),
		"admin_listen":     d.str(&c.AdminListen),
		"data_dir":         d.str(&c.DataDir),
		"region":           d.str(&c.Region),
		"durability":       d.str(&c.Durability),
		"sync_interval":    d.dur(&c.SyncInterval),
		"click_retention":  d.dur(&c.ClickRetention),
		"event_retention":  d.dur(&c.EventRetention),
		"cache_size":       d.size(&c.CacheSize),
		"shutdown_grace":   d.dur(&c.ShutdownGrace),
		"trusted_proxies":  d.prefixes(&c.TrustedProxies),
		"client_ip_header": d.str(&c.ClientIPHeader),
		"country_header":   d.str(&c.CountryHeader),
		"admin_token": func(n *yaml.Node, path string) error {
			if !isNull(deref(n)) {
				c.adminTokenFromEnv = false // the file's own, even if empty
			}
			return d.str(&c.AdminToken)(n, path)
		},
		"conversion_tokens":     d.strs(&c.ConversionTokens),
		"allow_private_targets": d.boolean(&c.AllowPrivateTargets),
		"anonymize_ip":          d.boolean(&c.AnonymizeIP),
		"apps": func(n *yaml.Node, path string) error {
			return d.entries(n, path, func(id string, n *yaml.Node, path string) error {
				a := &App{ID: id}
				c.Apps[id] = a
				return d.fields(n, path, map[string]field{
					"android": d.str(&a.Android),
					"ios":     d.str(&a.IOS),
					"web":     d.str(&a.Web),
					"redirect_hosts": func(n *yaml.Node, path string) error {
						err := d.strs(&a.RedirectHosts)(n, path)
						for i, h := range a.RedirectHosts {
							a.RedirectHosts[i] = strings.ToLower(h)
						}
						return err
					},
				})
			})
		},
		"partners": func(n *yaml.Node, path string) error {
			return d.entries(n, path, func(name string, n *yaml.Node, path string) error {
				p := newPartner(name)
				c.Partners[name] = p
				return d.partner(n, path, p)
			})
		},
		"campaigns": func(n *yaml.Node, path string) error {
			return d.entries(n, path, func(id string, n *yaml.Node, path string) error {
				cp := newCampaign(id)
				c.Campaigns[id] = cp
				err := d.fields(n, path, map[string]field{
					"name":                  d.str(&cp.Name),
					"app":                   d.str(&cp.App),
					"partner":               d.str(&cp.Partner),
					"click_lookback":        d.dur(&cp.ClickLookback),
					"fingerprint_lookback":  d.dur(&cp.FingerprintLookback),
					"deep_link":             d.str(&cp.DeepLink),
					"view_through_lookback": d.dur(&cp.ViewThroughLookback),
				})
				if cp.Name == "" {
					cp.Name = id
				}
				return err
			})
		},
		"replication": func(n *yaml.Node, path string) error {
			if isNull(deref(n)) {
				return nil // "replication:" with nothing under it reads as absent
			}
			r := newReplication()
			c.Replication = r
			return d.fields(n, path, map[string]field{
				"nats_url":       d.str(&r.NATSURL),
				"peers":          d.strs(&r.Peers),
				"pending_window": d.dur(&r.PendingWindow),
			})
		},
	})
}

func (d *decoder) partner(n *yaml.Node, path string, p *Partner) error {
	return d.fields(n, path, map[string]field{
		"install":       d.str(&p.Install),
		"signup":        d.str(&p.Signup),
		"events":        d.strMap(p.Events),
		"rename":        d.strMap(p.Rename),
		"share_revenue": d.boolean(&p.ShareRevenue),
		"method":        d.upper(&p.Method),
		"body":          d.str(&p.Body),
		"secret":        d.str(&p.Secret),
		"timeout":       d.dur(&p.Timeout),
		"max_conns":     d.integer(&p.MaxConns),
		"max_rps":       d.integer(&p.MaxRPS),
		"retry": func(n *yaml.Node, path string) error {
			return d.fields(n, path, map[string]field{
				"base":         d.dur(&p.Retry.Base),
				"max_interval": d.dur(&p.Retry.MaxInterval),
				"max_age":      d.dur(&p.Retry.MaxAge),
			})
		},
	})
}

// fields decodes a mapping whose keys are fixed: any other key is an error.
// A null value (the key with nothing after it) leaves every default in place.
func (d *decoder) fields(n *yaml.Node, path string, known map[string]field) error {
	return d.entries(n, path, func(key string, v *yaml.Node, p string) error {
		f, ok := known[key]
		if !ok {
			return d.errf(p, "unknown key")
		}
		return f(v, p)
	})
}

// entries walks a mapping in document order, so the first problem in the file
// is the one reported.
func (d *decoder) entries(n *yaml.Node, path string, each func(key string, v *yaml.Node, path string) error) error {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return d.errf(path, "expected a mapping, got %s", kindName(n))
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if err := d.visit(path); err != nil {
			return err
		}
		k := deref(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			if path == "" {
				return &Error{File: d.file, Line: k.Line, Msg: "a key is " + kindName(k) + ", not a name"}
			}
			return d.errf(path, "a key on line %d is %s, not a name", k.Line, kindName(k))
		}
		p := join(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			return d.errf(p, "duplicate key (first on line %d)", first)
		}
		seen[k.Value] = k.Line
		if err := each(k.Value, n.Content[i+1], p); err != nil {
			return err
		}
	}
	return nil
}

// scalar returns the expanded text of a scalar; ok is false for null.
func (d *decoder) scalar(n *yaml.Node, path, want string) (s string, ok bool, err error) {
	n = deref(n)
	if isNull(n) {
		return "", false, nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", false, d.errf(path, "expected %s, got %s", want, kindName(n))
	}
	return expand(n.Value, d.lookup), true, nil
}

// typed is scalar for booleans, integers and durations: a value that only
// becomes empty through ${VAR} expansion (an unset variable) counts as absent,
// so `timeout: ${PB_TIMEOUT}` falls back to the default. A literal "" is
// still an error.
func (d *decoder) typed(n *yaml.Node, path, want string) (s string, ok bool, err error) {
	s, ok, err = d.scalar(n, path, want)
	if ok && s == "" && deref(n).Value != "" {
		return "", false, nil
	}
	return s, ok, err
}

func (d *decoder) str(dst *string) field {
	return func(n *yaml.Node, path string) error {
		s, ok, err := d.scalar(n, path, "a string")
		if ok {
			*dst = s
			d.wroteExpanded(n, path, s)
		}
		return err
	}
}

// upper is str for a value that is matched case-insensitively (an HTTP
// method): it is stored upper-case, and recorded as written for messages.
func (d *decoder) upper(dst *string) field {
	return func(n *yaml.Node, path string) error {
		s, ok, err := d.scalar(n, path, "a string")
		if ok {
			*dst = strings.ToUpper(s)
			d.wrote(path, s)
		}
		return err
	}
}

func (d *decoder) dur(dst *time.Duration) field {
	return func(n *yaml.Node, path string) error {
		s, ok, err := d.typed(n, path, "a duration")
		if !ok || err != nil {
			return err
		}
		v, perr := ParseDuration(s)
		if perr != nil {
			return d.errf(path, `%s is not a duration (e.g. "90s", "24h", "7d")`, quote(s))
		}
		*dst = v
		d.wrote(path, s)
		return nil
	}
}

func (d *decoder) size(dst *int64) field {
	return func(n *yaml.Node, path string) error {
		s, ok, err := d.typed(n, path, "a size")
		if !ok || err != nil {
			return err
		}
		v, perr := ParseSize(s)
		if perr != nil {
			return d.errf(path, `%s is not a size (e.g. "64MiB", "1GiB")`, quote(s))
		}
		*dst = v
		d.wrote(path, s)
		return nil
	}
}

func (d *decoder) boolean(dst *bool) field {
	return func(n *yaml.Node, path string) error {
		s, ok, err := d.typed(n, path, "true or false")
		if !ok || err != nil {
			return err
		}
		switch s {
		case "true", "True", "TRUE":
			*dst = true
		case "false", "False", "FALSE":
			*dst = false
		default:
			return d.errf(path, "%s is not true or false", quote(s))
		}
		return nil
	}
}

func (d *decoder) integer(dst *int) field {
	return func(n *yaml.Node, path string) error {
		s, ok, err := d.typed(n, path, "an integer")
		if !ok || err != nil {
			return err
		}
		v, perr := strconv.Atoi(s)
		if perr != nil {
			return d.errf(path, "%s is not an integer", quote(s))
		}
		*dst = v
		return nil
	}
}

// strMap decodes a mapping of name -> string (partner events and rename).
func (d *decoder) strMap(dst map[string]string) field {
	return func(n *yaml.Node, path string) error {
		return d.entries(n, path, func(key string, v *yaml.Node, p string) error {
			s, ok, err := d.scalar(v, p, "a string")
			dst[key] = s
			if ok {
				d.wroteExpanded(v, p, s)
			}
			return err
		})
	}
}

// list walks a sequence; null is an empty list.
func (d *decoder) list(n *yaml.Node, path string, each func(i int, v *yaml.Node, path string) error) error {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return d.errf(path, "expected a list, got %s", kindName(n))
	}
	for i, v := range n.Content {
		if err := d.visit(path); err != nil {
			return err
		}
		if err := each(i, v, index(path, i)); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) strs(dst *[]string) field {
	return func(n *yaml.Node, path string) error {
		out := []string{}
		err := d.list(n, path, func(_ int, v *yaml.Node, p string) error {
			s, _, err := d.scalar(v, p, "a string")
			out = append(out, s)
			return err
		})
		*dst = out
		return err
	}
}

func (d *decoder) prefixes(dst *[]netip.Prefix) field {
	return func(n *yaml.Node, path string) error {
		out := []netip.Prefix{}
		err := d.list(n, path, func(_ int, v *yaml.Node, p string) error {
			s, _, err := d.scalar(v, p, "a CIDR or IP address")
			if err != nil {
				return err
			}
			pfx, ok := parsePrefix(s)
			if !ok {
				return d.errf(p, "%s is not a CIDR or IP address", quote(s))
			}
			out = append(out, pfx)
			return nil
		})
		*dst = out
		return err
	}
}

// parsePrefix accepts "10.0.0.0/8" or a bare address, which becomes a /32 or
// /128. Host bits are masked off (so "10.1.2.3/8" means 10.0.0.0/8), and an
// IPv4-mapped IPv6 address becomes IPv4 so it matches the IPv4 peers that a
// dual-stack listener reports. Zones are refused: a trust rule is not
// per-interface.
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if a := p.Addr(); a.Is4In6() {
			// Peers are compared unmapped, as a bare mapped address is
			// below: ::ffff:10.0.0.0/104 is 10.0.0.0/8. A prefix shorter
			// than the mapping's 96 bits is no IPv4 network.
			if p.Bits() < 96 {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// deref follows an alias (*name) to its anchored node. YAML cannot anchor an
// alias, so one step normally suffices; the bound is only a guard.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; i < 8 && n != nil && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a string"
	case yaml.AliasNode:
		return "an alias"
	default:
		return "a document"
	}
}
