package bench

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/clickedge/clickedge/loadtest"
)

// The percentile axis counts nines: x = -log10(1 - q), so 0 is 0%, 1 is 90%,
// 2 is 99% … 5 is 99.999%. Each step right is ten times rarer, which is how
// latency is read: the median and the tail get equal room.
const maxNines = 5

var nineTicks = []struct {
	x     float64
	label string
}{
	{0, "0%"}, {math.Log10(2), "50%"}, {1, "90%"}, {2, "99%"}, {3, "99.9%"}, {4, "99.99%"}, {5, "99.999%"},
}

// layout is a plot's geometry in SVG user units. The SVG scales to its
// container, and its text with it: the wide layout, scaled down to a phone's
// 330 pixels, would print 13-unit labels at 4 pixels. So the page carries
// each plot twice and CSS shows the one that fits (report_html.go): the
// narrow one is drawn for 290–560 pixels (a 320-pixel phone's page, to a
// column's width), where its text prints at 10 pixels or more, as the wide one's does from 740 pixels (TestReportInBrowser
// measures both in a real browser at the widths of phones, a tablet and a
// laptop).
type layout struct {
	class                  string // "wide" or "narrow", for the page's CSS
	w, h                   float64
	padL, padR, padT, padB float64
	xTitle                 string
	// yTitleTop writes the y axis title across the top left rather than
	// up the left side, where it would need the width of the tick labels
	// again.
	yTitleTop bool
	// maxInside puts the max label inside the frame, under the curve's
	// flat end, when there is no room for it on the right.
	maxInside bool
	// tickFrom is the first x tick that is labelled: on the narrow plot "0%"
	// and "50%" would overprint, and the p50 marker names the median anyway.
	tickFrom int
}

var (
	wideLayout = layout{
		class: "wide", w: 960, h: 340, padL: 78, padR: 110, padT: 20, padB: 58,
		xTitle: "percentile (log scale: each step right adds a nine)",
	}
	narrowLayout = layout{
		class: "narrow", w: 372, h: 310, padL: 50, padR: 34, padT: 30, padB: 52,
		xTitle: "percentile (log scale)", yTitleTop: true, maxInside: true, tickFrom: 2,
	}
)

func (l layout) innerW() float64 { return l.w - l.padL - l.padR }
func (l layout) innerH() float64 { return l.h - l.padT - l.padB }

const (
	curveSamples = 250
	markerRadius = 4.5
)

type point struct{ x, y float64 } // nines, milliseconds

// curve samples the series' percentile curve, a step line as a histogram
// is; without a histogram it joins the summary percentiles with straight
// lines (stepped false), which is all that is known.
func curve(s Series) (pts []point, stepped bool) {
	if s.Hist != nil && s.Hist.Count() > 0 {
		pts := make([]point, 0, curveSamples+1)
		for k := 0; k <= curveSamples; k++ {
			x := maxNines * float64(k) / curveSamples
			pts = append(pts, point{x, s.Hist.ValueAt(100 * (1 - math.Pow(10, -x)))})
		}
		return pts, true
	}
	p := s.Latency
	return []point{{math.Log10(2), p.P50}, {1, p.P90}, {2, p.P99}, {3, p.P999}}, false
}

// niceStep rounds a tick step up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*mag*1.0000001 {
			return m * mag
		}
	}
	return 10 * mag
}

