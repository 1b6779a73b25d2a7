// Package promlabel writes label values for the Prometheus text format.
package promlabel

import "strings"

var escaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// Quote returns s as a quoted label value. The text format knows three
// escapes, \\, \" and \n, and takes every other byte as it is: Go's %q
// would write a tab or a no-break space in a partner's name as \t or
// \u00a0, which strict parsers refuse, failing the whole scrape, and
// lenient ones keep as those six characters.
func Quote(s string) string { return `"` + escaper.Replace(s) + `"` }
