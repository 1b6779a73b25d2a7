// Package tracker serves the public listener: it parses tracking-link clicks
// and server-to-server conversions, applies the attribution rules, and hands
// records to the store.
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
//   - AppendLocation builds the 302 target, with the Google Play referrer.
package tracker
