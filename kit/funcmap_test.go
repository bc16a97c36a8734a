package kit

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/sprig/v3"
	"helm.sh/helm/v3/pkg/chartutil"
)

// helmExtras are the functions Helm's engine adds to sprig's
// (helm.sh/helm/v3 pkg/engine funcs.go and engine.go initFunMap).
var helmExtras = []string{
	"toToml", "fromToml", "toYaml", "toYamlPretty", "fromYaml", "fromYamlArray",
	"toJson", "fromJson", "fromJsonArray", "include", "tpl", "required", "lookup",
	"fail", "getHostByName",
}

// TestKitFuncMap: every function of Helm's engine is classified exactly
// once (taken as it is, replaced, or left out); a sprig upgrade that adds
// one fails here until it is classified. The functions left out are
// absent from the map, those taken or replaced present.
func TestKitFuncMap(t *testing.T) {
	kept := map[string]bool{}
	for _, n := range keptFuncs {
		if kept[n] {
			t.Errorf("%s is listed twice in keptFuncs", n)
		}
		kept[n] = true
	}
	all := slices.Concat(slices.Collect(maps.Keys(sprig.TxtFuncMap())), helmExtras, []string{"printf"})
	for _, n := range all {
		classes := 0
		for _, in := range []bool{kept[n], replacedFuncs[n] != "", removedFuncs[n] != ""} {
			if in {
				classes++
			}
		}
		if classes != 1 {
			t.Errorf("%s is in %d of keptFuncs, replacedFuncs and removedFuncs; want exactly 1", n, classes)
		}
	}
	for _, list := range [][]string{keptFuncs, slices.Collect(maps.Keys(replacedFuncs)), slices.Collect(maps.Keys(removedFuncs))} {
		for _, n := range list {
			if !slices.Contains(all, n) {
				t.Errorf("%s is classified but is not a function of Helm's engine", n)
			}
		}
	}

	fm := kitFuncs()
	for n, why := range removedFuncs {
		if _, ok := fm[n]; ok {
			t.Errorf("the kit has %s, which %s", n, why)
		}
		if !Nondeterministic(n) {
			t.Errorf("Nondeterministic(%q) = false", n)
		}
	}
	for _, n := range slices.Concat(keptFuncs, slices.Collect(maps.Keys(replacedFuncs))) {
		if fm[n] == nil {
			t.Errorf("the kit lacks %s", n)
		}
	}
	if len(fm) != len(keptFuncs)+len(replacedFuncs) {
		t.Errorf("the kit has %d functions, want %d", len(fm), len(keptFuncs)+len(replacedFuncs))
	}
	// The brief's examples by name.
	for _, n := range []string{"now", "date", "dateInZone", "toDate", "mustToDate", "dateModify", "ago", "unixEpoch", "htmlDate",
		"randAlphaNum", "randInt", "uuidv4", "genPrivateKey", "genCA", "genSelfSignedCert", "shuffle",
		"env", "expandenv", "lookup", "getHostByName"} {
		if _, ok := fm[n]; ok {
			t.Errorf("the kit has %s", n)
		}
	}
}

