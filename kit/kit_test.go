package kit_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/kit"
)

// loadKit loads a kit of files only (no embedded templates).
func loadKit(t *testing.T, files map[string]string) (*kit.Kit, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for n, body := range files {
		fsys[n] = &fstest.MapFile{Data: []byte(body)}
	}
	return kit.LoadKit("prenv", fstest.MapFS{}, fsys, nil)
}

// configMap is a ConfigMap template whose data key "v" is the template
// text expr (a pipeline printing a string).
func configMap(expr string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: {{ " + expr + " | toJson }}\n"
}

// TestKitLacksNondeterministicFunctions: a template that names a function
// whose result changes from run to run does not parse, wherever the name
// stands (a branch never taken, a define never included); the error names
// the function, where it is, and why.
func TestKitLacksNondeterministicFunctions(t *testing.T) {
	tests := map[string]struct {
		file, text string
		want       []string
	}{
		"toDate (the machine's time zone)": {
			file: "cm.yaml", text: configMap(`toDate "2006-01-02" "2024-01-01" | toString`),
			want: []string{`toDate at prenv/templates/cm.yaml:6:8 (depends on the machine's time zone)`},
		},
		"now":           {file: "cm.yaml", text: configMap("now | toString"), want: []string{"now at prenv/templates/cm.yaml:6:8 (reads the clock)"}},
		"date":          {file: "cm.yaml", text: configMap(`date "2006" 0`), want: []string{"date at prenv/templates/cm.yaml:6:8"}},
		"dateInZone":    {file: "cm.yaml", text: configMap(`dateInZone "2006" "x" "UTC"`), want: []string{"dateInZone at"}},
		"dateModify":    {file: "cm.yaml", text: configMap(`dateModify "1h" 0`), want: []string{"dateModify at"}},
		"ago":           {file: "cm.yaml", text: configMap(`ago 0`), want: []string{"ago at"}},
		"randAlphaNum":  {file: "cm.yaml", text: configMap("randAlphaNum 8"), want: []string{"randAlphaNum at prenv/templates/cm.yaml:6:8 (gives a random result)"}},
		"uuidv4":        {file: "cm.yaml", text: configMap("uuidv4"), want: []string{"uuidv4 at"}},
		"shuffle":       {file: "cm.yaml", text: configMap(`shuffle "abc"`), want: []string{"shuffle at"}},
		"genCA":         {file: "cm.yaml", text: configMap(`(genCA "x" 1).Cert`), want: []string{"genCA at"}},
		"bcrypt":        {file: "cm.yaml", text: configMap(`bcrypt "x"`), want: []string{"bcrypt at", "random salt"}},
		"env":           {file: "cm.yaml", text: configMap(`env "HOME"`), want: []string{"env at prenv/templates/cm.yaml:6:8 (reads the process environment)"}},
		"expandenv":     {file: "cm.yaml", text: configMap(`expandenv "$HOME"`), want: []string{"expandenv at"}},
		"lookup":        {file: "cm.yaml", text: configMap(`lookup "v1" "Secret" "ns" "n" | toString`), want: []string{"lookup at"}},
		"getHostByName": {file: "cm.yaml", text: configMap(`getHostByName "example.com"`), want: []string{"getHostByName at", "asks DNS"}},
		"osBase":        {file: "cm.yaml", text: configMap(`osBase "a/b"`), want: []string{"osBase at", "operating system"}},
		"in a branch never taken": {
			file: "cm.yaml", text: "{{ if false }}{{ now }}{{ end }}\n",
			want: []string{"now at prenv/templates/cm.yaml:1:17"},
		},
		"in a define never included": {
			file: "_helpers.tpl", text: "{{- define \"stamp\" -}}\n{{ randInt 0 9 }}\n{{- end -}}\n",
			want: []string{"randInt at prenv/templates/_helpers.tpl:2:3"},
		},
		"every call is listed": {
			file: "cm.yaml", text: "{{ now }} {{ uuidv4 }}\n",
			want: []string{"now at prenv/templates/cm.yaml:1:3", "uuidv4 at prenv/templates/cm.yaml:1:13"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := loadKit(t, map[string]string{tc.file: tc.text})
			var te *kit.TemplateError
			if !errors.As(err, &te) || !errors.Is(err, kit.ErrRefusedFunction) {
				t.Fatalf("err = %v, want a *TemplateError wrapping ErrRefusedFunction", err)
			}
			if te.Template != tc.file {
				t.Errorf("Template = %q, want %q", te.Template, tc.file)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to contain %q", err, w)
				}
			}
		})
	}

	// A function Helm's engine does not have either is an ordinary parse
	// error.
	_, err := loadKit(t, map[string]string{"cm.yaml": "{{ nwo }}\n"})
	if err == nil || errors.Is(err, kit.ErrRefusedFunction) || !strings.Contains(err.Error(), `function "nwo" not defined`) {
		t.Errorf("unknown function: err = %v", err)
	}
}

