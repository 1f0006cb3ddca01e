package edgeconnect

import (
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
	"github.com/ec-telemetry/ec-telemetry/internal/restapi"
)

// unmarshal decodes one JSON document; trailing data is an error. Type
// errors name the JSON key path instead of Go types.
func unmarshal(b []byte, v any) error { return restapi.Unmarshal(b, v) }

// millis converts epoch milliseconds to a UTC time; 0 or missing is the zero
// time.
func millis(v apijson.Int) time.Time {
	if !v.Valid || v.Value == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v.Value).UTC()
}
