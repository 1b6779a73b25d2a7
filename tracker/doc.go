// Package tracker serves the public listener: it parses tracking-link clicks,
// server-to-server clicks, impressions and conversions, applies the
// attribution rules, and hands records to the store.
//
// The click path allocates nothing once warm:
//
//   - ClickInput.Parse reads every parameter and alias of a click from
//     fasthttp's decoded query args into a store.Click whose values live in an
//     arena owned by the pooled ClickInput.
//   - AppendSanitized cuts a value to store.MaxValueLen at a UTF-8 boundary,
//     replaces invalid UTF-8 and notices unexpanded ad-network macros.
//   - ParseUserAgent reads the platform and OS version; IsBot spots
//     link-preview bots and crawlers.
//   - ClientIP believes a forwarding header only from trusted proxies.
//   - ClickIDGen makes sortable, region-prefixed click ids.
//   - AppendLocation builds the 302 target, with the Google Play referrer;
//     AppendAppURL fills an app URL's redirect macros, and RedirectAllowed
//     judges a link's own redirect= against the app's redirect_hosts.
//
// Impressions (GET /v1/impression, impression.go) take the same path, so
// they too allocate nothing.
package tracker
