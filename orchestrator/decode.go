package orchestrator

import "github.com/ec-telemetry/ec-telemetry/internal/restapi"

// unmarshal decodes one JSON document; trailing data is an error. Type
// errors name the JSON key path instead of Go types.
func unmarshal(b []byte, v any) error { return restapi.Unmarshal(b, v) }
