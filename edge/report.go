package edge

import (
	"cmp"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/tracker"
)

// The campaign report (an extension of CONTRACT §6):
//
//	GET /admin/v1/report?from=&to=
//
// sums the installs and conversions whose time is in [from, to) (as the
// export reads them, by default the last 24 hours) per campaign: installs,
// how many were attributed and by which rule, signups, in-app events and
// revenue per currency, summed exactly and written with at least two
// decimals. Organic installs, and the events of installs that are, make
// the row of campaign "". It is what a marketer reconciles a partner's
// invoice with. It reads the install and event tables whole, as the
// export does.

// reportRow is one campaign's figures.
type reportRow struct {
	Campaign   string            `json:"campaign"`
	Partner    string            `json:"partner"`
	Installs   int               `json:"installs"`
	Attributed int               `json:"attributed"`
	ByMatch    map[string]int    `json:"by_match"`
	Signups    int               `json:"signups"`
	Events     int               `json:"events"`
	Revenue    map[string]string `json:"revenue"`

	sums     map[string]*big.Rat // revenue per currency
	decimals map[string]int      // the most fraction digits seen per currency
}

func (e *Edge) adminReport(ctx *fasthttp.RequestCtx) {
	bad := func(msg string) { writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": msg}) }
	if !knownParams(ctx, "from", "to") { // no filters: it has a row per campaign
		return
	}
	args := ctx.QueryArgs()
	from, to, msg := parseRange(args, time.Now())
	if msg != "" {
		bad(msg)
		return
	}
	// A row per campaign and partner: a campaign a reload moved to another
	// partner has its installs under the partner each was credited to
	// (and posted to), not all under whichever the scan met first
	// (TestReportCampaignMovedBetweenPartners).
	type rowKey struct{ campaign, partner string }
	rows := map[rowKey]*reportRow{}
	row := func(campaign, partner string) *reportRow {
		r := rows[rowKey{campaign, partner}]
		if r == nil {
			r = &reportRow{Campaign: campaign, Partner: partner, ByMatch: map[string]int{}, Revenue: map[string]string{},
				sums: map[string]*big.Rat{}, decimals: map[string]int{}}
			rows[rowKey{campaign, partner}] = r
		}
		return r
	}
	// partners: the partner of each attributed install met, for its
	// events (an event stores its install's campaign only); one from
	// before the range is read once.
	partners := map[string]string{}
	partnerOf := func(ev *store.Event) string {
		if ev.Campaign == "" {
			return ""
		}
		p, ok := partners[ev.InstallID]
		if !ok {
			if in, err := e.st.GetInstall(ev.InstallID); err == nil && in != nil {
				p = in.Partner
			}
			partners[ev.InstallID] = p
		}
		return p
	}
	err := e.st.ExportInstalls(from, to, func(in *store.Install) bool {
		r := row(in.Campaign, in.Partner)
		if in.Campaign != "" {
			partners[in.InstallID] = in.Partner
		}
		r.Installs++
		if in.Attributed() {
			r.Attributed++
		}
		r.ByMatch[in.Match.String()]++
		return true
	})
	if err == nil {
		err = e.st.ExportEvents(from, to, func(ev *store.Event) bool {
			if ev.Postback == "duplicate" {
				// Stored only by a hold that a peer region decided
				// meanwhile (a signup sent to both): the peer's record,
				// applied here too, is the one counted, as it is there.
				return true
			}
			r := row(ev.Campaign, partnerOf(ev))
			switch tracker.ConversionType(ev.Kind) {
			case tracker.ConversionSignup:
				r.Signups++
			case tracker.ConversionEvent:
				r.Events++
			}
			if ev.Revenue != "" && ev.Currency != "" {
				r.addRevenue(ev.Currency, ev.Revenue)
			}
			return true
		})
	}
	if err != nil {
		writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	out := make([]*reportRow, 0, len(rows))
	for _, r := range rows {
		for cur, sum := range r.sums {
			r.Revenue[cur] = sum.FloatString(max(r.decimals[cur], 2))
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *reportRow) int {
		return cmp.Or(strings.Compare(a.Campaign, b.Campaign), strings.Compare(a.Partner, b.Partner))
	})
	writeJSON(ctx, fasthttp.StatusOK, map[string]any{
		"from": time.Unix(from, 0).UTC().Format(time.RFC3339),
		"to":   time.Unix(to, 0).UTC().Format(time.RFC3339),
		"rows": out,
	})
}

// addRevenue adds amount (a stored revenue: a plain decimal) in currency.
func (r *reportRow) addRevenue(currency, amount string) {
	v, ok := new(big.Rat).SetString(amount)
	if !ok {
		return // stored revenue was validated as a plain decimal
	}
	if _, frac, found := strings.Cut(amount, "."); found {
		r.decimals[currency] = max(r.decimals[currency], len(frac))
	}
	if sum := r.sums[currency]; sum != nil {
		sum.Add(sum, v)
	} else {
		r.sums[currency] = v
	}
}