// plotSVG draws one series' latency against percentile in layout l, with
// p50, p90, p99 and p99.9 marked and labelled.
func plotSVG(si seriesInfo, color string, l layout) string {
	var b strings.Builder
	padL, padT, innerW, innerH := l.padL, l.padT, l.innerW(), l.innerH()
	title := fmt.Sprintf("%s latency by percentile: %s", si.title, si.what)
	fmt.Fprintf(&b, `<svg class="plot %s" viewBox="0 0 %g %g" role="img" aria-label="%s">`, l.class, l.w, l.h, html.EscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	if si.s.Count == 0 {
		fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" class="frame"/>`, padL, padT, innerW, innerH)
		fmt.Fprintf(&b, `<text x="%g" y="%g" class="empty">no samples</text></svg>`, padL+innerW/2, padT+innerH/2)
		return b.String()
	}
	pts, stepped := curve(si.s)
	top := si.s.Latency.P999
	for _, p := range pts {
		top = max(top, p.y)
	}
	step := niceStep(top * 1.08 / 5)
	ymax := step * math.Ceil(top*1.08/step)
	X := func(n float64) float64 { return padL + n/maxNines*innerW }
	Y := func(ms float64) float64 { return padT + innerH - ms/ymax*innerH }

	// Grid, ticks and axis labels.
	for v := 0.0; v <= ymax*1.0000001; v += step {
		y := Y(v)
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" class="grid"/>`, padL, padL+innerW, y, y)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" class="ytick">%s</text>`, padL-8, y+4, tickMS(v, step))
	}
	for k, t := range nineTicks {
		x := X(t.x)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" class="grid"/>`, x, x, padT, padT+innerH)
		if k < l.tickFrom {
			continue
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" class="xtick">%s</text>`, x, padT+innerH+18, t.label)
	}
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" class="frame"/>`, padL, padT, innerW, innerH)
	fmt.Fprintf(&b, `<text x="%g" y="%g" class="axis">%s</text>`, padL+innerW/2, l.h-10, l.xTitle)
	if l.yTitleTop {
		fmt.Fprintf(&b, `<text x="4" y="%g" class="axis" style="text-anchor:start">latency (ms)</text>`, padT-14)
	} else {
		fmt.Fprintf(&b, `<text transform="translate(18 %g) rotate(-90)" class="axis">latency (ms)</text>`, padT+innerH/2)
	}

	// The curve: a step line, since a histogram's value holds until the
	// next bucket.
	b.WriteString(`<path class="curve" style="stroke:` + color + `" d="`)
	for k, p := range pts {
		switch {
		case k == 0:
			fmt.Fprintf(&b, "M%.1f %.1f", X(p.x), Y(p.y))
		case stepped:
			fmt.Fprintf(&b, " H%.1f V%.1f", X(p.x), Y(p.y))
		default:
			fmt.Fprintf(&b, " L%.1f %.1f", X(p.x), Y(p.y))
		}
	}
	b.WriteString(`"/>`)
	// Labels must not sit on the markers, the curve or each other.
	var taken []box
	if !stepped {
		// Bottom right, where a curve that ends at p99.9 never goes.
		const note = "summary only: no histogram recorded"
		x, y := padL+innerW-8, padT+innerH-10
		fmt.Fprintf(&b, `<text x="%g" y="%g" class="note" text-anchor="end">%s</text>`, x, y, note)
		taken = append(taken, box{x - float64(len(note))*labelCharW, y - labelH + 3, x, y + 3})
	}

	// Max, to the right of the curve's end, or inside the frame under it.
	mx := si.s.Latency.Max
	maxText := "max " + loadtest.FormatMS(mx) + " ms"
	if l.maxInside {
		x, y := padL+innerW-6, min(Y(min(mx, ymax))+18, padT+innerH-6)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="maxlbl" text-anchor="end">%s</text>`, x, y, maxText)
		taken = append(taken, box{x - float64(len(maxText))*labelCharW, y - labelH + 3, x, y + 3})
	} else {
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" class="maxlbl">%s</text>`, padL+innerW+8, max(Y(min(mx, ymax)), padT+10)+4, maxText)
	}

	p := si.s.Latency
	marks := []struct {
		name string
		x, v float64
	}{{"p50", math.Log10(2), p.P50}, {"p90", 1, p.P90}, {"p99", 2, p.P99}, {"p99.9", 3, p.P999}}
	for k := 1; k < len(pts); k++ {
		x0, x1, y0, y1 := X(pts[k-1].x), X(pts[k].x), Y(pts[k-1].y), Y(pts[k].y)
		if stepped {
			taken = append(taken, box{x0, y0 - 1.5, x1, y0 + 1.5}, box{x1 - 1.5, min(y0, y1), x1 + 1.5, max(y0, y1)})
			continue
		}
		for f := 0.0; f < 1; f += 0.05 { // a straight segment, as small boxes along it
			x, y := x0+f*(x1-x0), y0+f*(y1-y0)
			taken = append(taken, box{x - 3, y - 3, x + 3, y + 3})
		}
	}
	for _, m := range marks {
		x, y := X(m.x), Y(m.v)
		taken = append(taken, box{x - markerRadius, y - markerRadius, x + markerRadius, y + markerRadius})
	}
	for _, m := range marks {
		x, y := X(m.x), Y(m.v)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%g" style="fill:%s" class="mark"/>`, x, y, markerRadius, color)
		text := fmt.Sprintf("%s %s ms", m.name, loadtest.FormatMS(m.v))
		lx, ly, anchor := placeLabel(l, x, y, float64(len(text))*labelCharW, &taken)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="lbl" text-anchor="%s"><tspan class="pn">%s</tspan> %s ms</text>`,
			lx, ly, anchor, m.name, loadtest.FormatMS(m.v))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// labelCharW and labelH are a label's rough size in user units, enough to
// keep labels from overprinting each other.
const labelCharW, labelH = 7.6, 15.0

type box struct{ x0, y0, x1, y1 float64 }

func (a box) overlaps(b box) bool { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 }

// placeLabel finds a spot for a w-wide label near the point (x, y): above
// and to the left first, which stays clear of a curve rising to the right,
// then other sides, then higher up, then further along. It returns the
// text's baseline origin and anchor and records the box it takes. When no
// spot is free (a narrow plot, a marker in a corner) the label goes above
// and to the left, moved inside the frame: over the curve, which its white
// halo keeps readable, rather than cut off at the plot's edge.
func placeLabel(l layout, x, y, w float64, taken *[]box) (lx, ly float64, anchor string) {
	const gap = 7
	x0, x1 := l.padL+2, l.padL+l.innerW()-2
	y0, y1 := l.padT+2, l.padT+l.innerH()-2
	inside := func(bx box) bool { return bx.x0 >= x0 && bx.x1 <= x1 && bx.y0 >= y0 && bx.y1 <= y1 }
	free := func(bx box) bool {
		for _, t := range *taken {
			if bx.overlaps(t) {
				return false
			}
		}
		return true
	}
	for _, shift := range []float64{0, w / 2, w} {
		for lift := 0.0; lift <= 4*labelH; lift += labelH {
			for _, c := range []struct {
				left  bool
				above bool
			}{{true, true}, {false, true}, {false, false}, {true, false}} {
				bx := box{x + gap + shift, 0, x + gap + shift + w, 0}
				if c.left {
					bx.x0, bx.x1 = x-gap-shift-w, x-gap-shift
				}
				if c.above {
					bx.y0, bx.y1 = y-gap-labelH-lift, y-gap-lift
				} else {
					bx.y0, bx.y1 = y+gap+lift, y+gap+labelH+lift
				}
				if inside(bx) && free(bx) {
					*taken = append(*taken, bx)
					return labelOrigin(bx, c.left)
				}
			}
		}
	}
	fb := box{x - gap - w, y - gap - labelH, x - gap, y - gap}
	if fb.x0 < x0 {
		fb.x0, fb.x1 = x0, x0+w
	}
	if fb.y0 < y0 {
		fb.y0, fb.y1 = y0, y0+labelH
	}
	*taken = append(*taken, fb)
	return labelOrigin(fb, false)
}

func labelOrigin(bx box, left bool) (float64, float64, string) {
	if left {
		return bx.x1, bx.y1 - 3, "end"
	}
	return bx.x0, bx.y1 - 3, "start"
}

// tickMS labels an axis tick with no more decimals than the step needs.
func tickMS(v, step float64) string {
	d := 0
	for s := step; s < 1 && d < 4; s *= 10 {
		d++
	}
	if step*math.Pow(10, float64(d)) != math.Trunc(step*math.Pow(10, float64(d))) {
		d++
	}
	return fmt.Sprintf("%.*f", d, v)
}
