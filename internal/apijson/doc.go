// Package apijson holds the lenient JSON scalar types shared by the
// orchestrator and edgeconnect clients.
//
// The Orchestrator and ECOS are loosely typed: the same key arrives as 5 or
// "5" depending on the firmware, the endpoint or the fake serving it. Int,
// Float, Bool and String accept both forms and remember whether a value was
// present (Valid is false for a missing key or null, and for "" except in
// String). Their errors name the key and the JSON kind but never echo the
// value. Checker collects the names of required keys that were missing, so a
// decoder fails loudly instead of turning a missing key into a zero that
// looks like data.
//
// The package does no I/O and never logs. All types are plain values, safe
// for concurrent use once decoded.
package apijson
