// Package simhttp holds the HTTP plumbing the provider simulators (oktasim, githubsim, entrasim, ddsim) share:
// the loopback listener (Listener), fault bookkeeping (Faults, RouteMatches), request counters (Recorder) and the
// JWT helpers of their token endpoints (DecodeSegment, AudienceIs). What a provider answers (error bodies,
// headers, which fault fields exist) stays in the simulator's own package.
package simhttp
