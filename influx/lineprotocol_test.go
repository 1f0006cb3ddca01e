package influx

import (
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

func TestAppendLine(t *testing.T) {
	ts := time.Unix(1736503200, 0)
	tests := []struct {
		name string
		in   telemetry.Point
		want string
	}{
		{
			name: "escapes demo names and tag values with spaces",
			in: telemetry.Point{
				Measurement: telemetry.MeasTunnelStats,
				Tags:        telemetry.TagsOf(map[string]string{"hostname": "HQ-EC-01", "appliance_id": "3.NE", "tunnel_id": "all traffic", "overlay": "underlay"}),
				Fields:      telemetry.FieldsOf(map[string]any{"Post_FEC_MOS_Score_(*100)": int64(440), "sdwan_tunnel": true, "non-TCP_flow_count": int64(3)}),
				Time:        ts,
			},
			want: "tunnel_stats,appliance_id=3.NE,hostname=HQ-EC-01,overlay=underlay,tunnel_id=all\\ traffic Post_FEC_MOS_Score_(*100)=440i,non-TCP_flow_count=3i,sdwan_tunnel=true 1736503200\n",
		},
		{
			name: "slash tag key, string and float fields, empty tag dropped",
			in: telemetry.Point{
				Measurement: telemetry.MeasDeploymentInfo,
				Tags:        telemetry.TagsOf(map[string]string{"lan/wan": "WAN", "interface_label": "", "appliance_id": "1.NE", "hostname": "h"}),
				Fields:      telemetry.FieldsOf(map[string]any{"filesystem": `a "q" b`, "x": 1.5}),
				Time:        ts,
			},
			want: "deployment_info,appliance_id=1.NE,hostname=h,lan/wan=WAN filesystem=\"a \\\"q\\\" b\",x=1.5 1736503200\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AppendLine(nil, tc.in)
			if err != nil {
				t.Fatalf("AppendLine: %v", err)
			}
			if string(got) != tc.want {
				t.Errorf("AppendLine =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestAppendLineRejectsBadPoints(t *testing.T) {
	for name, p := range map[string]telemetry.Point{
		"no fields":   {Measurement: "m", Time: time.Unix(1, 0)},
		"zero value":  {Measurement: "m", Fields: telemetry.Fields{{Key: "f"}}, Time: time.Unix(1, 0)},
		"key twice":   {Measurement: "m", Fields: telemetry.Fields{telemetry.IntField("f", 1), telemetry.IntField("f", 2)}, Time: time.Unix(1, 0)},
		"tag twice":   {Measurement: "m", Tags: telemetry.Tags{{Key: "t", Value: "a"}, {Key: "t", Value: "b"}}, Fields: telemetry.Fields{telemetry.IntField("f", 1)}, Time: time.Unix(1, 0)},
		"nan field":   {Measurement: "m", Fields: telemetry.FieldsOf(map[string]any{"f": nanValue()}), Time: time.Unix(1, 0)},
		"empty mname": {Measurement: "", Fields: telemetry.FieldsOf(map[string]any{"f": int64(1)}), Time: time.Unix(1, 0)},
	} {
		if _, err := AppendLine(nil, p); err == nil {
			t.Errorf("%s: AppendLine succeeded, want error", name)
		}
	}
}

func nanValue() float64 { z := 0.0; return z / z }
