package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// fuzzInput is what FuzzRender varies: every free-form string of a spec,
// the PR number and the two switches that change the object count.
type fuzzInput struct {
	app, prefix, table, queue, tagValue, labelValue, resource, oidc, zone string
	pr                                                                    int
	fifo, dlq                                                             bool
}

const (
	fuzzLabelKey = "example.com/fuzz"
	fuzzTagKey   = "fuzz"
	fuzzSid      = "Fuzz"
)

// spec builds the spec in Go, so that no YAML is involved on the input side.
// The table has a global index and a stream; the user statement exists only
// for a non-empty resource, the DNS section only for a non-empty zone.
func (in fuzzInput) spec() *spec.PreviewEnvironment {
	env := &spec.PreviewEnvironment{
		APIVersion: spec.APIVersion,
		Kind:       spec.Kind,
		Metadata:   spec.Metadata{Name: in.app},
		Spec: spec.Spec{
			Prefix: in.prefix,
			AWS:    spec.AWS{AccountID: "123456789012", Region: "eu-west-1", OIDCProviderURL: in.oidc},
			DynamoDB: &spec.DynamoDB{Tables: []spec.Table{{
				Name:          in.table,
				Attributes:    []spec.Attribute{{Name: "id", Type: "S"}, {Name: "owner", Type: "S"}},
				HashKey:       "id",
				Stream:        "NEW_IMAGE",
				GlobalIndexes: []spec.Index{{Name: "byOwner", HashKey: "owner"}},
			}}},
			SQS:    &spec.SQS{Queues: []spec.Queue{{Name: in.queue, FIFO: in.fifo}}},
			Tags:   map[string]string{fuzzTagKey: in.tagValue},
			Labels: map[string]string{fuzzLabelKey: in.labelValue},
		},
	}
	if in.dlq {
		env.Spec.SQS.Queues[0].DeadLetter = &spec.DeadLetter{MaxReceiveCount: 5}
	}
	if in.resource != "" {
		env.Spec.IAM = &spec.IAM{Statements: []spec.Statement{{
			Sid: fuzzSid, Effect: "Allow", Actions: []string{"s3:GetObject"}, Resources: []string{in.resource},
		}}}
	}
	if in.zone != "" {
		env.Spec.DNS = &spec.DNS{Zone: in.zone}
	}
	return env
}

var fuzzSeeds = []fuzzInput{
	{"web", "test", "sessions", "jobs", "web", "web", "arn:aws:s3:::assets/*", "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE", "preview.example.com", 123, false, true},
	{"a", "p", "abc", "q", "", "", "", "oidc.example.com", "", 1, true, true},
	{"a" + strings.Repeat("b", 24), "p" + strings.Repeat("q", 19), "t" + strings.Repeat("u", 39), "q" + strings.Repeat("r", 39), strings.Repeat("v", 256), strings.Repeat("l", 63), "arn:aws:s3:::" + strings.Repeat("x", 300), "https://issuer.example.com/" + strings.Repeat("p", 300), strings.Repeat("z", 60) + ".example.com", spec.MaxPR, true, true},
	{"web", "test", "t1", "q1", "a: b", "v", "arn:aws:s3:::b\n---\nkind: Secret\n# c", "https://x.example.com/", "", 7, false, false},
	{"web", "test", "t1", "q1", " x ", "v", "arn:aws:s3:::{{ .Release.Name }}\"'", "https://x.example.com", "", 7, false, true},
	{"web", "test", "t1", "q1", "ünïcødé 日本語 @+=/:.-_", "v", "arn:aws:s3:::ünïcødé/*", "https://x.example.com", "", 7, true, false},
	{"web", "test", "t1", "q1", "kind: Secret", "kind", "arn:aws:s3:::\"kind\": \"Secret\"", "https://x.example.com", "", 7, false, true},
}

