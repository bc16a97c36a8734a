package spec

import "prenv.dev/prenv/awsrules"

// UserStatements are the statements of spec.iam as IAM policy statements,
// in the spec's order.
func UserStatements(iam *IAM) []awsrules.PolicyStatement {
	if iam == nil {
		return nil
	}
	out := make([]awsrules.PolicyStatement, 0, len(iam.Statements))
	for _, s := range iam.Statements {
		ps := awsrules.PolicyStatement{Sid: s.Sid, Effect: s.Effect, Action: append([]string(nil), s.Actions...), Resource: append([]string(nil), s.Resources...)}
		if len(s.Conditions) > 0 {
			ps.Condition = map[string]map[string]awsrules.PolicyConditionVal{}
			for op, kv := range s.Conditions {
				ps.Condition[op] = map[string]awsrules.PolicyConditionVal{}
				for k, v := range kv {
					ps.Condition[op][k] = awsrules.PolicyConditionVal(v)
				}
			}
		}
		out = append(out, ps)
	}
	return out
}
