package leftovers_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"prenv.dev/prenv/leftovers"
	"prenv.dev/prenv/outputdir"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// loadExample reads examples/<name>/prenv.yaml.
func loadExample(t *testing.T, name string) *spec.PreviewEnvironment {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", name, "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// webWorker are the web (prefix test) and worker (prefix preview) specs.
func webWorker(t *testing.T) []*spec.PreviewEnvironment {
	return []*spec.PreviewEnvironment{loadExample(t, "web"), loadExample(t, "worker")}
}

// fakeCluster serves objects by kind; kinds in notServed are not served,
// those in failing fail.
type fakeCluster struct {
	objs      map[spec.GroupKind][]leftovers.Object
	notServed map[spec.GroupKind]bool
	failing   map[spec.GroupKind]error
	// selectors records the selector of each List call, by Kind[.group].
	selectors map[string]string
}

func (c *fakeCluster) List(_ context.Context, k spec.GroupKind, selector string) ([]leftovers.Object, error) {
	if c.selectors == nil {
		c.selectors = map[string]string{}
	}
	name := k.Kind
	if k.Group != "" {
		name += "." + k.Group
	}
	c.selectors[name] = selector
	if c.notServed[k] {
		return nil, fmt.Errorf("%s: %w", name, leftovers.ErrKindNotServed)
	}
	if err := c.failing[k]; err != nil {
		return nil, err
	}
	var out []leftovers.Object
	for _, o := range c.objs[k] {
		// The fake implements the one selector Find uses.
		if selector == leftovers.Selector && (o.Labels[spec.LabelManagedBy] != spec.ManagedByValue || o.Labels[spec.LabelPR] == "") {
			continue
		}
		o.Kind = k
		out = append(out, o)
	}
	return out, nil
}

var (
	kNamespace   = spec.GroupKind{Kind: "Namespace"}
	kRole        = spec.GroupKind{Group: spec.GroupIAM, Kind: "Role"}
	kPolicy      = spec.GroupKind{Group: spec.GroupIAM, Kind: "Policy"}
	kTable       = spec.GroupKind{Group: spec.GroupDynamoDB, Kind: "Table"}
	kQueue       = spec.GroupKind{Group: spec.GroupSQS, Kind: "Queue"}
	kApplication = spec.GroupKind{Group: "argoproj.io", Kind: "Application"}
	kBucket      = spec.GroupKind{Group: spec.GroupS3, Kind: "Bucket"}
	kPodIdentity = spec.GroupKind{Group: spec.GroupEKS, Kind: "PodIdentityAssociation"}
)

// labels are prenv's labels of an env.
func labels(app string, pr, env string) map[string]string {
	return map[string]string{spec.LabelManagedBy: spec.ManagedByValue, spec.LabelApp: app, spec.LabelPR: pr, spec.LabelEnv: env}
}

func ns(env, app, pr string) leftovers.Object {
	return leftovers.Object{Name: env, Labels: labels(app, pr, env)}
}

func in(namespace, name, app, pr, env string) leftovers.Object {
	return leftovers.Object{Namespace: namespace, Name: name, Labels: labels(app, pr, env)}
}

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestFindCluster(t *testing.T) {
	cl := &fakeCluster{
		objs: map[spec.GroupKind][]leftovers.Object{
			kNamespace: {
				ns("test-1-web", "web", "1"),          // open
				ns("test-3-web", "web", "3"),          // closed
				ns("preview-2-worker", "worker", "2"), // open
				ns("test-4-gone", "gone", "4"),        // an app without spec, our prefix
				ns("other-5-x", "x", "5"),             // another prenv's
				ns("old-1-web", "web", "1"),           // the spec's prefix changed
				ns("test-7-web", "web", "07"),         // a label prenv does not write
				{Name: "kube-system"},
				{Name: "test-9-web"}, // not labelled: not prenv's
			},
			kRole: {
				in("test-3-web", "web", "web", "3", "test-3-web"),
				in("test-1-web", "web", "web", "1", "test-1-web"),
				{Namespace: "test-8-web", Name: "web", Labels: map[string]string{spec.LabelApp: "web", spec.LabelPR: "8", spec.LabelEnv: "test-8-web"}}, // not managed by prenv
			},
			kTable: {
				in("preview-2-worker", "worker-jobs", "worker", "2", "preview-2-worker"),
				in("preview-5-worker", "worker-jobs", "worker", "5", "preview-5-worker"),
			},
			kBucket: {
				in("test-3-web", "uploads", "web", "3", "test-3-web"),
				in("test-1-web", "uploads", "web", "1", "test-1-web"),
			},
			kPodIdentity: {
				in("test-3-web", "web", "web", "3", "test-3-web"),
			},
			kApplication: {
				in("argocd", "test-3-web", "web", "3", "test-3-web"),
				in("argocd", "test-1-web", "web", "1", "test-1-web"),
				// An ApplicationSet's labels, without a PR: not selected.
				{Namespace: "argocd", Name: "test-web", Labels: map[string]string{spec.LabelManagedBy: spec.ManagedByValue, spec.LabelApp: "web"}},
			},
		},
		notServed: map[spec.GroupKind]bool{kQueue: true},
	}
	rep, err := leftovers.Find(context.Background(), leftovers.Options{
		Specs: webWorker(t), OpenPRs: []int{1, 2}, Now: now, Cluster: cl,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cluster Application.argoproj.io argocd/test-3-web env=test-3-web pr=3 app=web: pr-closed",
		"cluster Bucket.s3.services.k8s.aws test-3-web/uploads env=test-3-web pr=3 app=web: pr-closed",
		"cluster Namespace /old-1-web env=old-1-web pr=1 app=web: env-mismatch",
		"cluster Namespace /test-3-web env=test-3-web pr=3 app=web: pr-closed",
		"cluster Namespace /test-4-gone env=test-4-gone pr=4 app=gone: unknown-app",
		"cluster Namespace /test-7-web env=test-7-web pr=0 app=web: env-mismatch",
		"cluster PodIdentityAssociation.eks.services.k8s.aws test-3-web/web env=test-3-web pr=3 app=web: pr-closed",
		"cluster Role.iam.services.k8s.aws test-3-web/web env=test-3-web pr=3 app=web: pr-closed",
		"cluster Table.dynamodb.services.k8s.aws preview-5-worker/worker-jobs env=preview-5-worker pr=5 app=worker: pr-closed",
	}
	if d := cmp.Diff(want, summarize(rep.Leftovers)); d != "" {
		t.Errorf("leftovers (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"Queue.sqs.services.k8s.aws"}, rep.Skipped); d != "" {
		t.Errorf("skipped (-want +got):\n%s", d)
	}
	if len(rep.Failures) != 0 {
		t.Errorf("failures: %v", rep.Failures)
	}
	// Labelled objects of the specs' apps and prefixes.
	if got := rep.Checked[leftovers.SourceCluster]; got != 15 {
		t.Errorf("checked %d cluster objects, want 15", got)
	}
	if cl.selectors["Namespace"] != "" || cl.selectors["Role.iam.services.k8s.aws"] != "app.kubernetes.io/managed-by=prenv,prenv.dev/pr" {
		t.Errorf("selectors: %v", cl.selectors)
	}
	details := map[string]string{}
	for _, l := range rep.Leftovers {
		details[l.Name+" "+string(l.Reason)] = l.Detail
	}
	for k, frag := range map[string]string{
		"old-1-web env-mismatch":   `env "old-1-web" is not the env the spec of web gives PR 1 ("test-1-web")`,
		"test-7-web env-mismatch":  `prenv.dev/pr "07" is not a pull-request number`,
		"test-4-gone unknown-app":  `app "gone" has no spec, but env "test-4-gone" has a spec's prefix`,
		"test-3-web pr-closed":     "pull request 3 is not open",
		"worker-jobs pr-closed":    "pull request 5 is not open",
		"test-3-web/web pr-closed": "",
	} {
		if frag != "" && !strings.Contains(details[k], frag) {
			t.Errorf("%s: detail %q, want it to contain %q", k, details[k], frag)
		}
	}
}

// summarize writes leftovers one a line, for comparison.
func summarize(ls []leftovers.Leftover) []string {
	out := []string{}
	for _, l := range ls {
		id := l.Namespace + "/" + l.Name
		if l.Source == leftovers.SourceAWS {
			id = l.ARN
		} else if l.Source == leftovers.SourceTree {
			id = l.Name
		}
		out = append(out, fmt.Sprintf("%s %s %s env=%s pr=%d app=%s: %s", l.Source, l.Kind, id, l.Env, l.PR, l.App, l.Reason))
	}
	return out
}

func TestFindTTL(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	withTTL := func(o leftovers.Object, ttl string) leftovers.Object {
		o.CreationTimestamp = created
		o.Annotations = map[string]string{leftovers.AnnotationTTL: ttl}
		return o
	}
	cl := &fakeCluster{objs: map[spec.GroupKind][]leftovers.Object{
		kNamespace: {
			withTTL(ns("test-1-web", "web", "1"), "72h"),
			withTTL(ns("test-2-web", "web", "2"), "73h"),
			withTTL(ns("test-3-web", "web", "3"), "soon"), // not a duration: ignored
			withTTL(ns("test-4-web", "web", "4"), "1h"),   // closed: reported as closed
			ns("test-5-web", "web", "5"),                  // no TTL
		},
		kRole: {
			in("test-1-web", "web", "web", "1", "test-1-web"),
			in("test-2-web", "web", "web", "2", "test-2-web"),
		},
		kApplication: {in("argocd", "test-1-web", "web", "1", "test-1-web")},
	}}
	specs := []*spec.PreviewEnvironment{loadExample(t, "web")}
	expiry := created.Add(72 * time.Hour)
	for _, tc := range []struct {
		now  time.Time
		want []string
	}{
		{now: expiry, want: []string{
			// At the expiry instant the env is still within its TTL.
			"cluster Namespace /test-4-web env=test-4-web pr=4 app=web: pr-closed",
		}},
		{now: expiry.Add(time.Second), want: []string{
			"cluster Application.argoproj.io argocd/test-1-web env=test-1-web pr=1 app=web: ttl-expired",
			"cluster Namespace /test-1-web env=test-1-web pr=1 app=web: ttl-expired",
			"cluster Namespace /test-4-web env=test-4-web pr=4 app=web: pr-closed",
			"cluster Role.iam.services.k8s.aws test-1-web/web env=test-1-web pr=1 app=web: ttl-expired",
		}},
		{now: expiry.Add(time.Hour + time.Second), want: []string{
			"cluster Application.argoproj.io argocd/test-1-web env=test-1-web pr=1 app=web: ttl-expired",
			"cluster Namespace /test-1-web env=test-1-web pr=1 app=web: ttl-expired",
			"cluster Namespace /test-2-web env=test-2-web pr=2 app=web: ttl-expired",
			"cluster Namespace /test-4-web env=test-4-web pr=4 app=web: pr-closed",
			"cluster Role.iam.services.k8s.aws test-1-web/web env=test-1-web pr=1 app=web: ttl-expired",
			"cluster Role.iam.services.k8s.aws test-2-web/web env=test-2-web pr=2 app=web: ttl-expired",
		}},
	} {
		t.Run(tc.now.Format(time.RFC3339), func(t *testing.T) {
			rep, err := leftovers.Find(context.Background(), leftovers.Options{Specs: specs, OpenPRs: []int{1, 2, 3, 5}, Now: tc.now, Cluster: cl})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, summarize(rep.Leftovers)); d != "" {
				t.Errorf("leftovers (-want +got):\n%s", d)
			}
			for _, l := range rep.Leftovers {
				if l.Reason == leftovers.ReasonTTLExpired && l.Env == "test-1-web" {
					const want = "the env's Namespace was created at 2026-01-01T00:00:00Z with a TTL of 72h: it expired at 2026-01-04T00:00:00Z"
					if l.Detail != want {
						t.Errorf("detail %q, want %q", l.Detail, want)
					}
				}
			}
		})
	}
}

// fakeAWS serves tagged resources and IAM entities; kept records the IAM
// names keep allowed, as path+name.
type fakeAWS struct {
	tagged   []leftovers.Resource
	roles    map[string]leftovers.Resource // path+name → resource
	policies map[string]leftovers.Resource
	tagErr   error
	kept     []string
}

func (a *fakeAWS) TaggedResources(_ context.Context, key string) ([]leftovers.Resource, error) {
	var out []leftovers.Resource
	for _, r := range a.tagged {
		if _, ok := r.Tags[key]; ok {
			out = append(out, r)
		}
	}
	return out, a.tagErr
}

func (a *fakeAWS) iam(m map[string]leftovers.Resource, keep func(path, name string) bool) []leftovers.Resource {
	var out []leftovers.Resource
	for _, pn := range slices.Sorted(mapsKeys(m)) {
		i := strings.LastIndex(pn, "/")
		if keep(pn[:i+1], pn[i+1:]) {
			a.kept = append(a.kept, pn)
			out = append(out, m[pn])
		}
	}
	return out
}

func mapsKeys(m map[string]leftovers.Resource) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (a *fakeAWS) IAMRoles(_ context.Context, keep func(path, name string) bool) ([]leftovers.Resource, error) {
	return a.iam(a.roles, keep), nil
}

func (a *fakeAWS) IAMPolicies(_ context.Context, keep func(path, name string) bool) ([]leftovers.Resource, error) {
	return a.iam(a.policies, keep), nil
}

func tags(app, pr, env string) map[string]string {
	return map[string]string{spec.LabelApp: app, spec.LabelPR: pr, spec.LabelEnv: env, "team": "x"}
}

func newFakeAWS() *fakeAWS {
	return &fakeAWS{
		tagged: []leftovers.Resource{
			{ARN: "arn:aws:dynamodb:ap-northeast-1:123456789012:table/test-1-web_sessions", Tags: tags("web", "1", "test-1-web")},
			{ARN: "arn:aws:dynamodb:ap-northeast-1:123456789012:table/test-3-web_sessions", Tags: tags("web", "3", "test-3-web")},
			{ARN: "arn:aws:sqs:ap-northeast-1:123456789012:test-3-web_jobs_dlq", Tags: tags("web", "3", "test-3-web")},
			{ARN: "arn:aws:s3:::test-3-web-uploads--pqhbz5zmoyb2vcn5ab5zmsplvi", Tags: tags("web", "3", "test-3-web")},
			{ARN: "arn:aws:s3:::test-1-web-uploads--4w3m6vsddvtzhwxqn3vfihmtxe", Tags: tags("web", "1", "test-1-web")},
			{ARN: "arn:aws:eks:ap-northeast-1:123456789012:podidentityassociation/previews/a-3abcdefghijklmnop", Tags: tags("web", "3", "test-3-web")},
			{ARN: "arn:aws:sqs:us-east-1:210987654321:preview-6-worker_in.fifo", Tags: tags("worker", "6", "preview-6-worker")},
			{ARN: "arn:aws:sqs:us-east-1:210987654321:test-8-gone_q", Tags: tags("gone", "8", "test-8-gone")},
			{ARN: "arn:aws:sqs:us-east-1:210987654321:other-1-x_q", Tags: tags("x", "1", "other-1-x")},
			{ARN: "arn:aws:sqs:us-east-1:210987654321:unrelated", Tags: map[string]string{"team": "x"}},
		},
		roles: map[string]leftovers.Resource{
			"/test-1-web":         {ARN: "arn:aws:iam::123456789012:role/test-1-web", Tags: tags("web", "1", "test-1-web")},
			"/test-3-web":         {ARN: "arn:aws:iam::123456789012:role/test-3-web", Tags: tags("web", "3", "test-3-web")},
			"/admin":              {ARN: "arn:aws:iam::123456789012:role/admin"},
			"/team/test-3-web":    {ARN: "arn:aws:iam::123456789012:role/team/test-3-web", Tags: tags("web", "3", "test-3-web")},
			"/test-4-web":         {ARN: "arn:aws:iam::123456789012:role/test-4-web", Tags: map[string]string{"team": "x"}},
			"/preview-5-worker":   {ARN: "arn:aws:iam::210987654321:role/preview-5-worker", Tags: tags("worker", "5", "preview-6-worker")},
			"/preview-6-worker":   {ARN: "arn:aws:iam::210987654321:role/preview-6-worker", Tags: tags("worker", "6", "preview-6-worker")},
			"/preview-2-worker":   {ARN: "arn:aws:iam::210987654321:role/preview-2-worker", Tags: tags("worker", "2", "preview-2-worker")},
			"/preview-02-worker":  {ARN: "arn:aws:iam::210987654321:role/preview-02-worker", Tags: tags("worker", "2", "preview-2-worker")},
			"/aws-service-role/x": {ARN: "arn:aws:iam::210987654321:role/aws-service-role/x"},
		},
		policies: map[string]leftovers.Resource{
			"/test-3-web":   {ARN: "arn:aws:iam::123456789012:policy/test-3-web", Tags: tags("web", "3", "test-3-web")},
			"/test-3-web_2": {ARN: "arn:aws:iam::123456789012:policy/test-3-web_2", Tags: tags("web", "3", "test-3-web")},
			"/test-1-web":   {ARN: "arn:aws:iam::123456789012:policy/test-1-web", Tags: tags("web", "1", "test-1-web")},
			"/ReadOnly":     {ARN: "arn:aws:iam::123456789012:policy/ReadOnly"},
		},
	}
}

func TestFindAWS(t *testing.T) {
	wantAWS := []string{
		"aws dynamodb:table arn:aws:dynamodb:ap-northeast-1:123456789012:table/test-3-web_sessions env=test-3-web pr=3 app=web: no-env",
		"aws eks:podidentityassociation arn:aws:eks:ap-northeast-1:123456789012:podidentityassociation/previews/a-3abcdefghijklmnop env=test-3-web pr=3 app=web: no-env",
		"aws iam:policy arn:aws:iam::123456789012:policy/test-3-web env=test-3-web pr=3 app=web: no-env",
		"aws iam:policy arn:aws:iam::123456789012:policy/test-3-web_2 env=test-3-web pr=3 app=web: no-env",
		"aws iam:role arn:aws:iam::123456789012:role/test-3-web env=test-3-web pr=3 app=web: no-env",
		"aws s3:bucket arn:aws:s3:::test-3-web-uploads--pqhbz5zmoyb2vcn5ab5zmsplvi env=test-3-web pr=3 app=web: no-env",
		"aws sqs:queue arn:aws:sqs:ap-northeast-1:123456789012:test-3-web_jobs_dlq env=test-3-web pr=3 app=web: no-env",
		"aws sqs:queue arn:aws:sqs:us-east-1:210987654321:test-8-gone_q env=test-8-gone pr=8 app=gone: no-env",
	}
	t.Run("with the cluster's Namespaces", func(t *testing.T) {
		// PR 6 of worker is closed, but its Namespace is still there:
		// the Namespace is the leftover, not its resources.
		cl := &fakeCluster{objs: map[spec.GroupKind][]leftovers.Object{kNamespace: {
			ns("test-1-web", "web", "1"), ns("preview-6-worker", "worker", "6"), ns("preview-2-worker", "worker", "2"),
		}}}
		a := newFakeAWS()
		rep, err := leftovers.Find(context.Background(), leftovers.Options{Specs: webWorker(t), OpenPRs: []int{1, 2}, Now: now, Cluster: cl, AWS: a})
		if err != nil {
			t.Fatal(err)
		}
		want := append(slices.Clone(wantAWS), "cluster Namespace /preview-6-worker env=preview-6-worker pr=6 app=worker: pr-closed")
		if d := cmp.Diff(want, summarize(rep.Leftovers)); d != "" {
			t.Errorf("leftovers (-want +got):\n%s", d)
		}
		// Only roles and policies at path / named as an env of a spec's
		// prefix have their tags read.
		wantKept := []string{
			"/preview-2-worker", "/preview-5-worker", "/preview-6-worker", "/test-1-web", "/test-3-web", "/test-4-web",
			"/test-1-web", "/test-3-web", "/test-3-web_2",
		}
		if d := cmp.Diff(wantKept, a.kept); d != "" {
			t.Errorf("IAM names kept (-want +got):\n%s", d)
		}
		var detail string
		for _, l := range rep.Leftovers {
			if l.Name == "test-8-gone_q" {
				detail = l.Detail
			}
		}
		if want := `no Namespace "test-8-gone" holds this resource's env (app "gone" has no spec, but env "test-8-gone" has a spec's prefix)`; detail != want {
			t.Errorf("detail %q, want %q", detail, want)
		}
	})
	t.Run("without a cluster, the open PRs' envs", func(t *testing.T) {
		rep, err := leftovers.Find(context.Background(), leftovers.Options{Specs: webWorker(t), OpenPRs: []int{1, 2}, Now: now, AWS: newFakeAWS()})
		if err != nil {
			t.Fatal(err)
		}
		// Sorted by kind, then name.
		want := []string{
			wantAWS[0], wantAWS[1], wantAWS[2], wantAWS[3],
			"aws iam:role arn:aws:iam::210987654321:role/preview-6-worker env=preview-6-worker pr=6 app=worker: no-env",
			wantAWS[4], wantAWS[5],
			"aws sqs:queue arn:aws:sqs:us-east-1:210987654321:preview-6-worker_in.fifo env=preview-6-worker pr=6 app=worker: no-env",
			wantAWS[6], wantAWS[7],
		}
		if d := cmp.Diff(want, summarize(rep.Leftovers)); d != "" {
			t.Errorf("leftovers (-want +got):\n%s", d)
		}
		const detail = `"test-3-web" is the env of no open pull request (the cluster's Namespaces were not read)`
		if got := rep.Leftovers[0].Detail; got != detail {
			t.Errorf("detail %q, want %q", got, detail)
		}
	})
	t.Run("a failing tagging API", func(t *testing.T) {
		a := newFakeAWS()
		a.tagged, a.tagErr = nil, errors.New("AccessDenied")
		rep, err := leftovers.Find(context.Background(), leftovers.Options{Specs: webWorker(t), OpenPRs: []int{1, 2}, Now: now, AWS: a})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Failures) != 1 || rep.Failures[0].Error() != "aws: tagging API GetResources: AccessDenied" {
			t.Errorf("failures %v, want the tagging API's", rep.Failures)
		}
		// IAM is still read.
		if n := len(rep.Leftovers); n != 4 {
			t.Errorf("%d leftovers, want 4 from IAM: %v", n, summarize(rep.Leftovers))
		}
	})
}

func TestFindTree(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	specs := webWorker(t)
	if _, err := render.Sync(ctx, dir, specs, []int{1, 2, 3}, render.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	// A folder of an app whose spec is gone, one without prenv's marker
	// and a file at the top: only the first is a leftover.
	for _, p := range []string{"gone/pr-4/" + outputdir.MarkerFile, "web/pr-9/notes.txt", "README.md"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := leftovers.Find(ctx, leftovers.Options{Specs: specs, OpenPRs: []int{1, 3}, Now: now, TreeDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"tree folder gone/pr-4 env= pr=4 app=gone: unknown-app",
		"tree folder web/pr-2 env=test-2-web pr=2 app=web: pr-closed",
		"tree folder worker/pr-2 env=preview-2-worker pr=2 app=worker: pr-closed",
	}
	if d := cmp.Diff(want, summarize(rep.Leftovers)); d != "" {
		t.Errorf("leftovers (-want +got):\n%s", d)
	}
	if got := rep.Checked[leftovers.SourceTree]; got != 7 {
		t.Errorf("checked %d folders, want 7", got)
	}

	// A one-spec tree: pr-<n>/ at the top.
	one := t.TempDir()
	if _, err := render.Sync(ctx, one, specs[:1], []int{5, 6}, render.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err = leftovers.Find(ctx, leftovers.Options{Specs: specs[:1], OpenPRs: []int{6}, Now: now, TreeDir: one})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"tree folder pr-5 env=test-5-web pr=5 app=web: pr-closed"}, summarize(rep.Leftovers)); d != "" {
		t.Errorf("one-spec tree (-want +got):\n%s", d)
	}
	// The same tree read with two specs: its folders name no app.
	rep, err = leftovers.Find(ctx, leftovers.Options{Specs: specs, OpenPRs: []int{5, 6}, Now: now, TreeDir: one})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{
		"tree folder pr-5 env= pr=5 app=: unknown-app",
		"tree folder pr-6 env= pr=6 app=: unknown-app",
	}, summarize(rep.Leftovers)); d != "" {
		t.Errorf("one-spec tree read with two specs (-want +got):\n%s", d)
	}
	// A missing tree is a failure of its source.
	rep, err = leftovers.Find(ctx, leftovers.Options{Specs: specs, Now: now, TreeDir: filepath.Join(dir, "missing")})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failures) != 1 || rep.Failures[0].Source != leftovers.SourceTree {
		t.Errorf("failures %v, want one of the tree", rep.Failures)
	}
}

func TestFindClusterFailure(t *testing.T) {
	cl := &fakeCluster{
		objs: map[spec.GroupKind][]leftovers.Object{
			kNamespace: {ns("test-3-web", "web", "3")},
			kPolicy:    {in("test-3-web", "web", "web", "3", "test-3-web")},
		},
		failing: map[spec.GroupKind]error{kRole: errors.New("forbidden")},
	}
	rep, err := leftovers.Find(context.Background(), leftovers.Options{Specs: webWorker(t), OpenPRs: []int{1}, Now: now, Cluster: cl})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failures) != 1 || rep.Failures[0].Error() != "cluster: Role.iam.services.k8s.aws: forbidden" {
		t.Errorf("failures %v", rep.Failures)
	}
	want := []string{
		"cluster Namespace /test-3-web env=test-3-web pr=3 app=web: pr-closed",
		"cluster Policy.iam.services.k8s.aws test-3-web/web env=test-3-web pr=3 app=web: pr-closed",
	}
	if d := cmp.Diff(want, summarize(rep.Leftovers)); d != "" {
		t.Errorf("leftovers (-want +got):\n%s", d)
	}
}

