package spec

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// DefaultMessageRetention is how long SQS keeps a message of a queue whose
// messageRetentionPeriod is not set: 345,600 seconds, 4 days (Amazon SQS
// API Reference, CreateQueue: MessageRetentionPeriod).
const DefaultMessageRetention = 345600

// checkQueuePair checks a queue against the dead-letter queue prenv makes
// for it (deadLetter), beyond the ranges checkQueue checks. prenv makes the
// dead-letter queue itself, so the other pairings of the SQS Developer Guide
// ("Using dead-letter queues in Amazon SQS") hold by construction: a FIFO
// queue's dead-letter queue is FIFO and a standard queue's standard, and both
// are in the env's account and region. What the spec can still get wrong is
// retention: for a standard queue "the expiration of a message is always
// based on its original enqueue timestamp", so a dead-letter queue that keeps
// messages shorter than its source drops them as soon as they arrive (the
// guide: "always set the retention period of a dead-letter queue to be
// longer than the retention period of the original queue"). A FIFO queue's
// message gets a new enqueue time when it moves, so there it is no fault.
func checkQueuePair(q *Queue, p *field.Path) field.ErrorList {
	dl := q.DeadLetter
	if dl == nil || q.FIFO {
		return nil
	}
	dlq := int64(DefaultDLQRetention)
	if dl.MessageRetentionSeconds != nil {
		dlq = *dl.MessageRetentionSeconds
	}
	src, from := int64(DefaultMessageRetention), "SQS's default of 345600 seconds (4 days), as spec.sqs.queues[].messageRetentionSeconds is not set"
	if q.MessageRetentionSeconds != nil {
		src, from = *q.MessageRetentionSeconds, p.Child("messageRetentionSeconds").String()
	}
	inRange := func(v int64) bool { return v >= MinMessageRetention && v <= MaxMessageRetention }
	if dlq >= src || !inRange(dlq) || !inRange(src) {
		// Out of range is checkQueue's to report.
		return nil
	}
	return field.ErrorList{field.Invalid(p.Child("deadLetter", "messageRetentionSeconds"), dlq, fmt.Sprintf(
		"is shorter than the queue's own retention, %d seconds (%s): SQS counts a standard queue's message from when it was first sent, so the dead-letter queue would drop messages before anyone reads them; set it to at least %d (SQS Developer Guide, \"Using dead-letter queues\")",
		src, from, src))}
}
