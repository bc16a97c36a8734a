package emulators

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Policy types of [PolicyDocument], as @cloud-copilot/iam-policy names its
// validators.
const (
	// IdentityPolicy is a policy attached to a principal: an IAM managed
	// policy or a role's inline policy.
	IdentityPolicy = "identity"
	// TrustPolicy is a role's trust policy (assume-role policy document).
	TrustPolicy = "trust"
)

// PolicyDocument is one IAM policy document to validate.
type PolicyDocument struct {
	// ID names the document in results, such as "Policy web: spec.policyDocument".
	ID string `json:"id"`
	// Type is [IdentityPolicy] or [TrustPolicy].
	Type string `json:"type"`
	// Document is the policy's JSON text, as rendered.
	Document string `json:"document"`
}

// PolicyFinding is one problem the validator found in a document.
type PolicyFinding struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// PolicyResult is the validator's verdict on one document: no findings
// means valid.
type PolicyResult struct {
	ID       string          `json:"id"`
	Findings []PolicyFinding `json:"errors"`
}

// PolicyDocuments lists the IAM policy documents of rendered objects: each
// ACK IAM Policy's spec.policyDocument (identity), each ACK IAM Role's
// spec.assumeRolePolicyDocument (trust) and its spec.inlinePolicies
// (identity). idPrefix starts every document's ID.
func PolicyDocuments(idPrefix string, objs []*unstructured.Unstructured) ([]PolicyDocument, error) {
	var docs []PolicyDocument
	add := func(o *unstructured.Unstructured, typ string, fields ...string) error {
		v, found, err := unstructured.NestedString(o.Object, fields...)
		if err != nil {
			return fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		if found {
			docs = append(docs, PolicyDocument{ID: fmt.Sprintf("%s%s %s: %s", idPrefix, o.GetKind(), o.GetName(), strings.Join(fields, ".")), Type: typ, Document: v})
		}
		return nil
	}
	for _, o := range objs {
		if o.GroupVersionKind().Group != "iam.services.k8s.aws" {
			continue
		}
		var err error
		switch o.GetKind() {
		case "Policy":
			if _, found, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "policyDocument"); !found {
				return nil, fmt.Errorf("Policy %s has no spec.policyDocument", o.GetName())
			}
			err = add(o, IdentityPolicy, "spec", "policyDocument")
		case "Role":
			if _, found, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "assumeRolePolicyDocument"); !found {
				return nil, fmt.Errorf("Role %s has no spec.assumeRolePolicyDocument", o.GetName())
			}
			err = add(o, TrustPolicy, "spec", "assumeRolePolicyDocument")
			inline, _, _ := unstructured.NestedMap(o.Object, "spec", "inlinePolicies")
			for _, name := range slices.Sorted(maps.Keys(inline)) {
				if err == nil {
					err = add(o, IdentityPolicy, "spec", "inlinePolicies", name)
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// ValidatePolicies validates documents with @cloud-copilot/iam-policy
// (e2e/npm/validate-iam.js, one node process for all of them) and returns
// one result per document, in order.
func ValidatePolicies(ctx context.Context, tools *Tools, docs []PolicyDocument) ([]PolicyResult, error) {
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			return nil, err
		}
	}
	cmd := exec.CommandContext(ctx, tools.Node, filepath.Join(tools.Dir, "validate-iam.js"))
	cmd.Dir = tools.Dir
	cmd.Stdin = &in
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("validate-iam.js: %w: %s", err, stderr.String())
	}
	var results []PolicyResult
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		var r PolicyResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("validate-iam.js printed %q: %w", sc.Bytes(), err)
		}
		results = append(results, r)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(results) != len(docs) {
		return nil, fmt.Errorf("validate-iam.js answered %d documents of %d: %s", len(results), len(docs), stderr.String())
	}
	for i, r := range results {
		if r.ID != docs[i].ID {
			return nil, fmt.Errorf("validate-iam.js answered %q in place of %q", r.ID, docs[i].ID)
		}
	}
	return results, nil
}
