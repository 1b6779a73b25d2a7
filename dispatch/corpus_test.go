package dispatch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "copy ../../shared/corpus into testdata/corpus and rewrite testdata/golden")

const (
	// sharedCorpus is shared/corpus beside the repository: /work/shared on a
	// developer's machine, $REPO/../shared in CI.
	sharedCorpus = "../../shared/corpus"
	// localCorpus is the copy kept with the package, so the golden tests run
	// without shared/.
	localCorpus = "testdata/corpus"
	goldenDir   = "testdata/golden"
)

var corpusFiles = []string{"postback_templates.jsonl", "conversions.json"}

type corpusTemplate struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	Template   string `json:"template_or_url"`
	Syntax     string `json:"syntax"`
	Documented *struct {
		Input  map[string]string `json:"input"`
		Output string            `json:"output"`
	} `json:"documented_example"`
	Renderings []corpusRendering `json:"linkrunner_renderings"`
}

type corpusRendering struct {
	MacroSet      string            `json:"macro_set"`
	InputID       string            `json:"input_id"`
	Input         map[string]string `json:"input"`
	Expected      string            `json:"expected_output"`
	Recognised    []string          `json:"recognised_macros"`
	LeftUntouched []string          `json:"left_untouched"`
}

type corpusConversions struct {
	Conversions map[string]map[string]string `json:"conversions"`
	MacroSets   map[string][]string          `json:"macro_sets"`
}

