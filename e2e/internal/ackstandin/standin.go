// Package ackstandin is a stand-in for the ACK controllers (DynamoDB, SQS,
// IAM) in prenv's live end-to-end tier (e2e/live): the ACK controllers
// cannot be built here, so this watches the ACK kinds prenv renders and, for
// each object, makes the call the ACK controller would make against the local
// emulators, then writes the object's status the way ACK's runtime does.
//
// It is a stand-in, not ACK: it proves that prenv's objects reach AWS's
// rules as an emulator checks them and that Argo CD reacts to ACK's
// conditions as prenv's health checks say. What it does:
//
//   - Table: the CreateTable request of the ACK DynamoDB controller
//     ([emulators.CreateTable]) to dynalite; DeleteTable on deletion;
//   - Queue: CreateQueue to sqslite with the queue's attributes (the
//     RedrivePolicy's deadLetterTargetArn mapped to sqslite's ARN of the
//     same queue name); DeleteQueue on deletion;
//   - Policy and Role: their policy documents (identity, trust and inline)
//     through the IAM policy validator; a Role also waits until each Policy
//     of its spec.policyRefs has an ARN, as ACK resolves references first;
//     kept in memory by name (no IAM emulator runs);
//   - a finalizer per kind (finalizers.<group>/<Kind>, as ACK names it) so
//     that the object stays until the AWS resource is deleted, or left
//     with services.k8s.aws/deletion-policy: retain;
//   - services.k8s.aws/adoption-policy: adopt-or-create adopts a resource
//     that exists (the name is looked up) and creates it otherwise;
//   - status: ACK.ResourceSynced True and status.ackResourceMetadata (arn
//     from the emulator's answer, ownerAccountID, region) on success; on an
//     error, ACK.ResourceSynced False with ACK.Terminal True when the error
//     code is one the ACK controller lists as terminal ([terminalCodes]),
//     else ACK.Recoverable True, each with the emulator's message; a
//     terminal error is not retried until the object's generation changes,
//     a recoverable one is retried.
//
// What it does not do (and ACK does): send a changed spec to AWS (a later
// generation of an object is only read back, and a policy's documents
// validated again), read back late-initialized fields, tags, TTL,
// continuous backups, streams beyond what dynalite checks, queue policies
// and redrive-allow policies (sqslite does not know them), IAM's own
// checks beyond the validator's grammar, S3 buckets and EKS Pod Identity
// associations (no emulator runs for them here), ACK's requeue periods and
// its field exports.
package ackstandin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"prenv.dev/prenv/e2e/emulators"
)

// ACK's annotations and condition types (aws-controllers-k8s/runtime,
// apis/core/v1alpha1: annotations.go and conditions.go).
const (
	AnnotationDeletionPolicy = "services.k8s.aws/deletion-policy"
	AnnotationAdoption       = "services.k8s.aws/adoption-policy"
	AnnotationRegion         = "services.k8s.aws/region"
	ConditionSynced          = "ACK.ResourceSynced"
	ConditionTerminal        = "ACK.Terminal"
	ConditionRecoverable     = "ACK.Recoverable"
)

// Kinds the stand-in serves.
var (
	Table  = schema.GroupVersionResource{Group: "dynamodb.services.k8s.aws", Version: "v1alpha1", Resource: "tables"}
	Queue  = schema.GroupVersionResource{Group: "sqs.services.k8s.aws", Version: "v1alpha1", Resource: "queues"}
	Policy = schema.GroupVersionResource{Group: "iam.services.k8s.aws", Version: "v1alpha1", Resource: "policies"}
	Role   = schema.GroupVersionResource{Group: "iam.services.k8s.aws", Version: "v1alpha1", Resource: "roles"}
)

// terminalCodes are the AWS error codes each ACK controller reports as
// ACK.Terminal instead of retrying: the exceptions.terminal_codes of the
// controllers' generator.yaml (dynamodb-controller: Table, InvalidParameter;
// iam-controller: Policy and Role, InvalidInput and MalformedPolicyDocument).
// sqs-controller lists none for Queue.
var terminalCodes = map[schema.GroupVersionResource][]string{
	Table:  {"InvalidParameter"},
	Policy: {"InvalidInput", "MalformedPolicyDocument"},
	Role:   {"InvalidInput", "MalformedPolicyDocument"},
}

