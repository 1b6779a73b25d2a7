// Package dispatch renders partner postback templates and delivers them
// durably from the store's outbox.
//
// Rendering (macro.go, values.go, template.go, encode.go) follows CONTRACT §5:
//
//   - A macro is {name} with name in [a-z0-9_]+. Canonical names, aliases
//     (tid, event, sale_amount, amount, s2..s4) and extensions (timestamp,
//     aff_id, pub_id, offer_id, creative_id, click_time, match_type) are
//     recognised; every other byte of a template, unknown {…} included, is
//     copied byte for byte.
//   - A template is parsed once (CompileTemplate) into literal and macro
//     segments, each macro resolved to a small integer, so rendering is a loop
//     that appends into the caller's (pooled) buffer and allocates nothing.
//   - URL rendering percent-encodes every value byte outside A-Za-z0-9-._~
//     with upper-case hex, in path and query alike; JSON rendering escapes
//     values as the inside of a JSON string. Values are never expanded again.
//
// Delivery — the scheduler over the store's outbox, one sender per partner,
// the recorder — is described at the top of dispatcher.go; policy.go holds
// the status, backoff and Retry-After policy. Delivery safety lives in
// signature.go (X-Clickedge-Signature), target.go (refusing loopback,
// private and link-local targets, checked on every resolved address at dial
// time) and mask.go (secrets out of logs).
//
// We do not use valyala/fasttemplate directly: its tags are "anything between
// the delimiters", while partners paste templates full of foreign placeholders
// ({CLICK_ID}, ${ (x)!}, {{…}}) that must survive untouched, and a tag that is
// not one of our macros must stay literal rather than call a resolver.
package dispatch
