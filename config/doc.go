// Package config loads, validates and expands clickedge's YAML configuration.
//
// The file format is CONTRACT §2 (and the replication block of §8). Decoding
// is strict: the parser walks the YAML node tree itself instead of relying on
// struct tags, so that every problem (unknown key, wrong type, bad value)
// comes back as one line naming the file and the dotted key path:
//
//	config: /etc/clickedge.yaml: campaigns.OgWmhiSXhG.click_lookback: "40d" is outside 1d..30d
//
// ${NAME} references (NAME in [A-Z_][A-Z0-9_]*) are expanded in scalar values
// after YAML parsing, so an environment value is always one plain string and
// can never inject YAML structure. Partner macros such as {click_id}, and any
// other ${...}, pass through untouched.
//
// Parse applies defaults and validates, quoting values as the file wrote
// them; callers that override values afterwards (command-line flags) call
// Validate again. Load also checks what the file names on disk (the TLS key
// pair); Parse and Validate never touch the disk.
package config
