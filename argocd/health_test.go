package argocd

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/spec"
)

type healthStatus struct {
	Status  string
	Message string
}

// runHealth runs a health script the way Argo CD runs the checks of
// argocd-cm: gopher-lua without the standard libraries but the package,
// base and table ones, obj set to the object, a one-second limit, and a
// table returned.
func runHealth(t *testing.T, script string, obj map[string]any) healthStatus {
	t.Helper()
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		t.Fatalf("the health script failed: %v", err)
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("the health script returned %s, want a table", l.Get(-1).Type())
	}
	var hs healthStatus
	if s, ok := ret.RawGetString("status").(lua.LString); ok {
		hs.Status = string(s)
	}
	if m, ok := ret.RawGetString("message").(lua.LString); ok {
		hs.Message = string(m)
	}
	return hs
}

// toLua converts a decoded JSON value: objects and arrays become tables
// (arrays 1-based), as Argo CD passes obj.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := l.NewTable()
		for k, e := range v {
			t.RawSetString(k, toLua(l, e))
		}
		return t
	case []any:
		t := l.NewTable()
		for _, e := range v {
			t.Append(toLua(l, e))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case nil:
		return lua.LNil
	}
	panic("unexpected JSON value")
}

func TestHealthLua(t *testing.T) {
	tests := map[string]healthStatus{
		// Ready alone (runtimes that report Ready instead of ACK.ResourceSynced).
		"table-ready.yaml":            {"Healthy", "Resource synced successfully"},
		"table-ready-no-message.yaml": {"Healthy", ""},
		"table-creating.yaml":         {"Progressing", "Resource not synced"},
		// ACK.ResourceSynced decides whenever it is present.
		"table-resourcesynced-wins.yaml":             {"Healthy", ""},
		"queue-resourcesynced-false-ready-true.yaml": {"Progressing", "Resource not synced"},
		"queue-resourcesynced.yaml":                  {"Healthy", "Resource synced successfully"},
		"queue-resourcesynced-unknown.yaml":          {"Progressing", "Unable to determine if desired resource state matches latest observed state"},
		// ACK.Terminal comes first.
		"role-terminal.yaml":               {"Degraded", "MalformedPolicyDocument: Invalid principal in policy"},
		"role-terminal-synced.yaml":        {"Degraded", "InvalidInput: MaxSessionDuration must be between 3600 and 43200"},
		"policy-terminal-after-ready.yaml": {"Degraded", "LimitExceeded: Cannot exceed quota for PoliciesPerAccount"},
		"queue-deleting-terminal.yaml":     {"Degraded", "AccessDenied: not authorized to perform sqs:DeleteQueue"},
		// Deletion only changes the message of Progressing.
		"queue-deleting.yaml":          {"Healthy", ""},
		"queue-deleting-unsynced.yaml": {"Progressing", "Being deleted: waiting for the ACK controller to delete the AWS resource"},
		// Nothing to go by yet.
		"role-no-status.yaml":        {"Progressing", "Waiting for the ACK controller to sync the resource with AWS"},
		"role-empty-conditions.yaml": {"Progressing", "Waiting for the ACK controller to sync the resource with AWS"},
		"policy-recoverable.yaml":    {"Progressing", "AccessDenied: User is not authorized to perform: iam:CreatePolicy"},
		// A bucket that still holds objects (ACK does not empty it).
		"bucket-deleting-not-empty.yaml":  {"Progressing", "Being deleted: BucketNotEmpty: The bucket you tried to delete is not empty"},
		"association-resourcesynced.yaml": {"Healthy", ""},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "health", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := tests[filepath.Base(f)]; !ok {
			t.Errorf("fixture %s has no expected status", f)
		}
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "health", name))
			if err != nil {
				t.Fatal(err)
			}
			var obj map[string]any
			if err := yaml.Unmarshal(b, &obj); err != nil {
				t.Fatal(err)
			}
			if got := runHealth(t, HealthLua, obj); got != want {
				t.Errorf("health = %+v, want %+v", got, want)
			}
		})
	}
}

func TestHealthChecks(t *testing.T) {
	tests := map[string]struct {
		extra []spec.GroupKind
		want  []string
	}{
		"prenv's kinds": {nil, []string{
			"resource.customizations.health.dynamodb.services.k8s.aws_Table",
			"resource.customizations.health.eks.services.k8s.aws_PodIdentityAssociation",
			"resource.customizations.health.iam.services.k8s.aws_Policy",
			"resource.customizations.health.iam.services.k8s.aws_Role",
			"resource.customizations.health.s3.services.k8s.aws_Bucket",
			"resource.customizations.health.sqs.services.k8s.aws_Queue",
		}},
		"the app's ACK kinds too, once": {[]spec.GroupKind{
			{Group: "rds.services.k8s.aws", Kind: "DBInstance"}, {Group: "apps", Kind: "Deployment"},
			{Group: "sqs.services.k8s.aws", Kind: "Queue"},
		}, []string{
			"resource.customizations.health.dynamodb.services.k8s.aws_Table",
			"resource.customizations.health.eks.services.k8s.aws_PodIdentityAssociation",
			"resource.customizations.health.iam.services.k8s.aws_Policy",
			"resource.customizations.health.iam.services.k8s.aws_Role",
			"resource.customizations.health.rds.services.k8s.aws_DBInstance",
			"resource.customizations.health.s3.services.k8s.aws_Bucket",
			"resource.customizations.health.sqs.services.k8s.aws_Queue",
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := HealthChecks(tc.extra)
			var keys []string
			for k, v := range got {
				keys = append(keys, k)
				if v != HealthLua {
					t.Errorf("%s is not HealthLua", k)
				}
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tc.want) {
				t.Errorf("keys = %q, want %q", keys, tc.want)
			}
		})
	}
}

