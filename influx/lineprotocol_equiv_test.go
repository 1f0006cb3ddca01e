package influx

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// checkSameAsLib fails when the LineEncoder and the line-protocol library's
// encoder give different bytes or errors for p, appended after prefix.
func checkSameAsLib(t *testing.T, e *LineEncoder, prefix string, p telemetry.Point) {
	t.Helper()
	var order []int32
	want, wantErr := appendLineLib([]byte(prefix), p, &order)
	got, gotErr := e.AppendLine([]byte(prefix), p)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || string(got) != string(want) {
		t.Fatalf("AppendLine(%#v) =\n%q, %v\nwant (library encoder)\n%q, %v", p, got, gotErr, want, wantErr)
	}
}

// TestLineEncoderMatchesLibraryRandom compares the encoder with the
// line-protocol library's over random points: schema and unknown
// measurements and keys, keys and values needing escapes, empty and
// invalid tag values, every field type, NaN and infinities, keys given
// twice, invalid UTF-8, zero and out-of-range times.
func TestLineEncoderMatchesLibraryRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	odd := []string{"", "a b", "a,b", "a=b", `a\`, `a\b`, "a\x00b", "a\nb", "\xff\xfe", "é ü", `q"uote`, "t\tab", "#x", "x\x7f"}
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	name := func(known []string) string {
		switch n := r.IntN(10); {
		case n < 7 && len(known) > 0:
			return pick(known)
		case n < 9:
			return fmt.Sprintf("extra_%d", r.IntN(5))
		default:
			return pick(odd)
		}
	}
	value := func() any {
		switch r.IntN(16) {
		case 0:
			return math.NaN()
		case 1:
			return math.Inf(1 - 2*r.IntN(2))
		case 2:
			return int64(math.MinInt64)
		case 3:
			return int64(math.MaxInt64)
		case 4:
			return pick(odd)
		case 5:
			return r.IntN(2) == 1
		case 6:
			return math.Copysign(0, -1)
		case 7, 8:
			return r.NormFloat64() * math.Pow(10, float64(r.IntN(60)-30))
		case 9:
			return fmt.Sprintf("text %d", r.IntN(100))
		default:
			return r.Int64() >> r.IntN(64)
		}
	}
	times := []time.Time{{}, time.Unix(1736503200, 0), time.Unix(1736503200, 999_999_999), time.Unix(-5, 5),
		time.Unix(0, math.MaxInt64), time.Unix(0, math.MinInt64), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)}
	var e LineEncoder
	for i := range 20000 {
		spec := telemetry.Schema[r.IntN(len(telemetry.Schema))]
		meas := spec.Name
		if r.IntN(20) == 0 {
			meas = name(nil)
		}
		tagKeys := append(append([]string{}, spec.IdentityTags()...), spec.Tags...)
		var fieldKeys []string
		for _, f := range spec.Fields {
			fieldKeys = append(fieldKeys, f.Name)
		}
		p := telemetry.Point{Measurement: meas, Tags: telemetry.TagsOf(map[string]string{}), Fields: telemetry.FieldsOf(map[string]any{}), Time: pick2(r, times)}
		for range r.IntN(len(tagKeys) + 2) {
			v := fmt.Sprintf("v%d", r.IntN(9))
			if r.IntN(4) == 0 {
				v = pick(odd)
			}
			p.Tags.Set(name(tagKeys), v)
		}
		for range r.IntN(len(fieldKeys) + 2) {
			k := name(fieldKeys)
			if f, ok := spec.Field(k); ok && r.IntN(8) != 0 {
				p.Fields.Set(k, typed(r, f.Type))
				continue
			}
			p.Fields.Set(k, value())
		}
		if r.IntN(10) == 0 {
			p.Tags = nil
		}
		checkSameAsLib(t, &e, []string{"", "prev line\n"}[i%2], p)
	}
}

func pick2(r *rand.Rand, ts []time.Time) time.Time {
	if r.IntN(4) != 0 {
		return ts[1]
	}
	return ts[r.IntN(len(ts))]
}

// typed returns a random value of the field type.
func typed(r *rand.Rand, ft telemetry.FieldType) any {
	switch ft {
	case telemetry.Float:
		return r.Float64() * 1000
	case telemetry.Boolean:
		return r.IntN(2) == 1
	case telemetry.String:
		return fmt.Sprintf(`s "%d" \ x`, r.IntN(50))
	}
	return r.Int64N(1 << 40)
}

// TestLineEncoderMatchesLibrarySimulated compares the encoder with the
// line-protocol library's over every point the simulator expects from a
// fleet's minute archives, one batch per appliance, and Encode with the
// library's version of it.
func TestLineEncoderMatchesLibrarySimulated(t *testing.T) {
	now := time.Date(2026, 3, 25, 14, 6, 30, 0, time.UTC)
	s, err := simulator.New(simulator.Config{Appliances: 20, Seed: 7, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range s.Appliances() {
		pts, err := s.ExpectedMinutePoints(a.ID, 1774447560)
		if err != nil {
			t.Fatal(err)
		}
		var e LineEncoder
		for _, p := range pts {
			checkSameAsLib(t, &e, "", p)
		}
		got, gotErr := Encode(pts)
		want, wantErr := encodeLib(pts)
		if string(got) != string(want) || gotErr != nil || wantErr != nil {
			t.Fatalf("%s: Encode = %d bytes, %v; want %d bytes, %v (library encoder)", a.ID, len(got), gotErr, len(want), wantErr)
		}
		n += len(pts)
	}
	if n < 1000 {
		t.Fatalf("compared %d points, want at least 1000", n)
	}
}

// TestEncodeErrorsAsLibrary checks that Encode reports a bad point as the
// library's encoder does, with the point's number in the batch.
func TestEncodeErrorsAsLibrary(t *testing.T) {
	good := telemetry.Point{Measurement: telemetry.MeasBoostStats, Tags: telemetry.TagsOf(map[string]string{"appliance_id": "1.NE"}),
		Fields: telemetry.FieldsOf(map[string]any{telemetry.FieldBoostBytes: int64(1)}), Time: time.Unix(1736503200, 0)}
	bad := good
	bad.Tags = telemetry.TagsOf(map[string]string{"bad key\n": "x"})
	got, err := Encode([]telemetry.Point{good, good, bad})
	want := `encode boost_stats: encoding point 2: invalid tag key "bad key\n"`
	if got != nil || fmt.Sprint(err) != want {
		t.Errorf("Encode = %q, %v, want nil, %s", got, err, want)
	}
}

// FuzzLineEncoder compares the encoder with the library's encoder on
// points made of fuzzed names and values.
func FuzzLineEncoder(f *testing.F) {
	f.Add("tunnel_stats", "tunnel_id", "all traffic", "bytes_wan_tx", int64(3), 1.5, `a "q" b`, int64(1736503200))
	f.Add("m,x y", "k=v", "v\\", "f ,=", int64(-1), math.Inf(1), "\xff", int64(-1))
	f.Fuzz(func(t *testing.T, meas, tagKey, tagVal, fieldKey string, i int64, fl float64, s string, sec int64) {
		p := telemetry.Point{
			Measurement: meas,
			Tags:        telemetry.TagsOf(map[string]string{telemetry.TagApplianceID: "1.NE", tagKey: tagVal}),
			Fields:      telemetry.FieldsOf(map[string]any{fieldKey: i, fieldKey + "_f": fl, fieldKey + "_s": s, "zz": true}),
			Time:        time.Unix(sec, 0),
		}
		var e LineEncoder
		checkSameAsLib(t, &e, "", p)
	})
}