// TestFuzzSeedsRender keeps FuzzRender's seeds valid specs, so that the
// fuzzer starts from inputs that reach every assertion.
func TestFuzzSeedsRender(t *testing.T) {
	for i, s := range fuzzSeeds {
		out, err := render.Render(context.Background(), s.spec(), s.pr, render.Options{})
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		checkFuzzOutput(t, s, out)
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.app, s.prefix, s.table, s.queue, s.tagValue, s.labelValue, s.resource, s.oidc, s.zone, s.pr, s.fifo, s.dlq)
	}
	f.Fuzz(func(t *testing.T, app, prefix, table, queue, tagValue, labelValue, resource, oidc, zone string, pr int, fifo, dlq bool) {
		in := fuzzInput{app, prefix, table, queue, tagValue, labelValue, resource, oidc, zone, pr, fifo, dlq}
		out, err := render.Render(context.Background(), in.spec(), pr, render.Options{})
		if err != nil {
			var inv *spec.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("%+v: error %T %v; a refused spec gives *render.InvalidError only", in, err, err)
			}
			if len(inv.Errs) == 0 {
				t.Fatalf("%+v: an InvalidError without field errors", in)
			}
			return
		}
		checkFuzzOutput(t, in, out)
	})
}

// wantObject is an object the structure of the spec implies.
type wantObject struct{ apiVersion, kind, namespace, name string }

// expectedObjects derives the objects from the structure alone; policies is
// how many IAM policies the model packed the statements into.
func (in fuzzInput) expectedObjects(policies int) []wantObject {
	ns := awsrules.EnvName(in.prefix, in.pr, in.app)
	objs := []wantObject{
		{"v1", "Namespace", "", ns},
		{"v1", "ServiceAccount", ns, in.app},
		{"v1", "ConfigMap", ns, in.app + "-prenv"},
		{"iam.services.k8s.aws/v1alpha1", "Role", ns, in.app},
		{"dynamodb.services.k8s.aws/v1alpha1", "Table", ns, in.table},
		{"sqs.services.k8s.aws/v1alpha1", "Queue", ns, in.queue},
	}
	for i := range policies {
		name := in.app
		if i > 0 {
			name += "-" + strconv.Itoa(i+1)
		}
		objs = append(objs, wantObject{"iam.services.k8s.aws/v1alpha1", "Policy", ns, name})
	}
	if in.dlq {
		objs = append(objs, wantObject{"sqs.services.k8s.aws/v1alpha1", "Queue", ns, in.queue + "-dlq"})
	}
	// The env's bounds, with the spec's defaults.
	objs = append(objs, wantObject{"v1", "ResourceQuota", ns, plan.ResourceQuotaName}, wantObject{"v1", "LimitRange", ns, plan.LimitRangeName})
	for _, n := range []string{plan.NetworkPolicyDefaultDeny, plan.NetworkPolicySameNamespace, plan.NetworkPolicyIngress, plan.NetworkPolicyDNS, plan.NetworkPolicyEgress} {
		objs = append(objs, wantObject{"networking.k8s.io/v1", "NetworkPolicy", ns, n})
	}
	return objs
}

