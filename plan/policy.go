package plan

import (
	"slices"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/spec"
)

// derivedStatements grants exactly what each table's, queue's and
// bucket's access implies, on exactly the env's ARNs. Statements come in
// spec order, tables first, then queues, then buckets; Sids derive from
// logical names.
func derivedStatements(m *Model, envSpec *spec.Spec) []awsrules.PolicyStatement {
	tables, queues := m.Tables, m.Queues
	var out []awsrules.PolicyStatement
	sids := spec.DerivedSidList(envSpec)
	next := func() string { id := sids[0]; sids = sids[1:]; return id }
	if envSpec.DynamoDB != nil {
		for i, t := range envSpec.DynamoDB.Tables {
			m := tables[i]
			actions := awsrules.TableReadActions()
			if t.Access != "read" {
				actions = append(actions, awsrules.TableWriteActions()...)
			}
			res := []string{m.ARN}
			if len(t.GlobalIndexes)+len(t.LocalIndexes) > 0 {
				res = append(res, m.ARN+"/index/*")
			}
			out = append(out, awsrules.PolicyStatement{Sid: next(), Effect: "Allow", Action: sortedCopy(actions), Resource: res})
			if t.Stream != "" {
				out = append(out, awsrules.PolicyStatement{Sid: next(), Effect: "Allow", Action: awsrules.TableStreamActions(), Resource: []string{m.ARN + "/stream/*"}})
			}
		}
	}
	if envSpec.SQS != nil {
		byLogical := map[string][]QueueModel{}
		for _, q := range queues {
			byLogical[q.Logical] = append(byLogical[q.Logical], q)
		}
		for _, q := range envSpec.SQS.Queues {
			actions := awsrules.QueueCommonActions()
			if q.Access != "produce" {
				actions = append(actions, awsrules.QueueConsumeActions()...)
			}
			if q.Access != "consume" {
				actions = append(actions, awsrules.QueueProduceActions()...)
			}
			var res []string
			for _, m := range byLogical[q.Name] {
				res = append(res, m.ARN)
			}
			out = append(out, awsrules.PolicyStatement{Sid: next(), Effect: "Allow", Action: sortedCopy(actions), Resource: res})
		}
	}
	return append(out, bucketStatements(m, next)...)
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
