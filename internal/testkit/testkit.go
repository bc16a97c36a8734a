// Package testkit holds the helpers that the tests of several packages
// share: valid specs, rendered examples and file trees. Only tests import it.
package testkit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// ValidSpec is a spec that passes every check; tests break one thing at a time.
func ValidSpec() *spec.PreviewEnvironment {
	return &spec.PreviewEnvironment{
		APIVersion: spec.APIVersion,
		Kind:       spec.Kind,
		Metadata:   spec.Metadata{Name: "shop"},
		Spec: spec.Spec{
			Prefix: "pr",
			AWS: spec.AWS{
				AccountID:       "123456789012",
				Region:          "eu-west-1",
				OIDCProviderURL: "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
			},
			DynamoDB: &spec.DynamoDB{Tables: []spec.Table{{
				Name:       "orders",
				Attributes: []spec.Attribute{{Name: "id", Type: "S"}},
				HashKey:    "id",
			}}},
			SQS: &spec.SQS{Queues: []spec.Queue{{Name: "jobs"}}},
		},
	}
}

// LoadAndRender runs what render env runs: Load, then Render.
func LoadAndRender(data []byte, pr int) (*render.Output, error) {
	env, err := spec.Load(data)
	if err != nil {
		return nil, err
	}
	return render.Render(context.Background(), env, pr, render.Options{})
}

// LeastPrivilegeSpec has one of each access level.
func LeastPrivilegeSpec() *spec.PreviewEnvironment {
	env := ValidSpec()
	env.Spec.DynamoDB.Tables = []spec.Table{
		{Name: "catalog", Attributes: []spec.Attribute{{Name: "id", Type: "S"}}, HashKey: "id", Access: "read"},
		{Name: "orders", Attributes: []spec.Attribute{{Name: "id", Type: "S"}, {Name: "user", Type: "S"}}, HashKey: "id",
			GlobalIndexes: []spec.Index{{Name: "byUser", HashKey: "user"}}},
		{Name: "events", Attributes: []spec.Attribute{{Name: "id", Type: "S"}}, HashKey: "id", Stream: "NEW_IMAGE", Access: "read"},
	}
	env.Spec.SQS.Queues = []spec.Queue{
		{Name: "outbox", Access: "produce"},
		{Name: "inbox", Access: "consume", DeadLetter: &spec.DeadLetter{MaxReceiveCount: 4}},
		{Name: "work", FIFO: true, DeadLetter: &spec.DeadLetter{MaxReceiveCount: 4}},
	}
	return env
}

// writeFiles writes files (name → content) under dir.
func WriteTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func LinkOrSkip(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
}

// sparseFile makes a file of size bytes that takes no room on disk.
func SparseOf(t *testing.T, name string, size int64) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

func RelTo(t *testing.T, from, to string) string {
	t.Helper()
	r, err := filepath.Rel(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const MinimalYAML = `apiVersion: prenv.dev/v1alpha1
kind: PreviewEnvironment
metadata:
  name: shop
spec:
  prefix: pr
  aws:
    accountID: "123456789012"
    region: eu-west-1
    oidcProviderURL: https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE
  sqs:
    queues:
    - name: jobs
`

func Ptr[T any](v T) *T { return &v }

// TestCheckReportsAllProblems breaks many independent rules in one spec and
// expects every one of them back, in one error, each at its path.
func TestCheckReportsAllProblems(t *testing.T) {
	env := ValidSpec()
	env.Kind = "Preview"
	env.Metadata.Name = "1shop"
	env.Spec.Prefix = "pr-1"
	env.Spec.AWS.AccountID = "1234"
	env.Spec.AWS.Partition = "aws-cn"
	env.Spec.AWS.OIDCProviderURL = "http://issuer.example.com"
	env.Spec.IAM = &spec.IAM{
		ManagedPolicyARNs:  []string{"ReadOnlyAccess"},
		MaxSessionDuration: 60,
		Statements:         []spec.Statement{{Effect: "allow", Actions: []string{"s3"}}},
	}
	env.Spec.DynamoDB.Tables[0].Stream = "ALL"
	env.Spec.DynamoDB.Tables[0].BillingMode = "PROVISIONED"
	env.Spec.SQS.Queues[0].VisibilityTimeoutSeconds = Ptr(int64(-1))
	env.Spec.SQS.Queues[0].ContentBasedDeduplication = true
	env.Spec.Labels = map[string]string{"prenv.dev/x": "y"}
	env.Spec.Tags = map[string]string{"aws:x": "y"}
	env.Spec.DeletionPolicy = "orphan"
	want := []string{
		"kind",
		"metadata.name",
		"spec.prefix",
		"spec.aws.accountID",
		"spec.aws.region", // eu-west-1 is not in aws-cn
		"spec.aws.oidcProviderURL",
		"spec.iam.managedPolicyARNs[0]",
		"spec.iam.maxSessionDuration",
		"spec.iam.statements[0].effect",
		"spec.iam.statements[0].actions[0]",
		"spec.iam.statements[0].resources",
		"spec.dynamodb.tables[0].capacity",
		"spec.dynamodb.tables[0].stream",
		"spec.sqs.queues[0].visibilityTimeoutSeconds",
		"spec.sqs.queues[0].contentBasedDeduplication",
		"spec.labels[prenv.dev/x]",
		"spec.tags[aws:x]",
		"spec.deletionPolicy",
		"pr",
	}
	_, err := render.Render(context.Background(), env, 0, render.Options{})
	var inv *spec.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("got %v; want *render.InvalidError", err)
	}
	var got []string
	for _, fe := range inv.Errs {
		got = append(got, fe.Field)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("error paths:\n got %q\nwant %q\n%v", got, want, err)
	}
	if !strings.HasPrefix(err.Error(), "invalid spec: 19 problems\n") {
		t.Errorf("message starts %q", strings.SplitN(err.Error(), "\n", 2)[0])
	}
}

func ObjectsOfKind(out *render.Output, kind string) []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured
	for _, o := range out.Objects {
		if o.GetKind() == kind {
			objs = append(objs, o)
		}
	}
	return objs
}

// RenderExample renders examples/<name>/prenv.yaml for GoldenPR.
func RenderExample(t *testing.T, name string) *render.Output {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(golden.Root(t), "examples", name, "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := spec.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := render.Render(context.Background(), env, GoldenPR, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// GoldenPR is the pull-request number the golden files are rendered for.
const GoldenPR = 123