// StandIn is the stand-in for the ACK controllers. Run it with [StandIn.Run].
type StandIn struct {
	Dynamic  dynamic.Interface
	Dynalite *emulators.Dynalite
	SQS      *emulators.SQSLite
	Tools    *emulators.Tools
	// AccountID is written as status.ackResourceMetadata.ownerAccountID.
	AccountID string
	// Interval between two passes over every object (default 300 ms).
	Interval time.Duration

	mu      sync.Mutex
	iam     map[string]string    // "Policy/<name>" or "Role/<name>" -> ARN
	handled map[string]bool      // "<uid>/<generation>" synced or terminal
	retry   map[string]time.Time // "<uid>/<generation>" -> next try
	calls   []string
}

// Run reconciles every object of the served kinds until ctx ends. Errors of
// one pass (a conflict, the server busy) are retried at the next.
func (s *StandIn) Run(ctx context.Context) {
	if s.Interval == 0 {
		s.Interval = 300 * time.Millisecond
	}
	s.mu.Lock()
	s.iam, s.handled, s.retry = map[string]string{}, map[string]bool{}, map[string]time.Time{}
	s.mu.Unlock()
	for {
		for _, gvr := range []schema.GroupVersionResource{Policy, Role, Table, Queue} {
			list, err := s.Dynamic.Resource(gvr).List(ctx, metav1.ListOptions{})
			if err != nil {
				continue
			}
			for i := range list.Items {
				_ = s.reconcile(ctx, gvr, &list.Items[i])
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.Interval):
		}
	}
}

// Calls returns the AWS calls made so far, such as "CreateTable
// test-1-web_sessions", in order.
func (s *StandIn) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *StandIn) record(call string) {
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
}

func finalizer(gvr schema.GroupVersionResource, kind string) string {
	return "finalizers." + gvr.Group + "/" + kind
}

func (s *StandIn) reconcile(ctx context.Context, gvr schema.GroupVersionResource, o *unstructured.Unstructured) error {
	ri := s.Dynamic.Resource(gvr).Namespace(o.GetNamespace())
	fin := finalizer(gvr, o.GetKind())
	if o.GetDeletionTimestamp() != nil {
		if !slices.Contains(o.GetFinalizers(), fin) {
			return nil
		}
		if o.GetAnnotations()[AnnotationDeletionPolicy] != "retain" {
			if err := s.delete(ctx, gvr, o); err != nil {
				return s.setError(ctx, gvr, o, err)
			}
		}
		o.SetFinalizers(slices.DeleteFunc(o.GetFinalizers(), func(f string) bool { return f == fin }))
		_, err := ri.Update(ctx, o, metav1.UpdateOptions{})
		return err
	}
	if !slices.Contains(o.GetFinalizers(), fin) {
		o.SetFinalizers(append(o.GetFinalizers(), fin))
		_, err := ri.Update(ctx, o, metav1.UpdateOptions{})
		return err
	}
	key := fmt.Sprintf("%s/%d", o.GetUID(), o.GetGeneration())
	s.mu.Lock()
	done, next := s.handled[key], s.retry[key]
	s.mu.Unlock()
	if done || time.Now().Before(next) {
		return nil
	}
	arn, err := s.sync(ctx, gvr, o)
	if err != nil {
		return s.setError(ctx, gvr, o, err)
	}
	s.mu.Lock()
	s.handled[key] = true
	s.mu.Unlock()
	region := o.GetAnnotations()[AnnotationRegion]
	meta := map[string]any{"arn": arn, "ownerAccountID": s.AccountID, "region": region}
	return s.writeStatus(ctx, gvr, o, meta, condition(ConditionSynced, "True", "", ""))
}

