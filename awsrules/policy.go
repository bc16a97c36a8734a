package awsrules

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

// Actions granted for each access level: read through the functions of
// the same names, which return copies.
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

// TableReadActions are the DynamoDB actions of read access to a table, sorted.
func TableReadActions() []string { return slices.Clone(tableReadActions) }

// TableWriteActions are the DynamoDB actions that write access adds.
func TableWriteActions() []string { return slices.Clone(tableWriteActions) }

// TableStreamActions are the DynamoDB actions that read a table's stream.
func TableStreamActions() []string { return slices.Clone(tableStreamActions) }

// QueueCommonActions are the SQS actions of every access to a queue.
func QueueCommonActions() []string { return slices.Clone(queueCommonActions) }

// QueueConsumeActions are the SQS actions that consuming a queue adds.
func QueueConsumeActions() []string { return slices.Clone(queueConsumeActions) }

// QueueProduceActions are the SQS actions that producing to a queue adds.
func QueueProduceActions() []string { return slices.Clone(queueProduceActions) }

// PolicyDocument is an IAM policy document. Field order is the order IAM
// documents usually show.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one statement of an IAM policy document (IAM JSON
// policy elements: Sid, Effect, Action, Resource, Condition).
type PolicyStatement struct {
	Sid       string                                   `json:"Sid,omitempty"`
	Effect    string                                   `json:"Effect"`
	Principal map[string]string                        `json:"Principal,omitempty"`
	Action    any                                      `json:"Action"`
	Resource  []string                                 `json:"Resource,omitempty"`
	Condition map[string]map[string]PolicyConditionVal `json:"Condition,omitempty"`
}

// PolicyConditionVal is one string or a list of strings.
type PolicyConditionVal []string

func (v PolicyConditionVal) MarshalJSON() ([]byte, error) {
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

// DocumentJSON renders a policy document as indented JSON: ACK takes it as a
// string, and reviewers read it in the rendered diff.
func DocumentJSON(d PolicyDocument) (string, error) {
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
func policySize(d PolicyDocument) (int, error) {
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

// PackPolicies puts statements into as few documents as IAM's size limit
// allows, keeping their order. A statement too large for any document is an
// error. Each statement is measured once: a document's size is its frame
// plus its statements plus the commas between them.
func PackPolicies(stmts []PolicyStatement) ([]PolicyDocument, error) {
	frame := policyFrameSize()
	var docs []PolicyDocument
	cur := PolicyDocument{Version: "2012-10-17"}
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
			cur, size, add = PolicyDocument{Version: "2012-10-17"}, frame, n
		}
		cur.Statement = append(cur.Statement, s)
		size += add
	}
	if len(cur.Statement) > 0 {
		docs = append(docs, cur)
	}
	return docs, nil
}

// SplitStatement splits a statement too large for one managed policy into
// statements that each fit, with the same effect, actions and conditions
// and a share of its resources, in order. The first keeps the Sid; the
// others get Part2, Part3, ... after it. It reports false when even one
// resource does not fit.
func SplitStatement(st PolicyStatement) ([]PolicyStatement, bool) {
	frame := policyFrameSize()
	fits := func(s PolicyStatement) bool {
		n, err := statementSize(s)
		return err == nil && frame+n <= MaxManagedPolicySize
	}
	if fits(st) {
		return []PolicyStatement{st}, true
	}
	var out []PolicyStatement
	part := func(res []string) PolicyStatement {
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
	n, _ := policySize(PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{}})
	return n
}

// statementSize counts a statement's characters other than white space.
func statementSize(s PolicyStatement) (int, error) {
	b, err := marshalJSON(s)
	if err != nil {
		return 0, err
	}
	return nonSpace(b), nil
}

// TrustPolicy lets exactly the env's ServiceAccount assume the role through
// the cluster's OIDC provider (IRSA).
func TrustPolicy(partition, account, oidcHost, namespace, sa string) (string, error) {
	return DocumentJSON(PolicyDocument{
		Version: "2012-10-17",
		Statement: []PolicyStatement{{
			Effect:    "Allow",
			Principal: map[string]string{"Federated": ARN(partition, "iam", "", account, "oidc-provider/"+oidcHost)},
			Action:    "sts:AssumeRoleWithWebIdentity",
			Condition: map[string]map[string]PolicyConditionVal{
				"StringEquals": {
					oidcHost + ":aud": {IRSAAudience},
					oidcHost + ":sub": {"system:serviceaccount:" + namespace + ":" + sa},
				},
			},
		}},
	})
}
