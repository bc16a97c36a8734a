package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// MaxManagedPolicySize is IAM's limit on a managed policy document, counted
// in characters other than white space.
const MaxManagedPolicySize = 6144

// Actions granted for each access level.
var (
	tableReadActions = []string{
		"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
		"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan",
	}
	tableWriteActions = []string{
		"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
	}
	tableStreamActions = []string{
		"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
	}
	queueCommonActions  = []string{"sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
	queueConsumeActions = []string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"}
	queueProduceActions = []string{"sqs:SendMessage"}
)

// policyDocument is an IAM policy document. Field order is the order IAM
// documents usually show.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string                                   `json:"Sid,omitempty"`
	Effect    string                                   `json:"Effect"`
	Principal map[string]string                        `json:"Principal,omitempty"`
	Action    any                                      `json:"Action"`
	Resource  []string                                 `json:"Resource,omitempty"`
	Condition map[string]map[string]policyConditionVal `json:"Condition,omitempty"`
}

// policyConditionVal is one string or a list of strings.
type policyConditionVal []string

func (v policyConditionVal) MarshalJSON() ([]byte, error) {
	if len(v) == 1 {
		return marshalJSON(v[0])
	}
	return marshalJSON([]string(v))
}

// marshalJSON encodes without HTML escaping, so that "<" stays "<".
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// documentJSON renders a policy document as indented JSON: ACK takes it as a
// string, and reviewers read it in the rendered diff.
func documentJSON(d policyDocument) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return "", err
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

// policySize counts what IAM counts against its size limit: every character
// that is not white space.
func policySize(d policyDocument) (int, error) {
	b, err := marshalJSON(d)
	if err != nil {
		return 0, err
	}
	return nonSpace(b), nil
}

