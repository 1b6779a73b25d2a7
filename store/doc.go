// Package store keeps clickedge's records in an embedded Pebble LSM: clicks
// keyed by click_id with the secondary keys attribution needs, installs and
// conversion dedup keys, and the durable outbox that postbacks, replication
// (replicate.go) and held conversions drain. It knows nothing of HTTP,
// partners or NATS.
//
// # Keyspace
//
// Every key starts with one byte naming its table:
//
//	'c' bucket(4) click_id                          -> click record (clickcodec.go)
//	'd' bucket(4) app(4) kind(1) device(16) inv(4) click_id -> ""  latest click by device id
//	'f' bucket(4) app(4) ip(16) platform(1) os(2) inv(4) click_id -> "" latest click by IP + OS
//	'u' bucket(4) hash(8)                           -> user agent text (interned)
//	'b' bucket(4)                                   -> width(4): the bucket exists
//	'i' install_id                                  -> install record
//	'e' event_id                                    -> conversion record
//	's' install_id                                  -> event_id of the install's signup
//	'q' queue(1) status(1) at(8) id(8)              -> outbox payload, by status and time
//	'q' queue(1) status(1) at(8) id(8) 's'          -> archive segment: the entries a batch archived at one time
//	'r' peer                                        -> sequence(8): the peer region's stream applied up to here
//	'r' peer 0 "stream"                             -> created(8): that stream's identity (unix ns)
//	'x' day(4) event_id                             -> "": the events recorded on a day (event_retention)
//	'n'                                             -> id(8): the highest id handed out (idfloor.go)
//
// The outbox's queues: 'p' postbacks (drained by dispatch), 'r' replication
// records (store/replication), 'h' held conversions (the tracker).
//
// bucket is the unix second at which the click's retention bucket starts;
// inv is the click's unix second with its bits inverted, so a forward scan of
// a device prefix meets the newest click first. app is a hash of the app id,
// device a 16-byte form of an advertising id (the UUID's bytes when it is
// one, a hash otherwise), os the platform's major and minor version. The
// hashes can collide, so a lookup checks each candidate click's own app and
// device id. kind is 'g', 'i' or 'o' (gaid, idfa, oaid) for clicks, and the
// same letter in upper case for impressions (FlagImpression, view-through),
// which are click records under "\xffimp:" ids (tracker.ImpressionIDPrefix;
// "imp:" before) with no 'f' key: a click lookup
// never reads past them.
//
// A click's record is keyed by its bucket too, so that a bucket's clicks
// are one key range. A lookup by click_id therefore tries each live bucket,
// newest first: a handful of bloom-filtered point reads. The click path's
// own check for an id already stored first asks an in-memory filter per
// bucket (idfilter.go), and clicks are written in groups, one batch each
// (clickcommit.go). An earlier layout
// keyed records by click_id alone and kept an expiry list ('x' bucket
// click_id) to find them by; that list was one more copy of every click_id
// (22 of 208 bytes a click on disk) and made expiry write a tombstone per
// click.
//
// An outbox entry is its 'q' key alone. An earlier layout also kept
// 'o' queue(1) id(8) -> status(1) at(8), a locator rewritten on every put and
// move for OutboxGet's sake; OutboxGet now scans the queue's index instead,
// and Open drops the locators an older store may hold. Entries
// that reach their last status (delivered postbacks) are archived: the ones
// one batch archives share a segment key, and scans unpack it
// (outbox_archive.go).
//
// # Retention
//
// Clicks live in time buckets a quarter of click_retention wide. When a whole
// bucket has aged out, its 'c', 'd', 'f' and 'u' keys go with one range
// deletion each, so expiry reads nothing and costs the same whatever the
// bucket holds. Disk stays bounded at about 1.25x the retention's worth of
// clicks.
package store
