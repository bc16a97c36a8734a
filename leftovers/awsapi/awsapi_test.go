package awsapi_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"prenv.dev/prenv/internal/fakeaws"
	"prenv.dev/prenv/leftovers"
	"prenv.dev/prenv/leftovers/awsapi"
	"prenv.dev/prenv/spec"
)

func env(app, pr, env string) map[string]string {
	return map[string]string{"prenv.dev/app": app, "prenv.dev/pr": pr, "prenv.dev/env": env}
}

func newServer(t *testing.T) *fakeaws.Server {
	s := (&fakeaws.Server{
		Resources: []fakeaws.Resource{
			{ARN: "arn:aws:dynamodb:eu-west-1:123456789012:table/pr-1-hello_t", Tags: env("hello", "1", "pr-1-hello")},
			{ARN: "arn:aws:sqs:eu-west-1:123456789012:pr-1-hello_q", Tags: env("hello", "1", "pr-1-hello")},
			{ARN: "arn:aws:sqs:eu-west-1:123456789012:other", Tags: map[string]string{"team": "x"}},
			{ARN: "arn:aws:sqs:eu-west-1:123456789012:pr-2-hello_q", Tags: env("hello", "2", "pr-2-hello")},
			{ARN: "arn:aws:sqs:eu-west-1:123456789012:pr-3-hello_q", Tags: env("hello", "3", "pr-3-hello")},
		},
		Roles: []fakeaws.Entity{
			{Path: "/", Name: "admin", ARN: "arn:aws:iam::123456789012:role/admin"},
			{Path: "/", Name: "pr-1-hello", ARN: "arn:aws:iam::123456789012:role/pr-1-hello", Tags: env("hello", "1", "pr-1-hello")},
			{Path: "/x/", Name: "pr-2-hello", ARN: "arn:aws:iam::123456789012:role/x/pr-2-hello", Tags: env("hello", "2", "pr-2-hello")},
		},
		Policies: []fakeaws.Entity{
			{Path: "/", Name: "pr-1-hello", ARN: "arn:aws:iam::123456789012:policy/pr-1-hello",
				Tags: map[string]string{"prenv.dev/app": "hello", "prenv.dev/pr": "1", "prenv.dev/env": "pr-1-hello", "a": "1", "b": "2"}},
		},
		AWSManaged: []fakeaws.Entity{{Path: "/", Name: "pr-9-hello", ARN: "arn:aws:iam::aws:policy/pr-9-hello"}},
	}).Start()
	t.Cleanup(s.Close)
	return s
}

func newClient(s *fakeaws.Server, regions ...string) *awsapi.Client {
	cfg := aws.Config{
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint:     aws.String(s.URL()),
		RetryMaxAttempts: 1,
	}
	return awsapi.New(cfg, regions, awsapi.Options{})
}

func keepHello(path, name string) bool { return strings.HasPrefix(name, "pr-") }

func TestTaggedResources(t *testing.T) {
	s := newServer(t)
	got, err := newClient(s).TaggedResources(context.Background(), "prenv.dev/env")
	if err != nil {
		t.Fatal(err)
	}
	want := []leftovers.Resource{
		{ARN: "arn:aws:dynamodb:eu-west-1:123456789012:table/pr-1-hello_t", Tags: env("hello", "1", "pr-1-hello")},
		{ARN: "arn:aws:sqs:eu-west-1:123456789012:pr-1-hello_q", Tags: env("hello", "1", "pr-1-hello")},
		{ARN: "arn:aws:sqs:eu-west-1:123456789012:pr-2-hello_q", Tags: env("hello", "2", "pr-2-hello")},
		{ARN: "arn:aws:sqs:eu-west-1:123456789012:pr-3-hello_q", Tags: env("hello", "3", "pr-3-hello")},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("resources (-want +got):\n%s", d)
	}
	// Two pages of two: the client followed the pagination token.
	wantCalls := []string{
		"GetResources TagFilters=prenv.dev/env PaginationToken=",
		"GetResources TagFilters=prenv.dev/env PaginationToken=2",
	}
	if d := cmp.Diff(wantCalls, s.Calls()); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
}

func TestTaggedResourcesRegions(t *testing.T) {
	s := newServer(t)
	s.PageSize = 10
	if _, err := newClient(s, "us-east-1", "eu-west-1", "us-east-1").TaggedResources(context.Background(), "prenv.dev/env"); err != nil {
		t.Fatal(err)
	}
	// One call per region, sorted and without repeats.
	if n := len(s.Calls()); n != 2 {
		t.Errorf("%d calls, want one per region (2): %v", n, s.Calls())
	}
}

