package render_test

import (
	"context"
	"errors"
	"fmt"

	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

const exampleSpec = `
apiVersion: prenv.dev/v1alpha1
kind: PreviewEnvironment
metadata:
  name: web
spec:
  prefix: test
  aws:
    accountID: "123456789012"
    region: eu-west-1
    oidcProviderURL: https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE
  sqs:
    queues:
    - name: jobs
      deadLetter: {maxReceiveCount: 5}
`

// Render PR 7's environment and list its objects.
func ExampleRender() {
	env, err := spec.Load([]byte(exampleSpec))
	if err != nil {
		panic(err)
	}
	out, err := render.Render(context.Background(), env, 7, render.Options{})
	if err != nil {
		panic(err)
	}
	for _, o := range out.Objects {
		fmt.Println(o.GetKind(), o.GetNamespace(), o.GetName())
	}
	fmt.Println(out.Model.ConfigMap.Data["PRENV_QUEUE_JOBS_URL"])
	// Output:
	// Namespace  test-7-web
	// NetworkPolicy test-7-web prenv-allow-dns
	// NetworkPolicy test-7-web prenv-allow-egress
	// NetworkPolicy test-7-web prenv-allow-ingress
	// NetworkPolicy test-7-web prenv-allow-same-namespace
	// NetworkPolicy test-7-web prenv-default-deny
	// ResourceQuota test-7-web prenv
	// LimitRange test-7-web prenv
	// ServiceAccount test-7-web web
	// ConfigMap test-7-web web-prenv
	// Policy test-7-web web
	// Role test-7-web web
	// Queue test-7-web jobs
	// Queue test-7-web jobs-dlq
	// https://sqs.eu-west-1.amazonaws.com/123456789012/test-7-web_jobs
}

// Every problem of a spec is reported at once, each with its field path.
func ExampleCheck() {
	env, err := spec.Load([]byte(exampleSpec),
		spec.Override{Expr: "spec.aws.region=mars-1"},
		spec.Override{Expr: "spec.sqs.queues[0].deadLetter.maxReceiveCount=0"},
	)
	if err != nil {
		panic(err)
	}
	_, err = plan.Plan(env, 7)
	var inv *spec.InvalidError
	if errors.As(err, &inv) {
		for _, e := range inv.Errs {
			fmt.Println(e.Field)
		}
	}
	// Output:
	// spec.aws.region
	// spec.sqs.queues[0].deadLetter.maxReceiveCount
}