var kindOrder = []string{"Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "ServiceAccount", "ConfigMap", "Policy", "Role", "Table", "Queue"}

func checkFuzzOutput(t *testing.T, in fuzzInput, out *render.Output) {
	t.Helper()
	m := out.Model
	ns := awsrules.EnvName(in.prefix, in.pr, in.app)
	if m.Namespace != ns || m.EnvName != ns {
		t.Fatalf("namespace %q, env %q; EnvName gives %q", m.Namespace, m.EnvName, ns)
	}
	prs := strconv.Itoa(in.pr)
	if !strings.HasPrefix(ns, in.prefix+"-"+prs+"-") || len(ns) > awsrules.MaxNamespaceLen {
		t.Errorf("namespace %q", ns)
	}
	// 1. Exactly the objects the structure implies, kinds in output order.
	policies := len(m.Policies)
	if policies < 1 {
		t.Fatalf("no IAM policy")
	}
	want := in.expectedObjects(policies)
	var got []wantObject
	for _, o := range out.Objects {
		got = append(got, wantObject{o.GetAPIVersion(), o.GetKind(), o.GetNamespace(), o.GetName()})
	}
	less := func(a, b wantObject) int { return strings.Compare(a.kind+"\x00"+a.name, b.kind+"\x00"+b.name) }
	if !slices.Equal(slices.SortedFunc(slices.Values(got), less), slices.SortedFunc(slices.Values(want), less)) {
		t.Fatalf("objects\n got %v\nwant %v", got, want)
	}
	if !slices.IsSortedFunc(out.Objects, func(a, b *unstructured.Unstructured) int {
		return slices.Index(kindOrder, a.GetKind()) - slices.Index(kindOrder, b.GetKind())
	}) {
		t.Errorf("objects are not in kind order: %v", got)
	}

	// 2. Labels and tags intact on every object.
	wantLabels := map[string]string{
		spec.LabelManagedBy: spec.ManagedByValue, spec.LabelApp: in.app, spec.LabelPR: prs,
		spec.LabelEnv: ns, fuzzLabelKey: in.labelValue,
	}
	wantTags := map[string]string{spec.LabelApp: in.app, spec.LabelPR: prs, spec.LabelEnv: ns, fuzzTagKey: in.tagValue}
	for _, o := range out.Objects {
		want := wantLabels
		if o.GetKind() == "Namespace" {
			// The Namespace also carries its Pod Security Admission labels.
			want = maps.Clone(wantLabels)
			maps.Copy(want, out.Model.NamespaceLabels)
		}
		if l := o.GetLabels(); !reflect.DeepEqual(l, want) {
			t.Errorf("%s %s labels %q, want %q", o.GetKind(), o.GetName(), l, want)
		}
		switch o.GetKind() {
		case "Policy", "Role", "Table", "Queue":
			if tags := objectTags(t, o); !reflect.DeepEqual(tags, wantTags) {
				t.Errorf("%s %s tags %q, want %q", o.GetKind(), o.GetName(), tags, wantTags)
			}
			if a := o.GetAnnotations(); a[spec.AnnotationRegion] != "eu-west-1" || a[spec.AnnotationDeletion] != "delete" {
				t.Errorf("%s %s annotations %v", o.GetKind(), o.GetName(), a)
			}
		}
	}

	// 3. Each string where it belongs.
	for _, o := range out.Objects {
		switch o.GetKind() {
		case "Table":
			if got := str(o, "spec", "tableName"); got != ns+"_"+in.table {
				t.Errorf("tableName %q", got)
			}
		case "Queue":
			logical, suffix := o.GetName(), ""
			if in.fifo {
				suffix = ".fifo"
				if str(o, "spec", "fifoQueue") != "true" {
					t.Errorf("queue %s is not FIFO", o.GetName())
				}
			}
			full := ns + "_" + in.queue
			if logical != in.queue {
				full += "_dlq"
			}
			full += suffix
			name := str(o, "spec", "queueName")
			switch {
			case len(full) <= awsrules.MaxQueueNameLen && name != full:
				t.Errorf("queueName %q, want %q", name, full)
			case len(full) > awsrules.MaxQueueNameLen && name != full[:strings.Index(name, "--")]+"--"+awsrules.NameHash(full)+suffix:
				t.Errorf("queueName %q for %q", name, full)
			case len(name) > awsrules.MaxQueueNameLen || !strings.HasPrefix(name, in.prefix+"-"+prs+"-") || !strings.HasSuffix(name, suffix):
				t.Errorf("queueName %q for %q", name, full)
			}
			if in.dlq && logical == in.queue {
				var rp struct {
					DeadLetterTargetArn string `json:"deadLetterTargetArn"`
					MaxReceiveCount     int    `json:"maxReceiveCount"`
				}
				if err := json.Unmarshal([]byte(str(o, "spec", "redrivePolicy")), &rp); err != nil || rp.MaxReceiveCount != 5 ||
					!strings.HasPrefix(rp.DeadLetterTargetArn, "arn:aws:sqs:eu-west-1:123456789012:"+in.prefix+"-"+prs+"-") {
					t.Errorf("redrivePolicy %q (%v)", str(o, "spec", "redrivePolicy"), err)
				}
			}
		case "ConfigMap":
			data, _, _ := unstructured.NestedStringMap(o.Object, "data")
			if data["PRENV_APP"] != in.app || data["PRENV_PR"] != prs || data["PRENV_NAMESPACE"] != ns {
				t.Errorf("ConfigMap data %v", data)
			}
			if in.zone != "" && (data["PRENV_HOSTNAME"] != ns+"."+in.zone || data["PRENV_URL"] != "https://"+ns+"."+in.zone) {
				t.Errorf("hostname %q, URL %q for zone %q", data["PRENV_HOSTNAME"], data["PRENV_URL"], in.zone)
			}
			if in.zone == "" && (data["PRENV_HOSTNAME"] != "" || data["PRENV_URL"] != "") {
				t.Errorf("a hostname without a zone: %v", data)
			}
		case "Role":
			host := strings.TrimRight(strings.TrimPrefix(strings.TrimSpace(in.oidc), "https://"), "/")
			var d struct {
				Statement []struct {
					Principal map[string]string
					Condition map[string]map[string]string
				}
			}
			if err := json.Unmarshal([]byte(str(o, "spec", "assumeRolePolicyDocument")), &d); err != nil || len(d.Statement) != 1 {
				t.Fatalf("trust policy: %v", err)
			}
			if fed := d.Statement[0].Principal["Federated"]; fed != "arn:aws:iam::123456789012:oidc-provider/"+host {
				t.Errorf("Federated %q for issuer %q", fed, in.oidc)
			}
			if sub := d.Statement[0].Condition["StringEquals"][host+":sub"]; sub != "system:serviceaccount:"+ns+":"+in.app {
				t.Errorf("sub %q", sub)
			}
		}
	}
	if in.resource != "" {
		found := false
		for _, p := range m.Policies {
			var d struct {
				Statement []struct {
					Sid      string
					Resource []string
				}
			}
			if err := json.Unmarshal([]byte(p.Document), &d); err != nil {
				t.Fatalf("policy %s: %v", p.Name, err)
			}
			for _, s := range d.Statement {
				if s.Sid == fuzzSid {
					found = true
					if !slices.Equal(s.Resource, []string{in.resource}) {
						t.Errorf("user resource %q came out as %q", in.resource, s.Resource)
					}
				}
			}
		}
		if !found {
			t.Errorf("the user statement is in no policy")
		}
	}

	// 4. The YAML stream parses back to the same objects.
	y, err := out.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := manifest.ParseObjects(y)
	if err != nil {
		t.Fatalf("re-parsing the output: %v", err)
	}
	if len(back) != len(out.Objects) {
		t.Fatalf("%d objects re-parsed from %d", len(back), len(out.Objects))
	}
	for i := range back {
		if !reflect.DeepEqual(back[i].Object, out.Objects[i].Object) {
			t.Errorf("object %d (%s %s) changed in the YAML round trip", i, out.Objects[i].GetKind(), out.Objects[i].GetName())
		}
	}
}

func str(o *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(o.Object, path...)
	return s
}

// objectTags reads ACK tags: a list of {key, value} (IAM, DynamoDB) or a map (SQS).
func objectTags(t *testing.T, o *unstructured.Unstructured) map[string]string {
	t.Helper()
	raw, ok, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "tags")
	if !ok {
		return nil
	}
	tags := map[string]string{}
	switch v := raw.(type) {
	case map[string]any:
		for k, x := range v {
			s, _ := x.(string)
			tags[k] = s
		}
	case []any:
		for _, e := range v {
			kv, _ := e.(map[string]any)
			k, _ := kv["key"].(string)
			s, _ := kv["value"].(string)
			tags[k] = s
		}
	default:
		t.Errorf("%s %s: tags of type %T", o.GetKind(), o.GetName(), raw)
	}
	return tags
}