// TestKitTpl: tpl parses its text with the kit's functions, so a
// template built at run time cannot reach a function the kit lacks.
func TestKitTpl(t *testing.T) {
	tests := map[string]struct {
		expr   string
		values map[string]any
		want   string // the data value, or
		err    []string
	}{
		"built with printf": {
			expr: `tpl (printf "{{ %s }}" "now") .`,
			err:  []string{"now at gotpl:1:3 (reads the clock)"},
		},
		"built with cat": {
			expr: `tpl (cat "{{" "uuidv4" "}}") .`,
			err:  []string{"uuidv4 at gotpl:1:3 (gives a random result)"},
		},
		"from a value": {
			expr: `tpl .Values.text .`, values: map[string]any{"text": `{{ toDate "2006" "2024" }}`},
			err: []string{"toDate at gotpl:1:3"},
		},
		"nested tpl": {
			expr: `tpl "{{ tpl \"{{ env \\\"HOME\\\" }}\" . }}" .`,
			err:  []string{"env at gotpl:1:3"},
		},
		"an allowed template": {
			expr: `tpl "{{ .Values.a | upper }}-{{ keys (dict \"b\" 1 \"a\" 2) | join \",\" }}" .`, values: map[string]any{"a": "x"},
			want: "X-a,b",
		},
		"a define in the text can be included": {
			expr: `tpl "{{ define \"t\" }}in-{{ . }}{{ end }}{{ include \"t\" 3 }}" .`,
			want: "in-3",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			kitOpts, err := loadKit(t, map[string]string{"cm.yaml": configMap(tc.expr)})
			if err != nil {
				t.Fatal(err)
			}
			values := tc.values
			if values == nil {
				values = map[string]any{}
			}
			objs, err := kitOpts.Execute(context.Background(), values, map[string]any{"Name": "r"})
			if tc.err != nil {
				if !errors.Is(err, kit.ErrRefusedFunction) {
					t.Fatalf("err = %v, want ErrRefusedFunction", err)
				}
				for _, w := range tc.err {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("err = %v\nwant it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := data(t, objs)["v"]; got != tc.want {
				t.Errorf("v = %q, want %q", got, tc.want)
			}
		})
	}
}

// data is the data of the only object, a ConfigMap.
func data(t *testing.T, objs []*unstructured.Unstructured) map[string]string {
	t.Helper()
	if len(objs) != 1 {
		t.Fatalf("%d objects, want 1", len(objs))
	}
	d, _, err := unstructured.NestedStringMap(objs[0].Object, "data")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestKitOutputIsStable: what used to vary between runs (map order,
// addresses) prints the same every time, and printf refuses %p.
func TestKitOutputIsStable(t *testing.T) {
	many := map[string]any{}
	for _, k := range strings.Fields("q w e r t y u i o p a s d f g h j k l z x c v b n m") {
		many[k] = k + k
	}
	tests := map[string]struct {
		expr string
		want string // "" when only stability and the lack of addresses are checked
	}{
		"keys are sorted":                {expr: `keys .Values.many | join ""`, want: "abcdefghijklmnopqrstuvwxyz"},
		"keys of several maps":           {expr: `keys (dict "b" 1) (dict "a" 1 "b" 2) | join ","`, want: "a,b,b"},
		"values in key order":            {expr: `values .Values.many | join ""`, want: "aabbccddeeffgghhiijjkkllmmnnooppqqrrssttuuvvwwxxyyzz"},
		"the whole context":              {expr: `printf "%v" $`},
		"the whole context, Go syntax":   {expr: `printf "%#v" $`},
		"the whole context as a string":  {expr: `toString $`},
		"capabilities in a list":         {expr: `list .Capabilities | toString`},
		"a kit function through printf":  {expr: `printf "%s" .Capabilities.KubeVersion.GitVersion`, want: kit.HelmKubeVersion},
		"a semver through its String":    {expr: `list (semver "1.2.3") | toString`, want: "[1.2.3]"},
		"a map printed by text/template": {expr: `print .Values.many | trunc 20`, want: "map[a:aa b:bb c:cc d"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			kit, err := loadKit(t, map[string]string{"cm.yaml": configMap(tc.expr)})
			if err != nil {
				t.Fatal(err)
			}
			var first string
			for i := range 8 {
				objs, err := kit.Execute(context.Background(), map[string]any{"many": many}, map[string]any{"Name": "r"})
				if err != nil {
					t.Fatal(err)
				}
				got := data(t, objs)["v"]
				if strings.Contains(got, "0x") {
					t.Fatalf("the output holds an address: %s", got)
				}
				if i == 0 {
					first = got
				} else if got != first {
					t.Fatalf("run %d printed %q, run 0 %q", i, got, first)
				}
			}
			if tc.want != "" && first != tc.want {
				t.Errorf("v = %q, want %q", first, tc.want)
			}
		})
	}

	for expr, want := range map[string]string{
		`printf "%p" .Values.many`:              "%p prints a memory address",
		`printf "%[1]p" .Values.many`:           "%p prints a memory address",
		`printf "%d" (list (semver "1.2.3"))`:   "argument 1 holds a pointer",
		`durationRound (.Values.many | toJson)`: "", // a string: fine
	} {
		kitOpts, err := loadKit(t, map[string]string{"cm.yaml": configMap(expr)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = kitOpts.Execute(context.Background(), map[string]any{"many": many}, map[string]any{})
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", expr, err)
			}
			continue
		}
		var te *kit.TemplateError
		if !errors.As(err, &te) || te.Template != "cm.yaml" || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want a TemplateError of cm.yaml containing %q", expr, err, want)
		}
	}
}

// helmFiles are templates that use include, tpl, required, defines in
// several files (the same name twice), .Template, .Chart, .Release,
// .Capabilities and a value one file sets for those rendered after it.
var helmFiles = map[string]string{
	"_helpers.tpl": `{{- define "kit.name" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}
{{- define "kit.labels" -}}
app: {{ include "kit.name" . | quote }}
tier: {{ include "kit.tier" . | quote }}
{{- end -}}
{{- define "kit.tier" -}}{{ .Values.tier | default "web" }}{{- end -}}
{{- define "dup" -}}from-helpers{{- end -}}
`,
	"a.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "kit.name" . }}-a
  labels:
    {{- include "kit.labels" . | nindent 4 }}
data:
  template: {{ .Template.Name | quote }}
  base: {{ .Template.BasePath | quote }}
  dup: {{ include "dup" . | quote }}
  tpl: {{ tpl "{{ define \"in\" }}[{{ . }}]{{ end }}{{ include \"in\" .Values.tier }}-{{ .Release.Namespace }}" . | quote }}
  tplValue: {{ tpl .Values.text . | quote }}
  required: {{ required "tier is needed" .Values.tier | quote }}
  kube: {{ .Capabilities.KubeVersion.GitVersion | quote }}
  hasV1: {{ .Capabilities.APIVersions.Has "v1" | quote }}
  fromZ: {{ .Values.fromZ | quote }}
  ranged: {{ range $k, $v := .Values.ports }}{{ $k }}={{ $v }};{{ end }}
  yaml: {{ toYaml .Values.ports | quote }}
  chart: {{ printf "%s %s %v" .Chart.Name .Chart.Version .Chart.IsRoot | quote }}
  files: {{ printf "%q %d %d %d" (.Files.Get "a.yaml") (len .Files) (len (.Files.GetBytes "x")) (len (.Files.Lines "x")) | quote }}
  asConfig: {{ (.Files.Glob "**").AsConfig | quote }}
  asSecrets: {{ .Files.AsSecrets | quote }}
`,
	"b.yaml": `{{- define "dup" -}}from-b{{- end -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "kit.name" . }}-b
  namespace: {{ .Release.Namespace }}
spec:
  ports:
  {{- range $name, $port := .Values.ports }}
  - name: {{ $name }}
    port: {{ $port }}
  {{- end }}
`,
	"z.yaml": `{{- $_ := set .Values "fromZ" "set by z.yaml" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: z
`,
}

func helmValues() map[string]any {
	return map[string]any{
		"tier":  "api",
		"text":  "{{ .Values.tier | upper }}",
		"ports": map[string]any{"http": 80, "metrics": 9090},
	}
}

var helmRelease = map[string]any{"Name": "rel", "Namespace": "ns", "Service": "prenv", "IsInstall": true, "IsUpgrade": false, "Revision": 1}

// helmRender renders files with Helm's own engine, as the kit did before
// it had a function map of its own.
func helmRender(t *testing.T, files map[string]string, strict bool) (map[string]string, error) {
	t.Helper()
	c := &chart.Chart{Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "prenv", Version: "0.0.0", Type: "application"}}
	for _, n := range slices.Sorted(maps.Keys(files)) {
		c.Templates = append(c.Templates, &chart.File{Name: "templates/" + n, Data: []byte(files[n])})
	}
	top := chartutil.Values{"Values": helmValues(), "Release": maps.Clone(helmRelease), "Capabilities": kit.HelmCapabilities()}
	return engine.Engine{Strict: strict}.Render(c, top)
}

// TestKitFeaturesMatchHelm: on a chart made for it, include, tpl, required, defines across files,
// .Template, .Chart, .Release, .Capabilities and the order files run in
// give what Helm's engine gives.
func TestKitFeaturesMatchHelm(t *testing.T) {
	rendered, err := helmRender(t, helmFiles, true)
	if err != nil {
		t.Fatal(err)
	}
	kitOpts, err := loadKit(t, helmFiles)
	if err != nil {
		t.Fatal(err)
	}
	got, err := kitOpts.Execute(context.Background(), helmValues(), maps.Clone(helmRelease))
	if err != nil {
		t.Fatal(err)
	}
	gotYAML := sameAsHelm(t, got, rendered)
	// The values are those of the test, not an accident of both.
	for _, frag := range []string{"dup: from-helpers", "tpl: '[api]-ns'", "tplValue: API", "fromZ: set by z.yaml",
		"template: prenv/templates/a.yaml", "kube: " + kit.HelmKubeVersion, "ranged: http=80;metrics=9090;", "app: rel-prenv",
		`files: '"" 0 0 0'`, "asConfig: '{}'", "chart: prenv 0.0.0 true"} {
		if !strings.Contains(string(gotYAML), frag) {
			t.Errorf("output lacks %q:\n%s", frag, gotYAML)
		}
	}
}

// TestKitFailMessages: required and fail stop with their message and the
// place of the call in the file rendered, word for word as Helm's engine
// reports them, also when a missing key comes first.
func TestKitFailMessages(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"required, missing key":  {"r.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ required \"need foo: set it\" .Values.foo | quote }}\n"},
		"required, empty string": {"r.yaml": "a: 1\nb: {{ required \"need text\" (.Values.tier | trimAll \"aip\") }}\n"},
		"fail":                   {"f.yaml": "a: 1\n{{ if .Values.tier }}{{ fail (printf \"tier %s is refused\" .Values.tier) }}{{ end }}\n"},
		"required in an include": {"_h.tpl": "{{ define \"need\" }}{{ required \"deep need\" .nope }}{{ end }}", "i.yaml": "a: {{ include \"need\" (dict) }}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			_, helmErr := helmRender(t, files, false)
			if helmErr == nil || !strings.HasPrefix(helmErr.Error(), "execution error at (") {
				t.Fatalf("Helm's engine: %v", helmErr)
			}
			kitOpts, err := loadKit(t, files)
			if err != nil {
				t.Fatal(err)
			}
			_, err = kitOpts.Execute(context.Background(), helmValues(), maps.Clone(helmRelease))
			var te *kit.TemplateError
			if !errors.As(err, &te) || te.Template == "" {
				t.Fatalf("err = %v, want a *TemplateError naming the file", err)
			}
			if want := "template " + te.Template + ": " + helmErr.Error(); err.Error() != want {
				t.Errorf("err = %v\nwant %s", err, want)
			}
		})
	}
}

// TestKitBounds: include and tpl that recurse stop with an error instead
// of exhausting the stack.
func TestKitBounds(t *testing.T) {
	for name, tc := range map[string]struct {
		files  map[string]string
		values map[string]any
	}{
		"include":              {files: map[string]string{"r.yaml": `{{ define "r" }}{{ include "r" . }}{{ end }}{{ include "r" . }}`}},
		"include of two names": {files: map[string]string{"r.yaml": `{{ define "a" }}{{ include "b" . }}{{ end }}{{ define "b" }}{{ include "a" . }}{{ end }}{{ include "a" . }}`}},
		"tpl":                  {files: map[string]string{"r.yaml": `{{ tpl .Values.t $ }}`}, values: map[string]any{"t": `{{ tpl .Values.t $ }}`}},
	} {
		t.Run(name, func(t *testing.T) {
			kit, err := loadKit(t, tc.files)
			if err != nil {
				t.Fatal(err)
			}
			_, err = kit.Execute(context.Background(), tc.values, map[string]any{})
			if err == nil || !strings.Contains(err.Error(), "nests more than 1000 include and tpl calls") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

// TestKitKeepsInputs: templates change only copies of the values and
// release they are given.
func TestKitKeepsInputs(t *testing.T) {
	kit, err := loadKit(t, map[string]string{"cm.yaml": `{{- $_ := set .Values "added" 1 -}}
{{- $_ := set .Values.nested "added" 1 -}}
{{- $_ := sortAlpha .Values.list -}}
{{- $_ := sortAlpha .Values.strings -}}
{{- $_ := set .Release "Name" "changed" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: x
`})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]any{"nested": map[string]any{}, "list": []any{"b", "a"}, "strings": []string{"d", "c"}}
	release := map[string]any{"Name": "r"}
	if _, err := kit.Execute(context.Background(), values, release); err != nil {
		t.Fatal(err)
	}
	if _, ok := values["added"]; ok {
		t.Error("set changed the caller's values")
	}
	if len(values["nested"].(map[string]any)) != 0 {
		t.Error("set changed the caller's nested map")
	}
	// sprig's sortAlpha sorts a []string in place.
	if got := values["strings"].([]string); got[0] != "d" {
		t.Errorf("sortAlpha sorted the caller's list: %v", got)
	}
	if release["Name"] != "r" {
		t.Error("set changed the caller's release")
	}
}

// TestKitRunsAreIndependent: a run starts from the kit's templates as
// parsed, whatever an earlier run did: a define that tpl parsed is not
// there for the next run, and a run that failed deep in nested includes
// leaves the next one its whole nesting budget.
func TestKitRunsAreIndependent(t *testing.T) {
	k, err := loadKit(t, map[string]string{
		"_deep.tpl": `{{ define "deep" }}{{ if gt . 0 }}{{ include "deep" (sub . 1) }}{{ else }}bottom{{ end }}{{ end }}`,
		"cm.yaml": configMap(`(ternary (tpl "{{ define \"late\" }}late{{ end }}{{ include \"late\" . }}" .) "" .Values.define)`) +
			`{{ if .Values.use }}  late: {{ include "late" . | toJson }}{{ end }}
  deep: {{ include "deep" (int .Values.depth) | toJson }}
`,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run := func(values map[string]any) (string, error) {
		objs, err := k.Execute(ctx, values, map[string]any{})
		if err != nil {
			return "", err
		}
		return fmt.Sprint(objs[0].Object["data"]), nil
	}
	for range 3 {
		if got, err := run(map[string]any{"define": true, "use": false, "depth": 5}); err != nil || got != "map[deep:bottom v:late]" {
			t.Fatalf("the run with tpl's define: %q, %v", got, err)
		}
		if _, err := run(map[string]any{"define": false, "use": true, "depth": 5}); err == nil || !strings.Contains(err.Error(), `no template "late"`) {
			t.Fatalf("a later run includes the define tpl parsed in an earlier run: %v", err)
		}
		if _, err := run(map[string]any{"define": false, "use": false, "depth": 2000}); err == nil || !strings.Contains(err.Error(), "nests more than 1000") {
			t.Fatalf("a run past the nesting bound: %v", err)
		}
		if got, err := run(map[string]any{"define": false, "use": false, "depth": 998}); err != nil || got != "map[deep:bottom v:]" {
			t.Fatalf("a run within the nesting bound after one past it: %q, %v", got, err)
		}
	}
}

// TestKitNestedIncludes: includes nested at many depths, several at one
// depth, give each its own text (include calls print into buffers kept by
// depth).
func TestKitNestedIncludes(t *testing.T) {
	k, err := loadKit(t, map[string]string{
		"_wrap.tpl": `{{ define "wrap" }}{{ if gt . 0 }}({{ include "wrap" (sub . 1) }}|{{ include "wrap" (sub . 1) | len }}){{ else }}x{{ end }}{{ end }}`,
		"cm.yaml":   configMap(`include "wrap" (int .Values.depth)`),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := func(n int) string {
		s := "x"
		for range n {
			s = "(" + s + "|" + strconv.Itoa(len(s)) + ")"
		}
		return s
	}
	for range 2 {
		for _, depth := range []int{0, 3, 12, 1} {
			objs, err := k.Execute(context.Background(), map[string]any{"depth": depth}, map[string]any{})
			if err != nil {
				t.Fatal(err)
			}
			if got := objs[0].Object["data"].(map[string]any)["v"]; got != want(depth) {
				t.Errorf("depth %d: %q, want %q", depth, got, want(depth))
			}
		}
	}
}
