package bench

import (
	"html/template"
	"io"
	"maps"
	"slices"

	"github.com/clickedge/clickedge/loadtest"
)

// seriesColors are distinguishable for the common colour blindnesses.
var seriesColors = [...]string{"#1f6fd1", "#0f8a5f", "#c2570c"}

type htmlSeries struct {
	Title, What string
	Color       string
	Count       int64
	P50, P90    string
	P99, P999   string
	Max         string
	Plot        template.HTML
}

type kv struct{ K, V string }

type htmlPage struct {
	Host, Time string
	Series     []htmlSeries
	Settings   []kv
	Machine    []kv
}

func (r *Report) writeHTML(w io.Writer) error {
	pg := htmlPage{Host: r.Machine["hostname"], Time: r.Machine["time"]}
	for k, si := range r.series() {
		p := si.s.Latency
		ms := loadtest.FormatMS
		if si.s.Count == 0 {
			ms = func(float64) string { return "–" }
		}
		pg.Series = append(pg.Series, htmlSeries{
			Title: si.title, What: si.what, Color: seriesColors[k], Count: si.s.Count,
			P50: ms(p.P50), P90: ms(p.P90), P99: ms(p.P99), P999: ms(p.P999), Max: ms(p.Max),
			// plotSVG escapes the little text it holds; the rest is numbers.
			Plot: template.HTML(plotSVG(si, seriesColors[k], wideLayout) + plotSVG(si, seriesColors[k], narrowLayout)),
		})
	}
	for _, k := range slices.Sorted(maps.Keys(r.Settings)) {
		pg.Settings = append(pg.Settings, kv{k, settingText(r.Settings[k])})
	}
	for _, k := range slices.Sorted(maps.Keys(r.Machine)) {
		pg.Machine = append(pg.Machine, kv{k, r.Machine[k]})
	}
	return pageTmpl.Execute(w, pg)
}

// The page is one file: inline CSS and SVG, no script, nothing fetched.
var pageTmpl = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>clickedge attribution latency{{if .Host}} on {{.Host}}{{end}}</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#fff;margin:0}
main{max-width:1040px;margin:0 auto;padding:28px 24px 40px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:18px;margin:30px 0 2px}
p.lead{margin:0 0 18px;color:#475066}
p.what{margin:0 0 6px;color:#475066}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
.meta td{overflow-wrap:anywhere}
th,td{padding:5px 12px;text-align:left;border-bottom:1px solid #e3e6ec}
th{font-weight:600;color:#475066;font-size:13px}
td.n,th.n{text-align:right}
.summary td:first-child{font-weight:600;white-space:nowrap}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:7px;vertical-align:-1px}
svg.plot{width:100%;height:auto;display:block}
svg.narrow{display:none;max-width:560px}
@media (max-width:800px){
svg.wide{display:none}
svg.narrow{display:block}
}
@media (max-width:600px){
main{padding:20px 14px 32px}
h1{font-size:22px}
.summary .what,.summary .opt{display:none}
th,td{padding:5px 8px}
.meta{display:block}
}
.grid{stroke:#e8ebf0;stroke-width:1}
.frame{fill:none;stroke:#9aa3b2;stroke-width:1}
.xtick{font-size:13px;text-anchor:middle;fill:#475066}
.ytick{font-size:13px;text-anchor:end;fill:#475066}
.axis{font-size:14px;text-anchor:middle;fill:#1d2330}
.curve{fill:none;stroke-width:2.5;stroke-linejoin:round}
.mark{stroke:#fff;stroke-width:1.5}
.lbl{font-size:13.5px;fill:#1d2330;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
.lbl .pn{font-weight:700}
.maxlbl{font-size:13px;fill:#475066}
.empty{font-size:16px;text-anchor:middle;fill:#7a8394}
.note{font-size:13px;fill:#7a8394;font-style:italic}
.meta{display:flex;gap:40px;flex-wrap:wrap}
footer{margin-top:28px;color:#7a8394;font-size:13px}
</style>
</head>
<body>
<main>
<h1>clickedge attribution latency</h1>
<p class="lead">How long one clickedge takes to answer a click, to accept a conversion, and to deliver the partner postback a conversion causes{{if .Host}}, measured on {{.Host}}{{end}}{{if .Time}} at {{.Time}}{{end}}. Latencies are in milliseconds.</p>
<div class="scroll"><table class="summary">
<tr><th>series</th><th class="what">measured</th><th class="n opt">count</th><th class="n">p50</th><th class="n opt">p90</th><th class="n">p99</th><th class="n">p99.9</th><th class="n">max</th></tr>
{{range .Series}}<tr><td><span class="swatch" style="background:{{.Color}}"></span>{{.Title}}</td><td class="what">{{.What}}</td><td class="n opt">{{.Count}}</td><td class="n">{{.P50}}</td><td class="n opt">{{.P90}}</td><td class="n">{{.P99}}</td><td class="n">{{.P999}}</td><td class="n">{{.Max}}</td></tr>
{{end}}</table></div>
{{range .Series}}
<section>
<h2>{{.Title}}: {{.What}}</h2>
<p class="what">{{if .Count}}{{.Count}} samples. p50 {{.P50}} ms, p99 {{.P99}} ms, max {{.Max}} ms.{{else}}No samples were recorded.{{end}}</p>
{{.Plot}}
</section>
{{end}}
<div class="meta">
<section id="settings">
<h2>Settings</h2>
<table>{{range .Settings}}<tr><th>{{.K}}</th><td>{{.V}}</td></tr>{{else}}<tr><td>none recorded</td></tr>{{end}}</table>
</section>
<section id="machine">
<h2>Machine</h2>
<table>{{range .Machine}}<tr><th>{{.K}}</th><td>{{.V}}</td></tr>{{end}}</table>
</section>
</div>
<footer>Percentile axis: 50% is the median; each step right adds a nine (90%, 99%, 99.9%…), so one request in a thousand is as visible as the typical one. Values are kept to three significant digits.</footer>
</main>
</body>
</html>
`))