func TestIAM(t *testing.T) {
	s := newServer(t)
	c := newClient(s)
	roles, err := c.IAMRoles(context.Background(), keepHello)
	if err != nil {
		t.Fatal(err)
	}
	policies, err := c.IAMPolicies(context.Background(), keepHello)
	if err != nil {
		t.Fatal(err)
	}
	wantRoles := []leftovers.Resource{
		{ARN: "arn:aws:iam::123456789012:role/pr-1-hello", Tags: env("hello", "1", "pr-1-hello")},
		{ARN: "arn:aws:iam::123456789012:role/x/pr-2-hello", Tags: env("hello", "2", "pr-2-hello")},
	}
	if d := cmp.Diff(wantRoles, roles); d != "" {
		t.Errorf("roles (-want +got):\n%s", d)
	}
	wantPolicies := []leftovers.Resource{
		{ARN: "arn:aws:iam::123456789012:policy/pr-1-hello",
			Tags: map[string]string{"prenv.dev/app": "hello", "prenv.dev/pr": "1", "prenv.dev/env": "pr-1-hello", "a": "1", "b": "2"}},
	}
	if d := cmp.Diff(wantPolicies, policies); d != "" {
		t.Errorf("policies (-want +got):\n%s", d)
	}
	// Tags are read only for the kept names; policies are listed with
	// Scope=Local; every listing is paginated (pages of 2).
	wantCalls := []string{
		"ListRoles",
		"ListRoles Marker=2",
		"ListRoleTags RoleName=pr-1-hello",
		"ListRoleTags RoleName=pr-1-hello Marker=2",
		"ListRoleTags RoleName=pr-2-hello",
		"ListRoleTags RoleName=pr-2-hello Marker=2",
		"ListPolicies Scope=Local",
		"ListPolicyTags PolicyArn=arn:aws:iam::123456789012:policy/pr-1-hello",
		"ListPolicyTags PolicyArn=arn:aws:iam::123456789012:policy/pr-1-hello Marker=2",
		"ListPolicyTags PolicyArn=arn:aws:iam::123456789012:policy/pr-1-hello Marker=4",
	}
	if d := cmp.Diff(wantCalls, s.Calls()); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
}

func TestErrors(t *testing.T) {
	s := newServer(t)
	s.Deny = map[string]bool{"GetResources": true, "ListRoleTags": true}
	c := newClient(s)
	_, err := c.TaggedResources(context.Background(), "prenv.dev/env")
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" || !strings.HasPrefix(err.Error(), "GetResources in eu-west-1: ") {
		t.Errorf("GetResources: error %v, want AccessDeniedException in eu-west-1", err)
	}
	_, err = c.IAMRoles(context.Background(), keepHello)
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" || !strings.HasPrefix(err.Error(), "ListRoleTags pr-1-hello: ") {
		t.Errorf("IAMRoles: error %v, want AccessDenied of ListRoleTags pr-1-hello", err)
	}

	// Bounded: more pages than MaxPages is an error, not an endless loop.
	s2 := newServer(t)
	c2 := newClient(s2)
	c2.MaxPages = 1
	if _, err := c2.TaggedResources(context.Background(), "prenv.dev/env"); !errors.Is(err, awsapi.ErrTooManyPages) {
		t.Errorf("MaxPages 1: error %v, want ErrTooManyPages", err)
	}
	if _, err := c2.IAMRoles(context.Background(), keepHello); !errors.Is(err, awsapi.ErrTooManyPages) {
		t.Errorf("MaxPages 1: error %v, want ErrTooManyPages", err)
	}
	// A cancelled context stops the calls.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newClient(s2).IAMPolicies(ctx, keepHello); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v, want context.Canceled", err)
	}
}

// TestFindAgainstAWSAPIs runs leftovers.Find with the real SDK clients
// against the fake: with no cluster, PR 1 is open and 2 and 3 are not.
func TestFindAgainstAWSAPIs(t *testing.T) {
	s := newServer(t)
	spec := minimalSpec(t)
	rep, err := leftovers.Find(context.Background(), leftovers.Options{
		Specs: spec, OpenPRs: []int{1}, Now: fixedNow, AWS: newClient(s),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range rep.Leftovers {
		got = append(got, l.Kind+" "+l.ARN+" "+string(l.Reason))
	}
	// The role pr-2-hello at path /x/ is not prenv's: Find keeps only
	// roles at "/", so its tags are not even read.
	want := []string{
		"sqs:queue arn:aws:sqs:eu-west-1:123456789012:pr-2-hello_q no-env",
		"sqs:queue arn:aws:sqs:eu-west-1:123456789012:pr-3-hello_q no-env",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("leftovers (-want +got):\n%s", d)
	}
	if len(rep.Failures) != 0 {
		t.Errorf("failures: %v", rep.Failures)
	}
	for _, c := range s.Calls() {
		if strings.Contains(c, "RoleName=pr-2-hello") || strings.Contains(c, "RoleName=admin") {
			t.Errorf("Find read the tags of a role that is not prenv's: %s", c)
		}
	}
}

var fixedNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// minimalSpec is examples/minimal: app hello, prefix pr.
func minimalSpec(t *testing.T) []*spec.PreviewEnvironment {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "minimal", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return []*spec.PreviewEnvironment{s}
}
