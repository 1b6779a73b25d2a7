package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads and parses the file at path, expanding ${VAR} from the process
// environment, and checks that the TLS files it names form a key pair.
func Load(path string) (*Config, error) { return load(path, true) }

// Reload is Load for a SIGHUP: a file that holds no YAML document (empty,
// blank or comments only) is refused rather than read as every default.
// A reload that lands while a tool rewrites the file (truncated, not yet
// written: `cat > clickedge.yaml`) finds it so, and every default meant
// no campaign (every click a 404) and no partner (every pending postback
// failed at once, "partner not configured")
// (TestSIGHUPWithEmptyConfigKeepsRunningConfig). At start an empty file
// still means the defaults.
func Reload(path string) (*Config, error) { return load(path, false) }

func load(path string, emptyMeansDefaults bool) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// The os error repeats the path; keep just its reason.
		var pe *fs.PathError
		msg := err.Error()
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, &Error{File: path, Msg: "cannot read: " + msg, Err: err}
	}
	if !emptyMeansDefaults {
		if root, err := parseYAML(path, data); err == nil && root == nil {
			return nil, &Error{File: path, Msg: "the file holds no configuration (empty, or comments only): is it being rewritten?"}
		}
	}
	c, err := Parse(path, data, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	if err := c.checkTLS(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse parses data as the config file called name (used in messages and as
// Config.Source), expands ${VAR} through lookup (nil: nothing is set),
// applies defaults and validates.
func Parse(name string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	c := newConfig(name)
	c.AdminToken, _ = lookup(adminTokenEnv) // the default when admin_token is absent
	c.adminTokenFromEnv = c.AdminToken != ""
	d := &decoder{file: name, lookup: lookup, budget: max(aliasBudget, 10*countNodes(root))}
	if root != nil {
		if err := d.top(root, c); err != nil {
			return nil, err
		}
	}
	if err := c.validate(d.written); err != nil {
		return nil, err
	}
	if r := c.Replication; r != nil && r.NATSURL == "" {
		c.Replication, c.noNATS = nil, r // "absent: single region, Pebble alone"
	}
	return c, nil
}

// yamlLine splits "yaml: line 4: did not find expected key".
var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// parseYAML returns the top-level mapping node, or nil for an empty document.
func parseYAML(name string, data []byte) (root *yaml.Node, err error) {
	defer func() {
		// The YAML library should never panic, but a config file is input and
		// input must not crash the process.
		if r := recover(); r != nil {
			root, err = nil, &Error{File: name, Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // empty file or comments only: all defaults
		}
		return nil, yamlError(name, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(name, err)
	default:
		line := next.Line
		if len(next.Content) > 0 {
			line = next.Content[0].Line
		}
		return nil, &Error{File: name, Line: line, Msg: "only one YAML document is allowed"}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	n := deref(doc.Content[0])
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, &Error{File: name, Line: n.Line, Msg: "the top level must be a mapping, got " + kindName(n)}
	}
	return n, nil
}

func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if line, perr := strconv.Atoi(m[1]); perr == nil {
			return &Error{File: name, Line: line, Msg: m[2], Err: err}
		}
	}
	return &Error{File: name, Msg: msg, Err: err}
}
