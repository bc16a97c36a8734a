package apiserver_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// prsPerApp is the number of pull requests opened for each app.
const prsPerApp = 25

// closeBatch is how many PRs are closed at once: their Namespaces are
// deleted together and the test waits until all are gone.
const closeBatch = 5

// lifecycleApp is an example app with the objects one env of it holds.
type lifecycleApp struct {
	name string
	// kinds counts one env's objects by Kind[.group].
	kinds map[string]int
	// updated counts the objects the allowed update changes: the AWS
	// resources, which all carry the new tag (and the first queue has a new
	// visibility timeout).
	updated map[string]int
}

var lifecycleApps = []lifecycleApp{
	{
		// A table, and a queue with its dead-letter queue.
		name: "web",
		kinds: map[string]int{
			"Namespace": 1, "ServiceAccount": 1, "ConfigMap": 1,
			"NetworkPolicy.networking.k8s.io": 5, "ResourceQuota": 1, "LimitRange": 1,
			"Policy.iam.services.k8s.aws": 1, "Role.iam.services.k8s.aws": 1,
			"Table.dynamodb.services.k8s.aws": 1, "Queue.sqs.services.k8s.aws": 2,
		},
		updated: map[string]int{
			"Policy.iam.services.k8s.aws": 1, "Role.iam.services.k8s.aws": 1,
			"Table.dynamodb.services.k8s.aws": 1, "Queue.sqs.services.k8s.aws": 2,
		},
	},
	{
		// A table, a FIFO queue with its dead-letter queue and a standard
		// queue.
		name: "worker",
		kinds: map[string]int{
			"Namespace": 1, "ServiceAccount": 1, "ConfigMap": 1,
			"NetworkPolicy.networking.k8s.io": 5, "ResourceQuota": 1, "LimitRange": 1,
			"Policy.iam.services.k8s.aws": 1, "Role.iam.services.k8s.aws": 1,
			"Table.dynamodb.services.k8s.aws": 1, "Queue.sqs.services.k8s.aws": 3,
		},
		updated: map[string]int{
			"Policy.iam.services.k8s.aws": 1, "Role.iam.services.k8s.aws": 1,
			"Table.dynamodb.services.k8s.aws": 1, "Queue.sqs.services.k8s.aws": 3,
		},
	},
}

// The PR's changes, as `render env --set` overrides.
var (
	// allowedChange retags every AWS resource and changes a queue
	// attribute: both may change on a live resource.
	allowedChange = []spec.Override{
		{Expr: "spec.tags.stage=updated"},
		{Expr: "spec.sqs.queues[0].visibilityTimeoutSeconds=60"},
	}
	// forbiddenChange renames the first table's hash key: a key schema is
	// fixed when the table is created (the CRD's transition rule
	// self == oldSelf, and DynamoDB's own rule).
	forbiddenChange = []spec.Override{
		{Expr: "spec.dynamodb.tables[0].attributes[0].name=pk"},
		{Expr: "spec.dynamodb.tables[0].hashKey=pk"},
	}
)

// prEnv is one open pull request.
type prEnv struct {
	app       lifecycleApp
	pr        int
	namespace string
	objs      []*unstructured.Unstructured // as last applied
}

