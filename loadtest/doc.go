// Package loadtest drives an open-loop, fixed-arrival-rate mix of clicks and
// conversions against one clickedge and reports latency from each request's
// intended start.
//
// Why open loop. The obvious load generator is N connections that each send a
// request, wait for its answer and send the next. When the server stalls for
// a second those clients stall with it: they send nothing during the stall,
// only the one request in flight per connection looks slow, and p99 stays
// flattering while real users, who keep clicking whether or not the server is
// slow, wait. That is coordinated omission (wrk2's README tells the story).
//
// Here request i is due at start + i/rate, fixed before the run begins. Up to
// Options.Conns workers claim slots in order; a worker that claims a slot
// whose time has already passed sends at once, and the latency recorded is
// completion minus the slot's due time, never minus the moment it was really
// sent. A slow server therefore shows up as latency of every request queued
// behind it, and the schedule itself never slows down to suit the server.
//
// Only Options.Target's host is ever contacted: a single fasthttp.HostClient
// is pinned to its address and redirects are never followed.
package loadtest
