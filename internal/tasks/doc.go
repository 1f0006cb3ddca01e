// Package tasks is the contract between discovery and the workers: the task
// type, its payload, how a task is built and how a payload is read back.
//
// A payload carries everything a worker needs to collect one appliance
// without asking the Orchestrator again: the address, the Orchestrator's view
// of the appliance for appliance_metadata, and the label and overlay maps for
// the minute statistics.
//
// The package does no I/O and never logs; its functions are safe for
// concurrent use.
package tasks
