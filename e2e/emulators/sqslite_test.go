package emulators_test

import (
	"testing"

	"prenv.dev/prenv/e2e/emulators"
)

// TestSQSLiteRules checks the SQS rules the stand-in of e2e/live relies on
// sqslite for: a FIFO queue's name must end in .fifo, and a dead-letter
// target must exist.
func TestSQSLiteRules(t *testing.T) {
	s, err := emulators.StartSQSLite(t.Context(), tools(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	if _, err := s.Call(ctx, "CreateQueue", map[string]string{"QueueName": "dlq"}, nil); err != nil {
		t.Fatalf("CreateQueue dlq: %v", err)
	}
	if _, err := s.Call(ctx, "CreateQueue", map[string]string{"QueueName": "jobs"}, map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"` + s.LocalARN("dlq") + `","maxReceiveCount":"5"}`,
	}); err != nil {
		t.Fatalf("CreateQueue jobs with its dead-letter queue: %v", err)
	}
	tests := map[string]struct {
		name  string
		attrs map[string]string
		want  string
	}{
		"fifo without .fifo": {"orders", map[string]string{"FifoQueue": "true"}, "InvalidParameterValue: The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."},
		"missing dead-letter target": {"other", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + s.LocalARN("nope") + `","maxReceiveCount":"3"}`},
			"InvalidParameterValue: Value {&quot;deadLetterTargetArn&quot;:&quot;arn:aws:sqs:us-east-1:queues:nope&quot;,&quot;maxReceiveCount&quot;:&quot;3&quot;} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := s.Call(ctx, "CreateQueue", map[string]string{"QueueName": tc.name}, tc.attrs)
			if err == nil || err.Error() != tc.want {
				t.Errorf("CreateQueue %s: %v, want %s", tc.name, err, tc.want)
			}
		})
	}
	if _, err := s.Call(ctx, "DeleteQueue", map[string]string{"QueueUrl": s.QueueURL("jobs")}, nil); err != nil {
		t.Errorf("DeleteQueue: %v", err)
	}
	if _, err := s.Call(ctx, "GetQueueUrl", map[string]string{"QueueName": "jobs"}, nil); err == nil {
		t.Error("GetQueueUrl of a deleted queue succeeded")
	}
}
