package main

import (
	"strings"
	"testing"
)

// TestDiscoverRefusesThePlaceholderOrchestrator: discovery started with
// example.env as it is (outside the demo profile) stops at once and says
// what to set, instead of trying to reach a host named "changeme-…".
func TestDiscoverRefusesThePlaceholderOrchestrator(t *testing.T) {
	for k, v := range map[string]string{
		"ORCH_URL": "changeme-orchestrator", "ORCH_API_KEY": "changeme-orch-api-key",
		"DB_URL": "http://127.0.0.1:1", "REDIS_ADDR": "127.0.0.1:1", "METRICS_ADDR": "127.0.0.1:0",
		"LIMIT_FILE": t.TempDir() + "/limit_appliances.json", "COLLECT_ALL": "true",
	} {
		t.Setenv(k, v)
	}
	_, _, err := runCmd(t, "discover")
	if err == nil || !strings.Contains(err.Error(), `ORCH_URL "changeme-orchestrator" is example.env's placeholder`) {
		t.Fatalf("discover with the placeholder ORCH_URL = %v, want the placeholder refused", err)
	}
	if strings.Contains(err.Error(), "changeme-orch-api-key") {
		t.Errorf("the error shows the API key: %v", err)
	}
}