// FuzzLoad feeds raw bytes to Load and Render: no panic, refusals are
// *InvalidError, and whatever renders parses back from its YAML.
func FuzzLoad(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "examples", "*", "prenv.yaml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	paths = append(append(paths, filepath.Join("testdata", "bench-large.yaml")), more...)
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("{}"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nd: [*c, *c, *c]\n"))
	f.Add([]byte("spec: {tags: {team: !!binary Kg==}}\n"))
	f.Add([]byte("spec: {<<: {prefix: pr}}\n"))
	f.Add([]byte("spec: !custom {prefix: pr}\n"))
	f.Add([]byte("spec: {tags: {team: \"a\u0085b\"}}\n"))
	f.Add([]byte("? [a, b]\n: c\n"))
	f.Add([]byte(strings.Repeat("[", 500) + strings.Repeat("]", 500)))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A budget per input: loading is linear in the input, and aliases
		// expand to at most render.MaxSpecNodes values.
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		env, err := spec.Load(data)
		// Generous: the race detector and a busy machine slow it tenfold.
		if d := time.Since(start); d > 15*time.Second+time.Duration(len(data))*10*time.Microsecond {
			t.Fatalf("Load took %v for %d bytes", d, len(data))
		}
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20+uint64(len(data))*1024 {
			t.Fatalf("Load allocated %d bytes for %d bytes of input", grew, len(data))
		}
		if err != nil {
			var inv *spec.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("Load: %T %v; want *render.InvalidError", err, err)
			}
			return
		}
		out, err := render.Render(context.Background(), env, 42, render.Options{})
		if err != nil {
			var inv *spec.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("Render: %T %v; want *render.InvalidError", err, err)
			}
			return
		}
		y, err := out.YAML()
		if err != nil {
			t.Fatal(err)
		}
		back, err := manifest.ParseObjects(y)
		if err != nil || len(back) != len(out.Objects) {
			t.Fatalf("round trip: %d of %d objects (%v)", len(back), len(out.Objects), err)
		}
		for i := range back {
			if !reflect.DeepEqual(back[i].Object, out.Objects[i].Object) {
				t.Fatalf("object %d changed in the YAML round trip", i)
			}
		}
	})
}