func TestFindInvalidOptions(t *testing.T) {
	web := loadExample(t, "web")
	bad := loadExample(t, "web")
	bad.Metadata.Name = "bad"
	bad.Spec.Prefix = "Bad_Prefix"
	for _, tc := range []struct {
		name string
		opts leftovers.Options
		want []string // field path: message fragment
	}{
		{"nothing", leftovers.Options{}, []string{
			"specs: Required value: at least one spec is needed",
			"now: Required value: the time TTLs are compared with is needed",
			"cluster: Required value: no source to read",
		}},
		{"PRs", leftovers.Options{Specs: []*spec.PreviewEnvironment{web}, OpenPRs: []int{0, 4, 4, spec.MaxPR + 1}, Now: now, TreeDir: "."}, []string{
			"openPRs[0]: Invalid value: 0: the pull-request number must be between 1 and 2147483647",
			`openPRs[2]: Duplicate value: 4`,
			"openPRs[3]: Invalid value: 2147483648: the pull-request number must be between 1 and 2147483647",
		}},
		{"specs", leftovers.Options{Specs: []*spec.PreviewEnvironment{web, nil, web, bad}, Now: now, TreeDir: "."}, []string{
			"specs[1]: Required value: a spec is needed",
			`specs[2].metadata.name: Duplicate value: "web"`,
			`specs[3].spec.prefix: Invalid value: "Bad_Prefix"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := leftovers.Find(context.Background(), tc.opts)
			var inv *spec.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("error %v, want a *render.InvalidError", err)
			}
			if len(inv.Errs) < len(tc.want) {
				t.Errorf("%d problems, want at least %d: %v", len(inv.Errs), len(tc.want), inv.Errs)
			}
			for i, w := range tc.want {
				if i >= len(inv.Errs) || !strings.HasPrefix(inv.Errs[i].Error(), w) {
					t.Errorf("problem %d: got %v, want prefix %q", i, inv.Errs, w)
				}
			}
		})
	}
}
