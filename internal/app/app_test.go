package app

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestAsynqLoggerDemotesRevokedTasks(t *testing.T) {
	var out bytes.Buffer
	l := asynqLogger{zerolog.New(&out).Level(zerolog.InfoLevel)}
	l.Warn("revoke task id=poll:15.NE")
	l.Warn("Dequeue error: ", "connection refused")
	got := strings.TrimSpace(out.String())
	if strings.Contains(got, "revoke task") || !strings.Contains(got, `"level":"warn","message":"Dequeue error: connection refused"`) {
		t.Errorf("asynq warnings = %s; want only the dequeue error at warn level", got)
	}
}
