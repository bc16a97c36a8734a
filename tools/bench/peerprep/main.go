// Command peerprep prepares the peer side of tools/bench/peer.sh: what a
// team without prenv would run to get the same manifests, as a Helm chart
// and kubeconform's JSON schemas.
//
// It writes, under -out:
//
//   - chart/: prenv's template kit (the templates/ folder, Helm syntax) as
//     a Helm chart, so that `helm template` renders with Helm's own engine
//     exactly the templates `render` executes;
//   - values/pr-<n>.json for n = 1..-n: the values each env's templates
//     receive (plan.Plan's model, as render gives it to the kit);
//   - releases.txt: one line per PR, "<n> <release name> <namespace>", the
//     release name and namespace render gives the kit (.Release);
//   - schemas/: kubeconform's JSON schemas, strict (additionalProperties
//     false on every object with properties, as kubeconform's own strict
//     schemas; int-or-string as a string or an integer), one file per kind
//     the env emits, named <kind>_<group>_<version>.json after kubeconform's
//     template variables ({{ .ResourceKind }}_{{ .Group }}_{{ .ResourceAPIVersion }}.json;
//     for the core group .Group is the version): built-in kinds from the
//     Kubernetes OpenAPI (v2) document given with -swagger, custom resources
//     from the CRDs under -crds;
//   - want.yaml: prenv's own output for every PR, one stream, to compare
//     the peer's objects with.
//
// `peerprep compare WANT GOT` compares two YAML streams as sets of objects
// (parsed, sorted by kind, namespace and name, printed again) and fails when they
// differ, so that the peer is shown to produce prenv's objects.
//
// Computing the values is not part of the timed peer run: it is prenv's
// model, which a chart written by hand would compute in its templates.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/templates"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "compare" {
		if err := compare(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "peerprep compare:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "peerprep:", err)
		os.Exit(1)
	}
}

func run() error {
	specFile := flag.String("f", "", "the spec (prenv.yaml)")
	n := flag.Int("n", 100, "PRs 1..n")
	out := flag.String("out", "", "the folder to write")
	crds := flag.String("crds", "", "a folder of CRD files (the upstream ACK CRDs)")
	swagger := flag.String("swagger", "", "Kubernetes' OpenAPI v2 document (api/openapi-spec/swagger.json of k8s.io/kubernetes)")
	flag.Parse()
	if *specFile == "" || *out == "" || *crds == "" || *swagger == "" || *n < 1 {
		return errors.New("usage: peerprep -f prenv.yaml -n N -out DIR -crds DIR -swagger FILE")
	}
	data, err := os.ReadFile(*specFile)
	if err != nil {
		return err
	}
	env, err := spec.Load(data)
	if err != nil {
		return err
	}
	for _, d := range []string{"chart/templates", "values", "schemas"} {
		if err := os.MkdirAll(filepath.Join(*out, d), 0o755); err != nil {
			return err
		}
	}
	if err := writeChart(filepath.Join(*out, "chart")); err != nil {
		return err
	}
	ctx := context.Background()
	k, err := kit.LoadEnvKit(nil)
	if err != nil {
		return err
	}
	var releases strings.Builder
	var all []*unstructured.Unstructured
	for pr := 1; pr <= *n; pr++ {
		m, err := plan.Plan(env, pr)
		if err != nil {
			return err
		}
		values, err := kit.TemplateValues(m)
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(values, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*out, "values", fmt.Sprintf("pr-%d.json", pr)), b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&releases, "%d %s %s\n", pr, m.EnvName, m.Namespace)
		objs, err := k.ExecuteModel(ctx, m)
		if err != nil {
			return err
		}
		all = append(all, objs...)
	}
	if err := os.WriteFile(filepath.Join(*out, "releases.txt"), []byte(releases.String()), 0o644); err != nil {
		return err
	}
	want, err := manifest.Marshal(all)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "want.yaml"), want, 0o644); err != nil {
		return err
	}
	gvks := map[schema.GroupVersionKind]bool{}
	for _, o := range all {
		gvks[o.GroupVersionKind()] = true
	}
	return writeSchemas(filepath.Join(*out, "schemas"), gvks, *swagger, *crds)
}

func compare(wantFile, gotFile string) error {
	norm := func(file string) ([]byte, int, error) {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, 0, err
		}
		objs, err := manifest.ParseObjects(data)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", file, err)
		}
		key := func(o *unstructured.Unstructured) string {
			return o.GroupVersionKind().String() + "|" + o.GetNamespace() + "|" + o.GetName()
		}
		slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int { return strings.Compare(key(a), key(b)) })
		out, err := manifest.Marshal(objs)
		return out, len(objs), err
	}
	want, nw, err := norm(wantFile)
	if err != nil {
		return err
	}
	got, ng, err := norm(gotFile)
	if err != nil {
		return err
	}
	if string(want) != string(got) {
		return fmt.Errorf("%s (%d objects) and %s (%d objects) differ", wantFile, nw, gotFile, ng)
	}
	fmt.Printf("%d objects, identical\n", nw)
	return nil
}