// TestHealthCoversEmittedKinds: every ACK kind render env can emit has a
// health check, so no wave goes on before AWS has the resource.
func TestHealthCoversEmittedKinds(t *testing.T) {
	checks := HealthChecks(nil)
	emitted := map[spec.GroupKind]bool{}
	// previews has tables, queues and the IRSA role; pod-identity-s3 has
	// buckets and the PodIdentityAssociation.
	for _, example := range []string{"previews", "pod-identity-s3"} {
		data, err := os.ReadFile(filepath.Join(examplesDir, example, "prenv.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		env, err := spec.Load(data)
		if err != nil {
			t.Fatal(err)
		}
		kinds, err := emittedKinds(context.Background(), env)
		if err != nil {
			t.Fatal(err)
		}
		for _, gk := range kinds {
			if strings.HasSuffix(gk.Group, ackGroupSuffix) {
				emitted[gk] = true
				if _, ok := checks[HealthKey(gk)]; !ok {
					t.Errorf("no health check for %s/%s", gk.Group, gk.Kind)
				}
			}
		}
	}
	if len(emitted) != len(ACKKinds) {
		t.Errorf("the examples emit %d ACK kinds, ACKKinds lists %d: keep them in step", len(emitted), len(ACKKinds))
	}
}

// TestHealthRules checks the order of the rules on condition lists: Terminal
// first, then ACK.ResourceSynced, then Ready only without
// ACK.ResourceSynced, else Progressing.
func TestHealthRules(t *testing.T) {
	cond := func(typ, status string) map[string]any {
		return map[string]any{"type": typ, "status": status, "message": typ + "=" + status}
	}
	tests := map[string]struct {
		conds    []map[string]any
		deleting bool
		want     healthStatus
	}{
		"terminal before synced":       {[]map[string]any{cond("ACK.ResourceSynced", "True"), cond("ACK.Terminal", "True")}, false, healthStatus{"Degraded", "ACK.Terminal=True"}},
		"terminal while deleting":      {[]map[string]any{cond("ACK.Terminal", "True")}, true, healthStatus{"Degraded", "ACK.Terminal=True"}},
		"terminal False is ignored":    {[]map[string]any{cond("ACK.Terminal", "False"), cond("ACK.ResourceSynced", "True")}, false, healthStatus{"Healthy", "ACK.ResourceSynced=True"}},
		"synced True, Ready False":     {[]map[string]any{cond("Ready", "False"), cond("ACK.ResourceSynced", "True")}, false, healthStatus{"Healthy", "ACK.ResourceSynced=True"}},
		"synced False, Ready True":     {[]map[string]any{cond("Ready", "True"), cond("ACK.ResourceSynced", "False")}, false, healthStatus{"Progressing", "ACK.ResourceSynced=False"}},
		"synced Unknown, Ready True":   {[]map[string]any{cond("ACK.ResourceSynced", "Unknown"), cond("Ready", "True")}, false, healthStatus{"Progressing", "ACK.ResourceSynced=Unknown"}},
		"Ready True alone":             {[]map[string]any{cond("Ready", "True")}, false, healthStatus{"Healthy", "Ready=True"}},
		"Ready False alone":            {[]map[string]any{cond("Ready", "False")}, false, healthStatus{"Progressing", "Ready=False"}},
		"recoverable message first":    {[]map[string]any{cond("ACK.ResourceSynced", "False"), cond("ACK.Recoverable", "True")}, false, healthStatus{"Progressing", "ACK.Recoverable=True"}},
		"synced True while deleting":   {[]map[string]any{cond("ACK.ResourceSynced", "True")}, true, healthStatus{"Healthy", "ACK.ResourceSynced=True"}},
		"deletion message":             {[]map[string]any{cond("ACK.ResourceSynced", "False")}, true, healthStatus{"Progressing", "Being deleted: waiting for the ACK controller to delete the AWS resource"}},
		"deletion blocked":             {[]map[string]any{cond("ACK.ResourceSynced", "False"), cond("ACK.Recoverable", "True")}, true, healthStatus{"Progressing", "Being deleted: ACK.Recoverable=True"}},
		"no conditions":                {nil, false, healthStatus{"Progressing", "Waiting for the ACK controller to sync the resource with AWS"}},
		"other conditions are ignored": {[]map[string]any{cond("ACK.Adopted", "True"), cond("ACK.LateInitialized", "True")}, false, healthStatus{"Progressing", "Waiting for the ACK controller to sync the resource with AWS"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			conds := make([]any, len(tc.conds))
			for i, c := range tc.conds {
				conds[i] = c
			}
			meta := map[string]any{"name": "x"}
			if tc.deleting {
				meta["deletionTimestamp"] = "2026-11-21T09:00:00Z"
			}
			obj := map[string]any{"apiVersion": "sqs.services.k8s.aws/v1alpha1", "kind": "Queue", "metadata": meta, "status": map[string]any{"conditions": conds}}
			if got := runHealth(t, HealthLua, obj); got != tc.want {
				t.Errorf("health = %+v, want %+v", got, tc.want)
			}
		})
	}
}
