package spec_test

import (
	"fmt"
	"strings"
	"testing"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// TestMessagesAtLimits: errors stay true for specs far beyond every limit.
func TestMessagesAtLimits(t *testing.T) {
	t.Run("10,000 tables", func(t *testing.T) {
		env := testkit.ValidSpec()
		env.Spec.DynamoDB.Tables = nil
		for i := range 10000 {
			env.Spec.DynamoDB.Tables = append(env.Spec.DynamoDB.Tables, spec.Table{Name: fmt.Sprintf("t%d", i), Attributes: []spec.Attribute{{Name: "id", Type: "S"}}, HashKey: "id"})
		}
		_, err := plan.Plan(env, 1)
		if err == nil {
			t.Fatal("10,000 tables accepted")
		}
		msg := err.Error()
		if !strings.Contains(msg, "spec.dynamodb.tables: Too many: 10000: must have at most 256 items") {
			t.Errorf("error %.300s, want the table count refused", msg)
		}
		if strings.Contains(msg, "managedPolicyARNs") {
			t.Errorf("error blames spec.iam.managedPolicyARNs, which is empty: %.300s", msg)
		}
	})
	t.Run("permissions over 20 policies", func(t *testing.T) {
		env := testkit.ValidSpec()
		env.Spec.DynamoDB.Tables = nil
		env.Spec.SQS.Queues = nil
		for i := range spec.MaxQueues {
			env.Spec.SQS.Queues = append(env.Spec.SQS.Queues, spec.Queue{Name: fmt.Sprintf("queue-with-a-long-logical-name-%03d", i), DeadLetter: &spec.DeadLetter{MaxReceiveCount: 1}})
		}
		for i := range spec.MaxTables {
			env.Spec.DynamoDB.Tables = append(env.Spec.DynamoDB.Tables, spec.Table{Name: fmt.Sprintf("table-with-a-long-logical-name-%03d", i), Attributes: []spec.Attribute{{Name: "id", Type: "S"}}, HashKey: "id", Stream: "KEYS_ONLY"})
		}
		env.Spec.DynamoDB = &spec.DynamoDB{Tables: env.Spec.DynamoDB.Tables}
		env.Spec.IAM = &spec.IAM{ManagedPolicyARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}
		_, err := plan.Plan(env, 1)
		if err == nil {
			t.Fatal("accepted")
		}
		if msg := err.Error(); !strings.Contains(msg, "spec: Invalid value: the env's permissions (its tables, queues and spec.iam.statements) need") || strings.Contains(msg, "Too many: 0") {
			t.Errorf("error %.400s", msg)
		}
	})
}

// BenchmarkWorstSpecs renders the inputs that once cost time quadratic in
// their size; a regression shows as a jump in ns/op.
func BenchmarkWorstSpecs(b *testing.B) {
	// Logical names whose statement IDs coincide: "a1", "a-1", ... all give
	// QueueA1.
	coincide := testkit.ValidSpec()
	coincide.Spec.DynamoDB = nil
	coincide.Spec.SQS.Queues = nil
	for i := range spec.MaxQueues {
		name := "a" + strings.Repeat("-1", i%3) + fmt.Sprintf("%d", i/3)
		if i%3 == 0 {
			name = "a1" + fmt.Sprintf("%d", i/3)
		}
		coincide.Spec.SQS.Queues = append(coincide.Spec.SQS.Queues, spec.Queue{Name: name})
	}
	tooMany := testkit.ValidSpec()
	tooMany.Spec.SQS.Queues = nil
	for i := range 20000 {
		tooMany.Spec.SQS.Queues = append(tooMany.Spec.SQS.Queues, spec.Queue{Name: fmt.Sprintf("q%d", i), DeadLetter: &spec.DeadLetter{MaxReceiveCount: 1}})
	}
	var keys strings.Builder
	keys.WriteString(minimalHead + "  tags:\n")
	for i := range 60000 { // just under render.MaxSpecSize
		fmt.Fprintf(&keys, "    k%d: v\n", i)
	}
	var bomb strings.Builder
	bomb.WriteString(minimalHead + "  labels:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&bomb, "    a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.Run("60000 keys in one mapping", func(b *testing.B) {
		for b.Loop() {
			spec.Load([]byte(keys.String()))
		}
	})
	b.Run("alias bomb", func(b *testing.B) {
		for b.Loop() {
			spec.Load([]byte(bomb.String()))
		}
	})
	b.Run("--set far beyond a list", func(b *testing.B) {
		for b.Loop() {
			spec.Load([]byte(minimalHead), spec.Override{Expr: "spec.sqs.queues[65536].name=x"})
		}
	})
	b.Run("coinciding statement IDs", func(b *testing.B) {
		for b.Loop() {
			plan.Plan(coincide, 1)
		}
	})
	b.Run("20000 queues", func(b *testing.B) {
		for b.Loop() {
			spec.Check(tooMany)
		}
	})
}
