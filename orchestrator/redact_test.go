package orchestrator

import (
	"errors"
	"strings"
	"testing"
)

// TestApplianceListExcerptHidesCredentials: an appliance list that fails
// to decode carries device credentials; the error's excerpt shows none of
// them, whatever the case of the key, and still shows the rest.
func TestApplianceListExcerptHidesCredentials(t *testing.T) {
	f := setup(t)
	body := `[{"id":"3.NE","hostName":"HQ-EC-01","userName":"admin","password":"DevPw-LEAK1",` +
		`"snmp":{"Community":"LEAK2","authKey":"LEAK3"},"apiKey":"LEAK4","PSK":"LEAK5","state":"broken"}]`
	f.handleJSON("/appliance", body)
	_, err := f.client.Appliances(t.Context())
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("Appliances() error = %v, want a *DecodeError", err)
	}
	if strings.Contains(err.Error(), "LEAK") {
		t.Errorf("error %q shows a credential", err)
	}
	if !strings.Contains(de.Excerpt, "[redacted]") || !strings.Contains(de.Excerpt, `"state":"broken"`) {
		t.Errorf("excerpt %q, want the credentials redacted and the rest shown", de.Excerpt)
	}
}
