package runner

import (
	"encoding/json"
	"testing"
)

// Schema 2: both records carry "reclaim", null on the Go side, and read back.
func TestSchema2ReclaimFieldsRoundTrip(t *testing.T) {
	start := runStartRecord{Type: "run_start", Schema: schemaVersion}
	iv := intervalRecord{Type: "interval", Index: 3}
	for _, rec := range []any{start, iv} {
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		v, ok := m["reclaim"]
		if !ok || v != nil {
			t.Errorf("%s: reclaim = %v (present %v), want null", b, v, ok)
		}
	}
	if schemaVersion != 2 {
		t.Errorf("schemaVersion = %d, want 2", schemaVersion)
	}
	b, _ := json.Marshal(start)
	var back runStartRecord
	if err := json.Unmarshal(b, &back); err != nil || back.Schema != 2 || back.Reclaim != nil {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}