// TestDeterministic: the same spec gives the same bytes, whatever the time
// zone, the number of threads or how many renders run at once.
// TestDeterministicChild prints the render TestDeterministic compares; it
// runs only as TestDeterministic's child process.
func TestDeterministicChild(t *testing.T) {
	if os.Getenv("PRENV_RENDER_CHILD") != "1" {
		t.Skip("run by TestDeterministic")
	}
	data, err := os.ReadFile(filepath.Join("testdata", "bench-large.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := testkit.LoadAndRender(data, 4711)
	if err != nil {
		t.Fatal(err)
	}
	y, err := out.YAML()
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.Write(y)
	os.Stdout.WriteString("\n--- end of render ---\n")
}

func TestDeterministic(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "bench-large.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	renderBytes := func() []byte {
		t.Helper()
		out, err := testkit.LoadAndRender(data, 4711)
		if err != nil {
			t.Fatal(err)
		}
		y, err := out.YAML()
		if err != nil {
			t.Fatal(err)
		}
		return y
	}
	first := renderBytes()
	if !bytes.Equal(first, renderBytes()) {
		t.Fatal("two renders differ")
	}
	t.Run("time zone and locale", func(t *testing.T) {
		// The process reads TZ and the locale once, at start: run this test
		// binary again under each, rendering to standard output.
		if os.Getenv("PRENV_RENDER_CHILD") == "1" {
			t.Skip("in the child")
		}
		for _, env := range [][]string{
			{"TZ=UTC", "LC_ALL=C"},
			{"TZ=Asia/Kathmandu", "LC_ALL=tr_TR.UTF-8"},
			{"TZ=America/St_Johns", "LC_ALL=de_DE.UTF-8", "LANG=ja_JP.UTF-8"},
			{"TZ=Pacific/Chatham", "GOMAXPROCS=1"},
		} {
			cmd := exec.Command(os.Args[0], "-test.run=^TestDeterministicChild$", "-test.count=1")
			cmd.Env = append(append(os.Environ(), "PRENV_RENDER_CHILD=1"), env...)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v: %v", env, err)
			}
			got, _, ok := bytes.Cut(out, []byte("\n--- end of render ---\n"))
			if !ok || !bytes.Equal(first, got) {
				t.Errorf("%v changes the output", env)
			}
		}
	})
	t.Run("GOMAXPROCS", func(t *testing.T) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
		for _, n := range []int{1, 2, 7} {
			runtime.GOMAXPROCS(n)
			if !bytes.Equal(first, renderBytes()) {
				t.Errorf("GOMAXPROCS=%d changes the output", n)
			}
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		results := make([][]byte, 8)
		for i := range results {
			wg.Go(func() {
				out, err := testkit.LoadAndRender(data, 4711)
				if err != nil {
					t.Error(err)
					return
				}
				results[i], _ = out.YAML()
			})
		}
		wg.Wait()
		for i, r := range results {
			if !bytes.Equal(first, r) {
				t.Errorf("concurrent render %d differs", i)
			}
		}
	})
}
