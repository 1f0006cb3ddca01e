// Package telemetry defines the InfluxDB schema that ec-telemetry writes:
// every measurement, tag key and field key as a constant, the field types,
// and the Point type that travels from the parsers and the worker to the
// writer.
//
// The names of the Python "EdgeConnect Telemetry API Demo" are kept exactly,
// including case and the characters `-`, `/`, `(`, `)` and `*`, so that
// existing dashboards and queries keep working. Measurements and fields that
// the demo did not have are marked New in the Schema table.
//
// Every tag key declares what bounds its values in TagBounds (fixed, fleet,
// configuration or user-defined); a tag key without a bound fails a test, so
// unbounded values (ids, timestamps, free text) stay fields.
//
// The package is a leaf: it imports only the standard library. Its values are
// immutable after init and safe for concurrent use.
package telemetry