// TestReplacedFuncs: the kit's versions of keys, values, printf and
// durationRound give one result for one input.
func TestReplacedFuncs(t *testing.T) {
	m := map[string]any{}
	var want []string
	for i := range 64 {
		k := string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		m[k] = i
		want = append(want, k)
	}
	slices.Sort(want)
	for range 20 {
		if got := keysSorted(m); !slices.Equal(got, want) {
			t.Fatalf("keys = %v, want %v", got, want)
		}
		vals := valuesByKey(m)
		for i, k := range want {
			if vals[i] != m[k] {
				t.Fatalf("values[%d] = %v, want %v (key %s)", i, vals[i], m[k], k)
			}
		}
	}
	if got := keysSorted(map[string]any{"b": 1}, map[string]any{"b": 2, "a": 3}); !slices.Equal(got, []string{"a", "b", "b"}) {
		t.Errorf("keys of two maps = %v, want [a b b] (duplicates kept, as sprig)", got)
	}
	if got := keysSorted(); got == nil || len(got) != 0 {
		t.Errorf("keys of nothing = %#v, want an empty list", got)
	}

	// semver's result is the one pointer a function of the kit makes.
	v := reflect.ValueOf(kitFuncs()["semver"]).Call([]reflect.Value{reflect.ValueOf("1.2.3")})[0].Interface()
	caps := newKitCapabilities()
	for _, tc := range []struct {
		format  string
		args    []any
		want    string
		wantErr string
	}{
		{format: "%p", args: []any{m}, wantErr: "%p prints a memory address"},
		{format: "%[1]p", args: []any{m}, wantErr: "%p prints a memory address"},
		{format: "%-#08p", args: []any{m}, wantErr: "%p prints a memory address"},
		{format: "%d", args: []any{[]any{v}}, wantErr: "argument 1 holds a pointer"},
		{format: "%s %#v", args: []any{"a", map[string]any{"k": []any{v}}}, wantErr: "argument 2 holds a pointer"},
		{format: "%v", args: []any{time.Now}, wantErr: "argument 1 holds a pointer"},
		{format: "100%% pure", want: "100% pure"},
		{format: "%%p", want: "%p"},
		{format: "%s-%d", args: []any{"web", 3}, want: "web-3"},
		{format: "%v", args: []any{map[string]any{"b": 1, "a": []any{"x", nil}}}, want: "map[a:[x <nil>] b:1]"},
		{format: "%s", args: []any{caps.KubeVersion.Version}, want: HelmKubeVersion},
	} {
		got, err := printfNoAddress(tc.format, tc.args...)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("printf %q: err %v, want %q", tc.format, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("printf %q = %q, %v; want %q", tc.format, got, err, tc.want)
		}
	}
	// A map holding itself is walked once.
	self := map[string]any{}
	self["self"] = self
	if _, err := printfNoAddress("%d", len(self)); err != nil {
		t.Errorf("printf of a number: %v", err)
	}
	if holdsAddress(reflect.ValueOf(self), map[walked]bool{}) {
		t.Error("a map holding itself (and nothing else) holds no address")
	}

	round := sprig.TxtFuncMap()["durationRound"].(func(any) string)
	if got, err := durationRound(round, "2h10m"); err != nil || got != "2h" {
		t.Errorf("durationRound 2h10m = %q, %v", got, err)
	}
	if _, err := durationRound(round, time.Unix(0, 0)); err == nil {
		t.Error("durationRound of a time: no error")
	}
}

// TestKitCapabilities: .Capabilities prints as Helm's value, never as an
// address, and is a copy for each execution.
func TestKitCapabilities(t *testing.T) {
	a, b := newKitCapabilities(), newKitCapabilities()
	if a.Capabilities == b.Capabilities || &a.APIVersions[0] == &b.APIVersions[0] {
		t.Error("two executions share capabilities")
	}
	if &a.APIVersions[0] == &chartutil.DefaultCapabilities.APIVersions[0] {
		t.Error("an execution shares Helm's default API versions")
	}
	if a.HelmVersion.GoVersion != "" || a.HelmVersion.Version != HelmVersion {
		t.Errorf("HelmVersion = %+v, want %s and no Go version", a.HelmVersion, HelmVersion)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		got, err := printfNoAddress(verb, map[string]any{"Capabilities": a})
		if err != nil {
			t.Fatalf("printf %s: %v", verb, err)
		}
		if strings.Contains(got, "0x") {
			t.Errorf("printf %s prints an address: %s", verb, got)
		}
		if !strings.Contains(got, HelmKubeVersion) {
			t.Errorf("printf %s lacks the Kubernetes version: %s", verb, got)
		}
	}
}
