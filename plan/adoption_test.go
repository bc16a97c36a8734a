package plan_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// TestRetainAdopts: with deletionPolicy retain, every ACK object carries
// ACK's adopt-or-create annotations with the identifier its controller
// looks the resource up by, so a reopened PR adopts what its earlier run
// left in AWS; with delete, none does.
func TestRetainAdopts(t *testing.T) {
	env := testkit.ValidSpec()
	env.Spec.Prefix, env.Metadata.Name = "pr", "web"
	env.Spec.DeletionPolicy = "retain"
	env.Spec.SQS.Queues[0].FIFO = true
	env.Spec.SQS.Queues[0].DeadLetter = &spec.DeadLetter{MaxReceiveCount: 3}
	out, err := render.Render(context.Background(), env, 7, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]string{}
	for _, o := range out.Objects {
		if !strings.HasSuffix(o.GroupVersionKind().Group, ".services.k8s.aws") {
			continue // not an ACK object
		}
		a := map[string]string{}
		for _, k := range []string{spec.AnnotationAdoptionPolicy, spec.AnnotationAdoptionFields} {
			if v, ok := o.GetAnnotations()[k]; ok {
				a[k] = v
			}
		}
		got[o.GetKind()+"/"+o.GetName()] = a
	}
	adopt := func(fields string) map[string]string {
		return map[string]string{spec.AnnotationAdoptionPolicy: "adopt-or-create", spec.AnnotationAdoptionFields: fields}
	}
	want := map[string]map[string]string{
		"Policy/web":     adopt(`{"arn":"arn:aws:iam::123456789012:policy/pr-7-web"}`),
		"Role/web":       adopt(`{"name":"pr-7-web"}`),
		"Table/orders":   adopt(`{"tableName":"pr-7-web_orders"}`),
		"Queue/jobs":     adopt(`{"queueURL":"https://sqs.eu-west-1.amazonaws.com/123456789012/pr-7-web_jobs.fifo"}`),
		"Queue/jobs-dlq": adopt(`{"queueURL":"https://sqs.eu-west-1.amazonaws.com/123456789012/pr-7-web_jobs_dlq.fifo"}`),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("adoption annotations (-want +got):\n%s", d)
	}

	env.Spec.DeletionPolicy = "delete"
	out, err = render.Render(context.Background(), env, 7, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Objects {
		for _, k := range []string{spec.AnnotationAdoptionPolicy, spec.AnnotationAdoptionFields} {
			if v, ok := o.GetAnnotations()[k]; ok {
				t.Errorf("%s/%s: %s=%q with deletionPolicy delete", o.GetKind(), o.GetName(), k, v)
			}
		}
	}
}
