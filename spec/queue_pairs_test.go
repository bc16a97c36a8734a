package spec_test

import (
	"strings"
	"testing"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// TestQueuePairs: a standard queue's dead-letter queue keeps messages at
// least as long as the queue; a FIFO queue's may keep them shorter (SQS
// gives a message a new enqueue time when it moves to a FIFO dead-letter
// queue). The other pairings hold by construction, which the plan shows:
// the dead-letter queue is FIFO exactly when its source is, in the same
// account and region, and the source's redrive policy names it.
func TestQueuePairs(t *testing.T) {
	for name, tc := range map[string]struct {
		q    spec.Queue
		want string
	}{
		"equal retention":           {spec.Queue{Name: "jobs", MessageRetentionSeconds: testkit.Ptr(int64(86400)), DeadLetter: &spec.DeadLetter{MaxReceiveCount: 3, MessageRetentionSeconds: testkit.Ptr(int64(86400))}}, ""},
		"default dead-letter":       {spec.Queue{Name: "jobs", MessageRetentionSeconds: testkit.Ptr(int64(1209600)), DeadLetter: &spec.DeadLetter{MaxReceiveCount: 3}}, ""},
		"FIFO may keep them less":   {spec.Queue{Name: "jobs", FIFO: true, MessageRetentionSeconds: testkit.Ptr(int64(1209600)), DeadLetter: &spec.DeadLetter{MaxReceiveCount: 3, MessageRetentionSeconds: testkit.Ptr(int64(60))}}, ""},
		"one second short":          {spec.Queue{Name: "jobs", MessageRetentionSeconds: testkit.Ptr(int64(86401)), DeadLetter: &spec.DeadLetter{MaxReceiveCount: 3, MessageRetentionSeconds: testkit.Ptr(int64(86400))}}, "spec.sqs.queues[0].deadLetter.messageRetentionSeconds: Invalid value: 86400: is shorter than the queue's own retention, 86401 seconds"},
		"receive count 0":           {spec.Queue{Name: "jobs", DeadLetter: &spec.DeadLetter{MaxReceiveCount: 0}}, "spec.sqs.queues[0].deadLetter.maxReceiveCount: Invalid value: 0: must be between 1 and 1000"},
		"receive count 1001":        {spec.Queue{Name: "jobs", DeadLetter: &spec.DeadLetter{MaxReceiveCount: 1001}}, "spec.sqs.queues[0].deadLetter.maxReceiveCount: Invalid value: 1001: must be between 1 and 1000"},
		"out of range is one error": {spec.Queue{Name: "jobs", DeadLetter: &spec.DeadLetter{MaxReceiveCount: 3, MessageRetentionSeconds: testkit.Ptr(int64(30))}}, "spec.sqs.queues[0].deadLetter.messageRetentionSeconds: Invalid value: 30: must be between 60 and 1209600"},
	} {
		t.Run(name, func(t *testing.T) {
			env := testkit.ValidSpec()
			env.Spec.SQS.Queues = []spec.Queue{tc.q}
			errs := spec.Check(env)
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected: %v", errs)
				}
			} else if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Fatalf("got %v, want one error starting %q", errs, tc.want)
			}
		})
	}
	env := testkit.LeastPrivilegeSpec()
	m, err := plan.Plan(env, 7)
	if err != nil {
		t.Fatal(err)
	}
	byObject := map[string]plan.QueueModel{}
	for _, q := range m.Queues {
		byObject[q.ObjectName] = q
	}
	pairs := 0
	for _, q := range m.Queues {
		dlq, ok := byObject[q.ObjectName+"-dlq"]
		if q.DeadLetter || !ok {
			continue
		}
		pairs++
		if q.Attributes["fifoQueue"] != dlq.Attributes["fifoQueue"] || strings.HasSuffix(q.Name, ".fifo") != strings.HasSuffix(dlq.Name, ".fifo") {
			t.Errorf("%s is FIFO %q, its dead-letter queue %q", q.Name, q.Attributes["fifoQueue"], dlq.Attributes["fifoQueue"])
		}
		arnPrefix := func(arn string) string { return arn[:strings.LastIndexByte(arn, ':')] }
		if arnPrefix(q.ARN) != arnPrefix(dlq.ARN) {
			t.Errorf("%s and its dead-letter queue are in %s and %s", q.Name, arnPrefix(q.ARN), arnPrefix(dlq.ARN))
		}
		if !strings.Contains(q.Attributes["redrivePolicy"], `"deadLetterTargetArn":"`+dlq.ARN+`"`) {
			t.Errorf("%s's redrive policy %s does not name %s", q.Name, q.Attributes["redrivePolicy"], dlq.ARN)
		}
	}
	if pairs != 2 {
		t.Fatalf("found %d queue pairs, want 2", pairs)
	}
}