func nonSpace(b []byte) int {
	n := 0
	for _, r := range string(b) {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// derivedStatements grants exactly what each table's and queue's access
// implies, on exactly the env's ARNs. Statements come in spec order, tables
// first; Sids derive from logical names.
func derivedStatements(tables []TableModel, queues []QueueModel, spec *Spec) []policyStatement {
	var out []policyStatement
	sids := derivedSidList(spec)
	next := func() string { id := sids[0]; sids = sids[1:]; return id }
	if spec.DynamoDB != nil {
		for i, t := range spec.DynamoDB.Tables {
			m := tables[i]
			actions := append([]string(nil), tableReadActions...)
			if t.Access != "read" {
				actions = append(actions, tableWriteActions...)
			}
			res := []string{m.ARN}
			if len(t.GlobalIndexes)+len(t.LocalIndexes) > 0 {
				res = append(res, m.ARN+"/index/*")
			}
			out = append(out, policyStatement{Sid: next(), Effect: "Allow", Action: sortedCopy(actions), Resource: res})
			if t.Stream != "" {
				out = append(out, policyStatement{Sid: next(), Effect: "Allow", Action: tableStreamActions, Resource: []string{m.ARN + "/stream/*"}})
			}
		}
	}
	if spec.SQS != nil {
		byLogical := map[string][]QueueModel{}
		for _, q := range queues {
			byLogical[q.Logical] = append(byLogical[q.Logical], q)
		}
		for _, q := range spec.SQS.Queues {
			actions := append([]string(nil), queueCommonActions...)
			if q.Access != "produce" {
				actions = append(actions, queueConsumeActions...)
			}
			if q.Access != "consume" {
				actions = append(actions, queueProduceActions...)
			}
			var res []string
			for _, m := range byLogical[q.Name] {
				res = append(res, m.ARN)
			}
			out = append(out, policyStatement{Sid: next(), Effect: "Allow", Action: sortedCopy(actions), Resource: res})
		}
	}
	return out
}

func userStatements(iam *IAM) []policyStatement {
	if iam == nil {
		return nil
	}
	out := make([]policyStatement, 0, len(iam.Statements))
	for _, s := range iam.Statements {
		ps := policyStatement{Sid: s.Sid, Effect: s.Effect, Action: append([]string(nil), s.Actions...), Resource: append([]string(nil), s.Resources...)}
		if len(s.Conditions) > 0 {
			ps.Condition = map[string]map[string]policyConditionVal{}
			for op, kv := range s.Conditions {
				ps.Condition[op] = map[string]policyConditionVal{}
				for k, v := range kv {
					ps.Condition[op][k] = policyConditionVal(v)
				}
			}
		}
		out = append(out, ps)
	}
	return out
}

// packPolicies puts statements into as few documents as IAM's size limit
// allows, keeping their order. A statement too large for any document is an
// error. Each statement is measured once: a document's size is its frame
// plus its statements plus the commas between them.
func packPolicies(stmts []policyStatement) ([]policyDocument, error) {
	frame := policyFrameSize()
	var docs []policyDocument
	cur := policyDocument{Version: "2012-10-17"}
	size := frame
	for i, s := range stmts {
		n, err := statementSize(s)
		if err != nil {
			return nil, err
		}
		if frame+n > MaxManagedPolicySize {
			return nil, fmt.Errorf("statement %d alone is %d characters, over IAM's %d", i, frame+n, MaxManagedPolicySize)
		}
		add := n
		if len(cur.Statement) > 0 {
			add++ // the comma
		}
		if size+add > MaxManagedPolicySize {
			docs = append(docs, cur)
			cur, size, add = policyDocument{Version: "2012-10-17"}, frame, n
		}
		cur.Statement = append(cur.Statement, s)
		size += add
	}
	if len(cur.Statement) > 0 {
		docs = append(docs, cur)
	}
	return docs, nil
}

// splitStatement splits a statement too large for one managed policy into
// statements that each fit, with the same effect, actions and conditions
// and a share of its resources, in order. The first keeps the Sid; the
// others get Part2, Part3, ... after it. It reports false when even one
// resource does not fit.
func splitStatement(st policyStatement) ([]policyStatement, bool) {
	frame := policyFrameSize()
	fits := func(s policyStatement) bool {
		n, err := statementSize(s)
		return err == nil && frame+n <= MaxManagedPolicySize
	}
	if fits(st) {
		return []policyStatement{st}, true
	}
	var out []policyStatement
	part := func(res []string) policyStatement {
		p := st
		p.Resource = res
		if st.Sid != "" && len(out) > 0 {
			p.Sid = st.Sid + "Part" + strconv.Itoa(len(out)+1)
		}
		return p
	}
	var cur []string
	for _, r := range st.Resource {
		try := append(slices.Clone(cur), r)
		if fits(part(try)) {
			cur = try
			continue
		}
		if len(cur) == 0 {
			return nil, false
		}
		out = append(out, part(cur))
		cur = []string{r}
		if !fits(part(cur)) {
			return nil, false
		}
	}
	if len(cur) > 0 {
		out = append(out, part(cur))
	}
	return out, true
}

// policyFrameSize is the size of a policy document without statements.
func policyFrameSize() int {
	n, _ := policySize(policyDocument{Version: "2012-10-17", Statement: []policyStatement{}})
	return n
}

// statementSize counts a statement's characters other than white space.
func statementSize(s policyStatement) (int, error) {
	b, err := marshalJSON(s)
	if err != nil {
		return 0, err
	}
	return nonSpace(b), nil
}

// trustPolicy lets exactly the env's ServiceAccount assume the role through
// the cluster's OIDC provider (IRSA).
func trustPolicy(partition, account, oidcHost, namespace, sa string) (string, error) {
	return documentJSON(policyDocument{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			Effect:    "Allow",
			Principal: map[string]string{"Federated": arn(partition, "iam", "", account, "oidc-provider/"+oidcHost)},
			Action:    "sts:AssumeRoleWithWebIdentity",
			Condition: map[string]map[string]policyConditionVal{
				"StringEquals": {
					oidcHost + ":aud": {IRSAAudience},
					oidcHost + ":sub": {"system:serviceaccount:" + namespace + ":" + sa},
				},
			},
		}},
	})
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
