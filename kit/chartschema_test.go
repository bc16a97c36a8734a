//go:build unix

package kit_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"prenv.dev/prenv/kit"
)

// TestChartSchemaRefs: a chart's values.schema.json may refer only within
// itself. A $ref to a URL is not fetched (the server sees no request), a
// file:// or relative $ref (which Helm reads from the root of the file
// system) is not read and its content never shows, a $schema of an
// unknown meta-schema is not fetched; each fails with the chart and the
// reference named. References within the schema ($defs, an $id it
// defines) validate as Helm validates them.
func TestChartSchemaRefs(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_, _ = w.Write([]byte(`{"type": "object"}`))
	}))
	defer srv.Close()
	secret := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secret, []byte(`{"type": "object", "description": "TOP-SECRET-CONTENT"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	const tail = ": a chart's schema may refer only within itself ($ref \"#/...\", or to a $id it defines); prenv fetches no URL and reads no file outside the chart"
	tests := map[string]struct {
		schema string
		want   string // the error, "" when the chart renders
	}{
		"http ref": {`{"properties": {"a": {"$ref": "` + srv.URL + `/s.json"}}}`,
			"chart web: values.schema.json of chart web refers to " + srv.URL + "/s.json" + tail},
		"file ref outside": {`{"properties": {"a": {"$ref": "file://` + secret + `"}}}`,
			"chart web: values.schema.json of chart web refers to file://" + secret + tail},
		"relative ref": {`{"properties": {"a": {"$ref": "other.json"}}}`,
			"chart web: values.schema.json of chart web refers to file:///other.json" + tail},
		"unknown meta-schema": {`{"$schema": "` + srv.URL + `/meta", "type": "object"}`,
			"chart web: values.schema.json of chart web refers to " + srv.URL + "/meta" + tail},
		"urn ref": {`{"properties": {"a": {"$ref": "urn:example:s"}}}`,
			"chart web: values.schema.json of chart web refers to urn:example:s" + tail},
		"local defs": {`{"$defs": {"s": {"type": "string"}}, "properties": {"replicas": {"$ref": "#/$defs/s"}}}`,
			"chart web: values don't meet the specifications of the schema(s) in the following chart(s):\nweb:\n- at '/replicas': got number, want string\n"},
		"local defs pass": {`{"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {"n": {"type": "integer"}}, "properties": {"replicas": {"$ref": "#/$defs/n"}}}`, ""},
		"own id":          {`{"$id": "http://example.invalid/root.json", "$defs": {"n": {"$id": "n.json", "type": "integer"}}, "properties": {"replicas": {"$ref": "n.json"}}}`, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := newChart(t, map[string]string{"values.schema.json": tc.schema, "values.yaml": "replicas: 2\n"})
			_, err := renderChart(t, kit.ChartOptions{Dir: dir})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("want the chart to render, got %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "TOP-SECRET") {
				t.Fatalf("the error shows the content of a file outside the chart: %v", err)
			}
			var ref *kit.ChartSchemaRefError
			if strings.Contains(tc.want, "refers to") && !errors.As(err, &ref) {
				t.Fatalf("not a *kit.ChartSchemaRefError: %T", err)
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("the schema server got %d requests, want none", n)
	}
}

// TestChartSubchartSchemaRefs: a subchart's schema is held to the same rule.
func TestChartSubchartSchemaRefs(t *testing.T) {
	dir := newChart(t, map[string]string{
		"Chart.yaml":                   "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n- name: db\n  version: 0.1.0\n",
		"values.yaml":                  "db:\n  size: 1\n",
		"charts/db/Chart.yaml":         "apiVersion: v2\nname: db\nversion: 0.1.0\n",
		"charts/db/values.schema.json": `{"properties": {"size": {"$ref": "https://schemas.example.invalid/size.json"}}}`,
	})
	_, err := renderChart(t, kit.ChartOptions{Dir: dir})
	want := "chart web: values.schema.json of chart db refers to https://schemas.example.invalid/size.json: a chart's schema may refer only within itself ($ref \"#/...\", or to a $id it defines); prenv fetches no URL and reads no file outside the chart"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