// writeChart writes the embedded kit as a chart.
func writeChart(dir string) error {
	chart := "apiVersion: v2\nname: prenv-kit\nversion: 0.0.0\ntype: application\ndescription: prenv's template kit as a Helm chart (tools/bench/peer.sh)\n"
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(chart), 0o644); err != nil {
		return err
	}
	return fs.WalkDir(templates.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, ".tpl") {
			return nil
		}
		b, err := fs.ReadFile(templates.FS, p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "templates", filepath.Base(p)), b, 0o644)
	})
}

// schemaFile is kubeconform's file name for a kind, from its template
// {{ .ResourceKind }}_{{ .Group }}_{{ .ResourceAPIVersion }}.json:
// ResourceKind is the kind in lower case, Group the part of apiVersion
// before the slash (the whole apiVersion for the core group),
// ResourceAPIVersion the part after it (kubeconform v0.8.0,
// pkg/registry/registry.go, schemaPath).
func schemaFile(gvk schema.GroupVersionKind) string {
	group := gvk.Group
	if group == "" {
		group = gvk.Version
	}
	return strings.ToLower(gvk.Kind) + "_" + group + "_" + gvk.Version + ".json"
}

func writeSchemas(dir string, gvks map[schema.GroupVersionKind]bool, swaggerFile, crdDir string) error {
	found := map[schema.GroupVersionKind]any{}
	// Built-in kinds from the OpenAPI document: the kind's definition,
	// with every definition it refers to, transitively, under
	// "definitions" (the document's own $ref form, #/definitions/<name>).
	var sw struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	b, err := os.ReadFile(swaggerFile)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &sw); err != nil {
		return fmt.Errorf("%s: %w", swaggerFile, err)
	}
	for _, name := range slices.Sorted(maps.Keys(sw.Definitions)) {
		def := sw.Definitions[name]
		list, _ := def["x-kubernetes-group-version-kind"].([]any)
		for _, x := range list {
			g, _ := x.(map[string]any)
			gvk := schema.GroupVersionKind{Group: str(g["group"]), Version: str(g["version"]), Kind: str(g["kind"])}
			if !gvks[gvk] {
				continue
			}
			defs := map[string]any{}
			collectRefs(def, sw.Definitions, defs)
			s := strict(cloneJSON(def)).(map[string]any)
			for k, v := range defs {
				defs[k] = strict(cloneJSON(v))
			}
			s["definitions"] = defs
			found[gvk] = s
		}
	}
	// Custom resources from the CRDs: each version's openAPIV3Schema.
	err = filepath.WalkDir(crdDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		objs, err := manifest.ParseObjects(data)
		if err != nil {
			return nil // not a stream of objects: skip
		}
		for _, o := range objs {
			if o.GetKind() != "CustomResourceDefinition" {
				continue
			}
			group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
			kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
			versions, _, _ := unstructured.NestedSlice(o.Object, "spec", "versions")
			for _, v := range versions {
				vm, _ := v.(map[string]any)
				gvk := schema.GroupVersionKind{Group: group, Version: str(vm["name"]), Kind: kind}
				s, ok, _ := unstructured.NestedMap(vm, "schema", "openAPIV3Schema")
				if !ok || !gvks[gvk] {
					continue
				}
				found[gvk] = strict(cloneJSON(s))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for gvk := range gvks {
		s, ok := found[gvk]
		if !ok {
			return fmt.Errorf("no schema for %s", gvk)
		}
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, schemaFile(gvk)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func str(v any) string { s, _ := v.(string); return s }

// collectRefs adds every definition v refers to, transitively, to out.
func collectRefs(v any, defs map[string]map[string]any, out map[string]any) {
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/definitions/")
			if _, seen := out[name]; !seen {
				if d, ok := defs[name]; ok {
					out[name] = d
					collectRefs(d, defs, out)
				}
			}
		}
		for _, x := range v {
			collectRefs(x, defs, out)
		}
	case []any:
		for _, x := range v {
			collectRefs(x, defs, out)
		}
	}
}

func cloneJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// strict turns an OpenAPI schema into the JSON schema kubeconform's strict
// mode uses: objects with properties refuse others (additionalProperties
// false, unless the schema keeps unknown fields), int-or-string is a
// string or an integer, nullable admits null.
func strict(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "enum" || k == "default" || k == "example" {
				continue
			}
			v[k] = strict(x)
		}
		if v["x-kubernetes-int-or-string"] == true || v["format"] == "int-or-string" {
			delete(v, "type")
			delete(v, "format")
			v["oneOf"] = []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}
		}
		if v["nullable"] == true {
			if t, ok := v["type"].(string); ok {
				v["type"] = []any{t, "null"}
			}
		}
		if _, ok := v["properties"].(map[string]any); ok {
			if _, has := v["additionalProperties"]; !has && v["x-kubernetes-preserve-unknown-fields"] != true {
				v["additionalProperties"] = false
			}
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = strict(x)
		}
		return v
	default:
		return v
	}
}
