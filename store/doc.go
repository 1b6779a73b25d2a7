// Package store keeps clickedge's records in an embedded Pebble LSM: clicks
// keyed by click_id with the secondary keys attribution needs, installs and
// conversion dedup keys, and the durable outbox that postbacks (and, later,
// replication) drain. It knows nothing of HTTP or partners.
//
// # Keyspace
//
// Every key starts with one byte naming its table:
//
//	'c' click_id                                   -> click record (clickcodec.go)
//	'x' bucket(4) click_id                          -> ""  expiry list, one per click
//	'd' bucket(4) app(4) kind(1) device(16) inv(4) click_id -> ""  latest click by device id
//	'f' bucket(4) app(4) ip(16) platform(1) os(2) inv(4) click_id -> "" latest click by IP + OS
//	'u' bucket(4) hash(8)                           -> user agent text (interned)
//	'b' bucket(4)                                   -> ""  the bucket exists
//	'i' install_id                                  -> install record
//	'e' event_id                                    -> conversion record
//	's' install_id                                  -> event_id of the install's signup
//	'o' queue(1) id(8)                              -> outbox payload
//	'q' queue(1) status(1) at(8) id(8)              -> ""  outbox index by status and time
//
// bucket is the unix second at which the click's retention bucket starts;
// inv is the click's unix second with its bits inverted, so a forward scan of
// a device prefix meets the newest click first. app is a hash of the app id,
// device a 16-byte form of an advertising id (the UUID's bytes when it is
// one, a hash otherwise), os the platform's major and minor version.
//
// # Retention
//
// Clicks live in time buckets a quarter of click_retention wide. When a whole
// bucket has aged out, its 'd', 'f', 'u' and 'x' keys go with one range
// deletion each, and its clicks' 'c' keys with point deletions written in
// large batches from the bucket's 'x' list, so no click record is read. Disk
// stays bounded at about 1.25x the retention's worth of clicks.
package store