func loadCorpus(t *testing.T, dir string) ([]corpusTemplate, corpusConversions) {
	t.Helper()
	var convs corpusConversions
	b, err := os.ReadFile(filepath.Join(dir, "conversions.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &convs); err != nil {
		t.Fatalf("conversions.json: %v", err)
	}
	f, err := os.Open(filepath.Join(dir, "postback_templates.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var tmpls []corpusTemplate
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var ct corpusTemplate
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		if err := dec.Decode(&ct); err != nil {
			t.Fatalf("postback_templates.jsonl:%d: %v", n, err)
		}
		tmpls = append(tmpls, ct)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(tmpls) == 0 {
		t.Fatalf("%s: no templates", dir)
	}
	return tmpls, convs
}

// conversionValues fills Values from one conversions.json entry. Every key
// there is one of our macro names; aliases are set first so that a
// canonical key, when present, wins.
func conversionValues(t *testing.T, conv map[string]string) *Values {
	t.Helper()
	var v Values
	for pass := range 2 {
		for k, val := range conv {
			m, ok := LookupMacroString(k)
			if !ok {
				t.Fatalf("conversion key %q is not a macro", k)
			}
			if canonical := m.String() == k; canonical == (pass == 1) {
				v.SetString(m, val)
			}
		}
	}
	return &v
}

// oracleEncode is the contract's URL encoding computed by net/url, not by us.
func oracleEncode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

var macroToken = regexp.MustCompile(`\{([a-z0-9_]+)\}`)

// conversionValue is conv's value for macro m: its canonical key, else an
// alias key (V2 gives s2..s4 only under their aliases).
func conversionValue(conv map[string]string, m Macro) string {
	if val, ok := conv[m.String()]; ok {
		return val
	}
	keys := make([]string, 0, len(conv))
	for k := range conv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if a, ok := LookupMacroString(k); ok && a == m {
			return conv[k]
		}
	}
	return ""
}

// expectedRendering derives our expected output from the corpus's
// reference rendering. The reference used only its macro set (v1 or v2); a
// {name} that we recognise and that set does not (aliases, extensions) was
// left literal there and is rendered by us. So each such {name} in the
// reference is replaced by the oracle encoding of our value for it from the
// same conversion (empty when the conversion has none). Every other byte of
// the reference stands. The replacement is safe on the reference text:
// its values are percent-encoded, so any '{' in it is template literal.
func expectedRendering(t *testing.T, r corpusRendering, set []string, conv map[string]string) (want string, derived []string) {
	t.Helper()
	if set == nil {
		t.Fatalf("unknown macro set %q", r.MacroSet)
	}
	want = macroToken.ReplaceAllStringFunc(r.Expected, func(tok string) string {
		name := tok[1 : len(tok)-1]
		m, ok := LookupMacroString(name)
		if !ok || slices.Contains(set, name) {
			return tok
		}
		derived = append(derived, tok)
		return oracleEncode(conversionValue(conv, m))
	})
	return want, derived
}

// checkCorpus renders every linkrunner_renderings item and every
// documented_example of the corpus in dir.
func checkCorpus(t *testing.T, dir string) {
	tmpls, convs := loadCorpus(t, dir)
	for _, ct := range tmpls {
		t.Run(ct.ID, func(t *testing.T) {
			tmpl := CompileTemplate(ct.Template)
			var ours []string
			for _, m := range tmpl.Macros() {
				ours = append(ours, m.String())
			}
			for _, r := range ct.Renderings {
				conv, ok := convs.Conversions[r.InputID]
				if !ok {
					t.Fatalf("rendering input_id %q not in conversions.json", r.InputID)
				}
				for k, val := range r.Input {
					if got := conversionValue(conv, mustMacro(t, k)); got != val {
						t.Errorf("%s: input %s=%q but conversions.json has %q", r.InputID, k, val, got)
					}
				}
				set := convs.MacroSets[r.MacroSet]
				want, derived := expectedRendering(t, r, set, conv)
				if len(derived) > 0 {
					t.Logf("%s/%s: rendered %v that the %s reference left literal", ct.ID, r.InputID, derived, r.MacroSet)
				}
				got := string(tmpl.AppendURL(nil, conversionValues(t, conv)))
				if got != want {
					t.Errorf("%s (%s)\n got %s\nwant %s", r.InputID, r.MacroSet, got, want)
				}
				// Every macro the reference recognised, we recognise.
				for _, name := range r.Recognised {
					if !slices.Contains(ours, mustMacro(t, name).String()) {
						t.Errorf("%s: reference recognised {%s}; we did not (ours: %v)", r.InputID, name, ours)
					}
				}
				// What the reference left alone stays, unless it is ours.
				for _, tok := range r.LeftUntouched {
					_, isOurs := LookupMacroString(strings.Trim(tok, "{}"))
					if inOutput := strings.Contains(got, tok); inOutput == isOurs {
						t.Errorf("%s: left_untouched %s: recognised by us=%v, still in output=%v", r.InputID, tok, isOurs, inOutput)
					}
				}
			}
			if d := ct.Documented; d != nil {
				checkDocumented(t, tmpl, d.Input, d.Output)
			}
		})
	}
}

// checkDocumented renders a vendor's own example. Where every input name is
// one of our macros the example is in our syntax and must match exactly;
// otherwise (MyTracker's {mt_idfa}, Affonso's {event_type}) none of its
// placeholders is ours and the template must come out unchanged.
func checkDocumented(t *testing.T, tmpl *Template, input map[string]string, output string) {
	t.Helper()
	var v Values
	ourSyntax := true
	for k, val := range input {
		m, ok := LookupMacroString(k)
		if !ok {
			ourSyntax = false
			continue
		}
		v.SetString(m, val)
	}
	got := string(tmpl.AppendURL(nil, &v))
	want := output
	if !ourSyntax {
		want = tmpl.String()
	}
	if got != want {
		t.Errorf("documented example (our syntax: %v)\n got %s\nwant %s", ourSyntax, got, want)
	}
}

func mustMacro(t *testing.T, name string) Macro {
	t.Helper()
	m, ok := LookupMacroString(name)
	if !ok {
		t.Fatalf("%q is not a macro", name)
	}
	return m
}

// TestCorpus checks the shared corpus (skipped when shared/ is absent), then
// the copy in testdata/corpus, then our goldens of that copy.
func TestCorpus(t *testing.T) {
	_, err := os.Stat(filepath.Join(sharedCorpus, corpusFiles[0]))
	haveShared := err == nil
	if *update && haveShared {
		if err := os.MkdirAll(localCorpus, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range corpusFiles {
			b, err := os.ReadFile(filepath.Join(sharedCorpus, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(localCorpus, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("shared", func(t *testing.T) {
		if !haveShared {
			t.Skipf("shared corpus not found at %s (%v); testdata/corpus is still checked", sharedCorpus, err)
		}
		for _, name := range corpusFiles {
			a, errA := os.ReadFile(filepath.Join(sharedCorpus, name))
			b, errB := os.ReadFile(filepath.Join(localCorpus, name))
			if errA != nil || errB != nil || !bytes.Equal(a, b) {
				t.Errorf("testdata/corpus/%s differs from %s; refresh it with: go test ./dispatch -run TestCorpus -update", name, sharedCorpus)
			}
		}
		checkCorpus(t, sharedCorpus)
	})
	t.Run("testdata", func(t *testing.T) { checkCorpus(t, localCorpus) })
	t.Run("golden", func(t *testing.T) { checkGolden(t, localCorpus) })
}

// checkGolden renders every corpus template with every corpus conversion and
// with no values, and compares with testdata/golden/<id>.txt.
func checkGolden(t *testing.T, dir string) {
	tmpls, convs := loadCorpus(t, dir)
	ids := make([]string, 0, len(convs.Conversions))
	for id := range convs.Conversions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, ct := range tmpls {
		tmpl := CompileTemplate(ct.Template)
		var b strings.Builder
		b.WriteString("# Rendered by TestCorpus from testdata/corpus; regenerate: go test ./dispatch -run TestCorpus -update\n")
		b.WriteString("template: " + ct.Template + "\n")
		b.WriteString("macros:")
		for _, m := range tmpl.Macros() {
			b.WriteString(" " + m.String())
		}
		b.WriteString("\nunknown:")
		for _, u := range tmpl.UnknownMacros() {
			b.WriteString(" " + u)
		}
		b.WriteString("\n----\n")
		for _, id := range ids {
			b.WriteString("url " + id + ": ")
			b.Write(tmpl.AppendURL(nil, conversionValues(t, convs.Conversions[id])))
			b.WriteString("\n")
		}
		b.WriteString("url (no values): ")
		b.Write(tmpl.AppendURL(nil, nil))
		b.WriteString("\n")

		name := filepath.Join(goldenDir, ct.ID+".txt")
		seen[ct.ID+".txt"] = true
		if *update {
			if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%v (run with -update to create it)", err)
			continue
		}
		if got := b.String(); got != string(want) {
			t.Errorf("%s differs (run with -update after checking the diff)\n got:\n%s\nwant:\n%s", name, got, want)
		}
	}
	// A golden whose template left the corpus is stale.
	entries, err := os.ReadDir(goldenDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue // jobs/ holds TestGoldenJobs' files
		}
		if !seen[e.Name()] {
			if *update {
				os.Remove(filepath.Join(goldenDir, e.Name()))
				continue
			}
			t.Errorf("%s/%s has no template in the corpus", goldenDir, e.Name())
		}
	}
}
