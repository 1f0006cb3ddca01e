// Package influx turns telemetry points into InfluxDB line protocol and
// writes them to InfluxDB through the /api/v2/write endpoint (InfluxDB 1.8,
// 2.x and 3 all serve it) with the blocking client, so every write error
// reaches the caller and nothing is buffered out of sight.
//
// The package never logs. Encoder functions are pure; a Writer is safe for
// concurrent use.
package influx