// setError writes an error's conditions: terminal or recoverable, as
// ACK's runtime does (pkg/condition: SetTerminal, SetRecoverable).
func (s *StandIn) setError(ctx context.Context, gvr schema.GroupVersionResource, o *unstructured.Unstructured, err error) error {
	key := fmt.Sprintf("%s/%d", o.GetUID(), o.GetGeneration())
	code := ""
	if e, ok := emulators.AsAPIError(err); ok {
		code = e.Type
	}
	typ := ConditionRecoverable
	s.mu.Lock()
	if slices.Contains(terminalCodes[gvr], code) {
		typ = ConditionTerminal
		s.handled[key] = true
	} else {
		s.retry[key] = time.Now().Add(2 * time.Second)
	}
	s.mu.Unlock()
	msg := err.Error()
	return s.writeStatus(ctx, gvr, o, nil,
		condition(typ, "True", msg, ""),
		condition(ConditionSynced, "False", "Resource not synced", "resource is in terminal condition or has an error"))
}

func condition(typ, status, message, reason string) map[string]any {
	c := map[string]any{"type": typ, "status": status, "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}
	if message != "" {
		c["message"] = message
	}
	if reason != "" {
		c["reason"] = reason
	}
	return c
}

func (s *StandIn) writeStatus(ctx context.Context, gvr schema.GroupVersionResource, o *unstructured.Unstructured, meta map[string]any, conds ...map[string]any) error {
	status, _, _ := unstructured.NestedMap(o.Object, "status")
	if status == nil {
		status = map[string]any{}
	}
	if meta != nil {
		status["ackResourceMetadata"] = meta
	}
	list := make([]any, 0, len(conds))
	for _, c := range conds {
		list = append(list, c)
	}
	status["conditions"] = list
	o.Object["status"] = status
	_, err := s.Dynamic.Resource(gvr).Namespace(o.GetNamespace()).UpdateStatus(ctx, o, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		// Another writer (Argo CD, the finalizer update) came first: the
		// next pass tries again.
		s.mu.Lock()
		delete(s.handled, fmt.Sprintf("%s/%d", o.GetUID(), o.GetGeneration()))
		s.mu.Unlock()
	}
	return err
}

func adopt(o *unstructured.Unstructured) bool {
	return o.GetAnnotations()[AnnotationAdoption] == "adopt-or-create"
}

// sync makes the AWS call that creates (or adopts) o's resource and returns
// its ARN. An object that has an ARN already (a later generation: the spec
// changed) is an update: its resource is read back, and a policy's
// documents are validated again; the change itself is not sent.
func (s *StandIn) sync(ctx context.Context, gvr schema.GroupVersionResource, o *unstructured.Unstructured) (string, error) {
	if arn, _, _ := unstructured.NestedString(o.Object, "status", "ackResourceMetadata", "arn"); arn != "" {
		return arn, s.update(ctx, gvr, o)
	}
	switch gvr {
	case Table:
		return s.syncTable(ctx, o)
	case Queue:
		return s.syncQueue(ctx, o)
	case Policy, Role:
		return s.syncIAM(ctx, gvr, o)
	}
	return "", fmt.Errorf("no stand-in for %s", gvr)
}

// update reads an existing resource back, as ACK reads the latest state
// before it updates, and validates a changed policy document.
func (s *StandIn) update(ctx context.Context, gvr schema.GroupVersionResource, o *unstructured.Unstructured) error {
	field := map[schema.GroupVersionResource]string{Table: "tableName", Queue: "queueName", Policy: "name", Role: "name"}[gvr]
	name, _, _ := unstructured.NestedString(o.Object, "spec", field)
	s.record("Read" + o.GetKind() + " " + name)
	ok, err := s.Exists(ctx, o.GetKind(), name)
	if err != nil {
		return err
	}
	if !ok {
		return &emulators.APIError{Type: "NotFound", Message: fmt.Sprintf("%s %s does not exist", o.GetKind(), name)}
	}
	if gvr == Policy || gvr == Role {
		return s.validate(ctx, o)
	}
	return nil
}

func (s *StandIn) delete(ctx context.Context, gvr schema.GroupVersionResource, o *unstructured.Unstructured) error {
	switch gvr {
	case Table:
		name, _, _ := unstructured.NestedString(o.Object, "spec", "tableName")
		s.record("DeleteTable " + name)
		err := s.Dynalite.Call(ctx, "DeleteTable", map[string]string{"TableName": name}, nil)
		if e, ok := emulators.AsAPIError(err); ok && e.Type == "ResourceNotFoundException" {
			return nil
		}
		return err
	case Queue:
		name, _, _ := unstructured.NestedString(o.Object, "spec", "queueName")
		// Looked up first: sqslite 2.1.1 never answers a DeleteQueue of a
		// queue that does not exist (its action throws outside the error
		// handling of its other actions), as after a deletion whose
		// finalizer update lost a conflict.
		if ok, err := s.Exists(ctx, "Queue", name); err != nil || !ok {
			return err
		}
		s.record("DeleteQueue " + name)
		_, err := s.SQS.Call(ctx, "DeleteQueue", map[string]string{"QueueUrl": s.SQS.QueueURL(name)}, nil)
		return err
	case Policy, Role:
		name, _, _ := unstructured.NestedString(o.Object, "spec", "name")
		s.record("Delete" + o.GetKind() + " " + name)
		s.mu.Lock()
		delete(s.iam, o.GetKind()+"/"+name)
		s.mu.Unlock()
	}
	return nil
}

func (s *StandIn) syncTable(ctx context.Context, o *unstructured.Unstructured) (string, error) {
	in, _, err := emulators.CreateTable(o)
	if err != nil {
		return "", err
	}
	var out struct {
		Table            struct{ TableArn string } `json:"Table"`
		TableDescription struct{ TableArn string } `json:"TableDescription"`
	}
	if adopt(o) {
		s.record("DescribeTable " + in.TableName)
		err := s.Dynalite.Call(ctx, "DescribeTable", map[string]string{"TableName": in.TableName}, &out)
		if err == nil {
			return out.Table.TableArn, nil
		}
		if e, ok := emulators.AsAPIError(err); !ok || e.Type != "ResourceNotFoundException" {
			return "", err
		}
	}
	s.record("CreateTable " + in.TableName)
	if err := s.Dynalite.Call(ctx, "CreateTable", in, &out); err != nil {
		return "", err
	}
	return out.TableDescription.TableArn, nil
}

// queueAttributes maps the ACK Queue's spec fields to SQS's attribute names
// (sqs-controller generator.yaml: each is_attribute field), those sqslite
// knows.
var queueAttributes = map[string]string{
	"delaySeconds":                  "DelaySeconds",
	"maximumMessageSize":            "MaximumMessageSize",
	"messageRetentionPeriod":        "MessageRetentionPeriod",
	"receiveMessageWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
	"visibilityTimeout":             "VisibilityTimeout",
	"fifoQueue":                     "FifoQueue",
	"contentBasedDeduplication":     "ContentBasedDeduplication",
	"kmsMasterKeyID":                "KmsMasterKeyId",
	"kmsDataKeyReusePeriodSeconds":  "KmsDataKeyReusePeriodSeconds",
	"redrivePolicy":                 "RedrivePolicy",
}

func (s *StandIn) syncQueue(ctx context.Context, o *unstructured.Unstructured) (string, error) {
	spec, _, _ := unstructured.NestedMap(o.Object, "spec")
	name, _ := spec["queueName"].(string)
	attrs := map[string]string{}
	for field, attr := range queueAttributes {
		v, ok := spec[field]
		if !ok {
			continue
		}
		attrs[attr] = fmt.Sprint(v)
	}
	if rp, ok := attrs["RedrivePolicy"]; ok {
		var p map[string]any
		if err := json.Unmarshal([]byte(rp), &p); err != nil {
			return "", &emulators.APIError{Type: "InvalidAttributeValue", Message: "RedrivePolicy is not JSON: " + err.Error()}
		}
		if arn, ok := p["deadLetterTargetArn"].(string); ok {
			p["deadLetterTargetArn"] = s.SQS.LocalARN(arn[strings.LastIndexByte(arn, ':')+1:])
		}
		b, _ := json.Marshal(p)
		attrs["RedrivePolicy"] = string(b)
	}
	if adopt(o) {
		s.record("GetQueueUrl " + name)
		_, err := s.SQS.Call(ctx, "GetQueueUrl", map[string]string{"QueueName": name}, nil)
		if err == nil {
			return s.SQS.LocalARN(name), nil
		}
	}
	s.record("CreateQueue " + name)
	if _, err := s.SQS.Call(ctx, "CreateQueue", map[string]string{"QueueName": name}, attrs); err != nil {
		return "", err
	}
	return s.SQS.LocalARN(name), nil
}

func (s *StandIn) syncIAM(ctx context.Context, gvr schema.GroupVersionResource, o *unstructured.Unstructured) (string, error) {
	name, _, _ := unstructured.NestedString(o.Object, "spec", "name")
	key := o.GetKind() + "/" + name
	if gvr == Role {
		refs, _, _ := unstructured.NestedSlice(o.Object, "spec", "policyRefs")
		for _, r := range refs {
			ref, _, _ := unstructured.NestedString(r.(map[string]any), "from", "name")
			p, err := s.Dynamic.Resource(Policy).Namespace(o.GetNamespace()).Get(ctx, ref, metav1.GetOptions{})
			if err != nil {
				return "", fmt.Errorf("resolving spec.policyRefs: Policy %s: %w", ref, err)
			}
			if arn, _, _ := unstructured.NestedString(p.Object, "status", "ackResourceMetadata", "arn"); arn == "" {
				return "", fmt.Errorf("resolving spec.policyRefs: Policy %s has no ARN yet", ref)
			}
		}
	}
	s.mu.Lock()
	arn, exists := s.iam[key]
	s.mu.Unlock()
	if adopt(o) {
		s.record("Get" + o.GetKind() + " " + name)
		if exists {
			return arn, nil
		}
	}
	s.record("Create" + o.GetKind() + " " + name)
	if err := s.validate(ctx, o); err != nil {
		return "", err
	}
	if exists {
		return "", &emulators.APIError{Type: "EntityAlreadyExists", Message: fmt.Sprintf("%s with name %s already exists.", o.GetKind(), name)}
	}
	arn = fmt.Sprintf("arn:aws:iam::%s:%s/%s", s.AccountID, strings.ToLower(o.GetKind()), name)
	s.mu.Lock()
	s.iam[key] = arn
	s.mu.Unlock()
	return arn, nil
}

// validate runs o's policy documents through the IAM policy validator; its
// findings are a MalformedPolicyDocument error, as IAM answers.
func (s *StandIn) validate(ctx context.Context, o *unstructured.Unstructured) error {
	docs, err := emulators.PolicyDocuments("", []*unstructured.Unstructured{o})
	if err != nil {
		return &emulators.APIError{Type: "MalformedPolicyDocument", Message: err.Error()}
	}
	results, err := emulators.ValidatePolicies(ctx, s.Tools, docs)
	if err != nil {
		return err
	}
	var findings []string
	for _, r := range results {
		for _, f := range r.Findings {
			findings = append(findings, fmt.Sprintf("%s: %s", f.Path, f.Message))
		}
	}
	if len(findings) > 0 {
		return &emulators.APIError{Type: "MalformedPolicyDocument", Message: strings.Join(findings, "; ")}
	}
	return nil
}

// Exists reports whether the stand-in's AWS side holds the resource: kind
// Table, Queue, Policy or Role, by its AWS name.
func (s *StandIn) Exists(ctx context.Context, kind, name string) (bool, error) {
	switch kind {
	case "Table":
		err := s.Dynalite.Call(ctx, "DescribeTable", map[string]string{"TableName": name}, nil)
		if e, ok := emulators.AsAPIError(err); ok && e.Type == "ResourceNotFoundException" {
			return false, nil
		}
		return err == nil, err
	case "Queue":
		_, err := s.SQS.Call(ctx, "GetQueueUrl", map[string]string{"QueueName": name}, nil)
		if e, ok := emulators.AsAPIError(err); ok && e.Type == "AWS.SimpleQueueService.NonExistentQueue" {
			return false, nil
		}
		return err == nil, err
	case "Policy", "Role":
		s.mu.Lock()
		defer s.mu.Unlock()
		_, ok := s.iam[kind+"/"+name]
		return ok, nil
	}
	return false, errors.New("unknown kind " + kind)
}