// TestPRLifecycle runs 50 pull requests of two apps (web and worker, PRs 1
// to 25 each) through their life on the API server:
//
//   - open: every PR's env is applied; the server holds exactly the
//     rendered objects, counted by kind;
//   - update, allowed: a new tag and queue setting render, pass prenv's
//     validation with the previous render (render env --previous), apply
//     and are stored, and change exactly the AWS resources of the PRs;
//   - update, forbidden: a renamed hash key is refused by prenv's
//     validation with the previous render, at spec.keySchema of the Table,
//     and then by the server, for the Table only; nothing changes;
//   - close: the PRs' Namespaces are deleted, closeBatch at a time; once
//     they are gone, exactly their objects are gone and no object of any
//     other PR has changed (same resourceVersion).
func TestPRLifecycle(t *testing.T) {
	cl := client(t)
	ctx := context.Background()
	renderer, err := render.NewRenderer(render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	renderEnv := func(t *testing.T, app string, pr int, overrides ...spec.Override) []*unstructured.Unstructured {
		t.Helper()
		out, err := renderer.Render(ctx, loadSpec(t, app, overrides...), pr)
		if err != nil {
			t.Fatal(err)
		}
		return printed(t, out.Objects)
	}

	var envs []*prEnv
	wantKinds := map[string]int{}
	for _, app := range lifecycleApps {
		for pr := 1; pr <= prsPerApp; pr++ {
			envs = append(envs, &prEnv{app: app, pr: pr})
			for k, n := range app.kinds {
				wantKinds[k] += n
			}
		}
	}
	if len(envs) != 50 {
		t.Fatalf("%d PRs, want 50", len(envs))
	}
	open := map[string]bool{} // namespaces of open PRs
	keep := func(k cluster.ObjectKey) bool {
		if k.Group == "" && k.Kind == "Namespace" && k.Namespace == "" {
			return open[k.Name]
		}
		return open[k.Namespace]
	}
	snapshot := func(t *testing.T) cluster.Snapshot {
		t.Helper()
		s, err := cl.Snapshot(ctx, keep)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Open.
	start := time.Now()
	applied := 0
	for _, e := range envs {
		e.objs = renderEnv(t, e.app.name, e.pr)
		mustValidate(t, e.objs, nil)
		e.namespace = e.objs[0].GetName()
		if open[e.namespace] {
			t.Fatalf("two PRs share namespace %s", e.namespace)
		}
		open[e.namespace] = true
		for _, o := range e.objs {
			stored, err := cl.Apply(ctx, o, cluster.ApplyOptions{})
			if err != nil {
				t.Fatalf("open %s PR %d: apply %s: %v", e.app.name, e.pr, objectName(o), err)
			}
			for _, d := range subsetDiff("", o.Object, stored.Object) {
				t.Errorf("open %s PR %d: %s: %s", e.app.name, e.pr, objectName(o), d)
			}
			applied++
		}
	}
	for _, w := range cl.TakeWarnings() {
		t.Errorf("opening: the server warned: %s", w)
	}
	opened := snapshot(t)
	if got := kindCounts(slices.Collect(maps.Keys(opened))); !maps.Equal(got, wantKinds) {
		t.Fatalf("after opening 50 PRs the server holds %v, want %v", got, wantKinds)
	}
	if applied != len(opened) || applied != 775 {
		t.Fatalf("applied %d objects, the server holds %d of the PRs', want 775 (25 × 15 for web, 25 × 16 for worker)", applied, len(opened))
	}
	t.Logf("opened 50 PRs: %d objects in %s", applied, time.Since(start).Round(time.Millisecond))

	// Update, allowed.
	start = time.Now()
	for _, e := range envs {
		next := renderEnv(t, e.app.name, e.pr, allowedChange...)
		mustValidate(t, next, e.objs)
		for _, o := range next {
			stored, err := cl.Apply(ctx, o, cluster.ApplyOptions{})
			if err != nil {
				t.Fatalf("update %s PR %d: apply %s: %v", e.app.name, e.pr, objectName(o), err)
			}
			for _, d := range subsetDiff("", o.Object, stored.Object) {
				t.Errorf("update %s PR %d: %s: %s", e.app.name, e.pr, objectName(o), d)
			}
		}
		e.objs = next
	}
	for _, w := range cl.TakeWarnings() {
		t.Errorf("updating: the server warned: %s", w)
	}
	updated := snapshot(t)
	wantChanged := map[string]int{}
	for _, e := range envs {
		for k, n := range e.app.updated {
			wantChanged[k] += n
		}
	}
	var changed []cluster.ObjectKey
	for k, rv := range opened {
		switch nrv, ok := updated[k]; {
		case !ok:
			t.Errorf("the allowed update removed %s", k)
		case nrv != rv:
			changed = append(changed, k)
		}
	}
	if len(updated) != len(opened) {
		t.Errorf("the allowed update left %d objects, want %d", len(updated), len(opened))
	}
	if got := kindCounts(changed); !maps.Equal(got, wantChanged) {
		t.Errorf("the allowed update changed %v, want %v", got, wantChanged)
	}
	t.Logf("updated 50 PRs (%d objects changed) in %s", len(changed), time.Since(start).Round(time.Millisecond))

	// Update, forbidden.
	start = time.Now()
	refusedByPrenv, refusedByServer := 0, 0
	for _, e := range envs {
		next := renderEnv(t, e.app.name, e.pr, append(slices.Clone(allowedChange), forbiddenChange...)...)
		// Alone, the new render is valid: only the update is refused.
		mustValidate(t, next, nil)
		res, err := validator(t).ValidateObjects(ctx, next, e.objs)
		if err != nil {
			t.Fatal(err)
		}
		atKeySchema := false
		for _, p := range res.Problems {
			if p.Kind != "Table" {
				t.Errorf("%s PR %d: render env --previous refuses %s, not only the Table: %s", e.app.name, e.pr, p.Object(), p)
			}
			atKeySchema = atKeySchema || p.Field == "spec.keySchema"
		}
		if !atKeySchema {
			t.Errorf("%s PR %d: render env --previous does not refuse the new key schema (problems: %v)", e.app.name, e.pr, res.Problems)
		} else {
			refusedByPrenv++
		}
		for _, o := range next {
			_, err := cl.Apply(ctx, o, cluster.ApplyOptions{})
			switch {
			case o.GetKind() == "Table" && err == nil:
				t.Errorf("%s PR %d: the server accepted the new key schema of %s", e.app.name, e.pr, objectName(o))
			case o.GetKind() == "Table" && !strings.Contains(err.Error(), "spec.keySchema"):
				t.Errorf("%s PR %d: the server refused %s, but not at spec.keySchema: %v", e.app.name, e.pr, objectName(o), err)
			case o.GetKind() == "Table":
				refusedByServer++
			case err != nil:
				t.Errorf("%s PR %d: apply %s: %v", e.app.name, e.pr, objectName(o), err)
			}
		}
	}
	if refusedByPrenv != 50 || refusedByServer != 50 {
		t.Errorf("the key schema change was refused by prenv in %d PRs and by the server in %d, want 50 and 50", refusedByPrenv, refusedByServer)
	}
	if d := updated.Diff(snapshot(t)); len(d) > 0 {
		t.Errorf("the refused update changed objects on the server:\n%s", strings.Join(d, "\n"))
	}
	t.Logf("refused the key schema change of 50 PRs in %s", time.Since(start).Round(time.Millisecond))

	// Close.
	start = time.Now()
	before := updated
	closed := 0
	for i := 0; i < len(envs); i += closeBatch {
		batch := envs[i:min(i+closeBatch, len(envs))]
		var want []string
		done := make(chan error, len(batch))
		for _, e := range batch {
			for k := range before {
				if k.Namespace == e.namespace || (k.Kind == "Namespace" && k.Name == e.namespace) {
					want = append(want, "removed "+k.String())
				}
			}
			go func() { done <- cl.DeleteNamespace(ctx, e.namespace, 3*time.Minute) }()
		}
		for range batch {
			if err := <-done; err != nil {
				t.Fatalf("closing: %v", err)
			}
		}
		// Still open: the snapshot must show them unchanged, and nothing
		// of the closed PRs.
		after, err := cl.Snapshot(ctx, keep)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(want)
		if got := before.Diff(after); !slices.Equal(got, want) {
			t.Fatalf("closing %s: the server changed\n%s\nwant exactly\n%s", names(batch), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		wantRemoved := 0
		for _, e := range batch {
			for _, n := range e.app.kinds {
				wantRemoved += n
			}
		}
		if len(want) != wantRemoved {
			t.Fatalf("closing %s removed %d objects, want %d", names(batch), len(want), wantRemoved)
		}
		closed += len(batch)
		for _, e := range batch {
			delete(open, e.namespace)
		}
		// The closed PRs' keys leave the comparison.
		before = after
		for k := range before {
			if !keep(k) {
				delete(before, k)
			}
		}
	}
	if closed != 50 || len(before) != 0 {
		t.Errorf("closed %d PRs, %d of their objects left, want 50 and 0", closed, len(before))
	}
	t.Logf("closed 50 PRs in %s", time.Since(start).Round(time.Millisecond))
}

func names(envs []*prEnv) string {
	var s []string
	for _, e := range envs {
		s = append(s, fmt.Sprintf("%s PR %d", e.app.name, e.pr))
	}
	return strings.Join(s, ", ")
}
