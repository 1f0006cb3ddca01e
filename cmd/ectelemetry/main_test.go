package main

import (
	"os"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/logging"
)

// TestMain sets the process-wide log settings main sets, so that the
// commands log here as they do in production.
func TestMain(m *testing.M) {
	logging.UseIntegerMilliseconds()
	os.Exit(m.Run())
}
