package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReloadRefusesEmptyFile: a SIGHUP's config.Reload refuses a file with
// no YAML document, which Load (at start) reads as every default.
func TestReloadRefusesEmptyFile(t *testing.T) {
	for _, body := range []string{"", "\n\n", "# being rewritten\n", "---\n"} {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err != nil {
			t.Errorf("Load(%q): %v, want every default", body, err)
		}
		if _, err := Reload(path); err == nil || !strings.Contains(err.Error(), "holds no configuration") {
			t.Errorf("Reload(%q): %v, want a refusal", body, err)
		}
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("region: eu\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := Reload(path); err != nil || c.Region != "eu" {
		t.Errorf("Reload of a real file: %v, %v", c, err)
	}
}
