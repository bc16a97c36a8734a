package spec_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// invalidCase is one file of testdata/invalid. Its header comments say what
// must go wrong:
//
//	# want: <a field error, exactly as field.Error.Error() prints it>
//	# want: <or its field path and type only: "spec.prefix: Invalid value">
//	# count: <the exact number of errors>            (optional)
//	# pr: <the pull-request number, default 123>     (optional)
//	# why: <one sentence>
type invalidCase struct {
	wants []string
	count int // -1: not asserted
	pr    int
	why   string
	data  []byte
}

var caseFileRE = regexp.MustCompile(`^[0-9]{2,3}-[a-z0-9]+(-[a-z0-9]+)*\.yaml$`)

func readInvalidCase(t *testing.T, path string) invalidCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := invalidCase{count: -1, pr: 123, data: data}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break // the header ends at the first line that is not a comment
		}
		key, val, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "#")), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "want":
			c.wants = append(c.wants, val)
		case "why":
			c.why = val
		case "count":
			if c.count, err = strconv.Atoi(val); err != nil {
				t.Fatalf("bad count %q", val)
			}
		case "pr":
			if c.pr, err = strconv.Atoi(val); err != nil {
				t.Fatalf("bad pr %q", val)
			}
		}
	}
	if len(c.wants) == 0 || c.why == "" {
		t.Fatalf("%s: the header needs at least one '# want:' line and a '# why:' line", path)
	}
	return c
}

// matches reports whether a "# want:" line names fe: either its whole
// message or its path and type.
func matches(want string, fe *field.Error) bool {
	return fe.Error() == want || fe.Field+": "+fe.Type.String() == want
}

func TestInvalidSpecs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("found %d invalid specs, want at least 30", len(files))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			if !caseFileRE.MatchString(name) {
				t.Errorf("file name %q does not follow NN-short-name.yaml", name)
			}
			c := readInvalidCase(t, path)
			_, err := testkit.LoadAndRender(c.data, c.pr)
			if err == nil {
				t.Fatalf("the spec was accepted; want %q (%s)", c.wants, c.why)
			}
			var inv *spec.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("error %T %v; want *render.InvalidError", err, err)
			}
			for _, w := range c.wants {
				if !slices.ContainsFunc(inv.Errs, func(fe *field.Error) bool { return matches(w, fe) }) {
					t.Errorf("missing error %q\n(%s)\ngot: %v", w, c.why, err)
				}
			}
			if c.count >= 0 && len(inv.Errs) != c.count {
				t.Errorf("got %d errors, want %d:\n%v", len(inv.Errs), c.count, err)
			}
		})
	}
}

// TestInvalidSpecNamesAreUnique keeps the corpus numbered once per case.
func TestInvalidSpecNamesAreUnique(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, f := range files {
		n := filepath.Base(f)
		num, _, _ := strings.Cut(n, "-")
		if other, ok := seen[num]; ok {
			t.Errorf("%s and %s share the number %s", other, n, num)
		}
		seen[num] = n
	}
}

// TestCheckAcceptsValid guards the base the other checks break.
func TestCheckAcceptsValid(t *testing.T) {
	if errs := spec.Check(testkit.ValidSpec()); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	web, err := os.ReadFile(filepath.Join("..", "examples", "web", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testkit.LoadAndRender(web, 1); err != nil {
		t.Fatal(err)
	}
}

// TestCheckRules covers rules next to their limits: the last valid value
// passes, the first invalid one fails at its path.
func TestCheckRules(t *testing.T) {
	tests := map[string]struct {
		edit func(e *spec.PreviewEnvironment)
		want string // field path; "" for valid
	}{
		"session 3600":  {func(e *spec.PreviewEnvironment) { e.Spec.IAM = &spec.IAM{MaxSessionDuration: 3600} }, ""},
		"session 43200": {func(e *spec.PreviewEnvironment) { e.Spec.IAM = &spec.IAM{MaxSessionDuration: 43200} }, ""},
		"session 3599":  {func(e *spec.PreviewEnvironment) { e.Spec.IAM = &spec.IAM{MaxSessionDuration: 3599} }, "spec.iam.maxSessionDuration"},
		"visibility 0": {func(e *spec.PreviewEnvironment) {
			e.Spec.SQS.Queues[0].VisibilityTimeoutSeconds = testkit.Ptr(int64(0))
		}, ""},
		"visibility 43200": {func(e *spec.PreviewEnvironment) {
			e.Spec.SQS.Queues[0].VisibilityTimeoutSeconds = testkit.Ptr(int64(43200))
		}, ""},
		"retention 60": {func(e *spec.PreviewEnvironment) {
			e.Spec.SQS.Queues[0].MessageRetentionSeconds = testkit.Ptr(int64(60))
		}, ""},
		"retention 1209600": {func(e *spec.PreviewEnvironment) {
			e.Spec.SQS.Queues[0].MessageRetentionSeconds = testkit.Ptr(int64(1209600))
		}, ""},
		"delay 900":         {func(e *spec.PreviewEnvironment) { e.Spec.SQS.Queues[0].DelaySeconds = testkit.Ptr(int64(900)) }, ""},
		"delay -1":          {func(e *spec.PreviewEnvironment) { e.Spec.SQS.Queues[0].DelaySeconds = testkit.Ptr(int64(-1)) }, "spec.sqs.queues[0].delaySeconds"},
		"receive wait 20":   {func(e *spec.PreviewEnvironment) { e.Spec.SQS.Queues[0].ReceiveWaitTimeSeconds = testkit.Ptr(int64(20)) }, ""},
		"receive wait -1":   {func(e *spec.PreviewEnvironment) { e.Spec.SQS.Queues[0].ReceiveWaitTimeSeconds = testkit.Ptr(int64(-1)) }, "spec.sqs.queues[0].receiveWaitTimeSeconds"},
		"message size 1024": {func(e *spec.PreviewEnvironment) { e.Spec.SQS.Queues[0].MaxMessageSizeBytes = testkit.Ptr(int64(1024)) }, ""},
		"message size 1 MiB": {func(e *spec.PreviewEnvironment) {
			e.Spec.SQS.Queues[0].MaxMessageSizeBytes = testkit.Ptr(int64(1048576))
		}, ""},
		"max receive 1": {func(e *spec.PreviewEnvironment) {
			e.Spec.SQS.Queues[0].DeadLetter = &spec.DeadLetter{MaxReceiveCount: 1}
		}, ""},
		"max receive 1000": {func(e *spec.PreviewEnvironment) {
			e.Spec.SQS.Queues[0].DeadLetter = &spec.DeadLetter{MaxReceiveCount: 1000}
		}, ""},
		"fifo dedup": {func(e *spec.PreviewEnvironment) {
			e.Spec.SQS.Queues[0].FIFO, e.Spec.SQS.Queues[0].ContentBasedDeduplication = true, true
		}, ""},
		"45 tags":             {func(e *spec.PreviewEnvironment) { e.Spec.Tags = nTags(45) }, ""},
		"46 tags":             {func(e *spec.PreviewEnvironment) { e.Spec.Tags = nTags(46) }, "spec.tags"},
		"20 GSIs":             {func(e *spec.PreviewEnvironment) { e.Spec.DynamoDB.Tables[0] = tableWithGSIs(20) }, ""},
		"21 GSIs":             {func(e *spec.PreviewEnvironment) { e.Spec.DynamoDB.Tables[0] = tableWithGSIs(21) }, "spec.dynamodb.tables[0].globalIndexes"},
		"table name 40 chars": {func(e *spec.PreviewEnvironment) { e.Spec.DynamoDB.Tables[0].Name = "a" + strings.Repeat("b", 39) }, ""},
		"table name 41 chars": {func(e *spec.PreviewEnvironment) { e.Spec.DynamoDB.Tables[0].Name = "a" + strings.Repeat("b", 40) }, "spec.dynamodb.tables[0].name"},
		"table name ends -":   {func(e *spec.PreviewEnvironment) { e.Spec.DynamoDB.Tables[0].Name = "orders-" }, "spec.dynamodb.tables[0].name"},
		"prefix 20 chars":     {func(e *spec.PreviewEnvironment) { e.Spec.Prefix = strings.Repeat("p", 20) }, ""},
		"prefix words":        {func(e *spec.PreviewEnvironment) { e.Spec.Prefix = "pr-eu1" }, ""},
		"prefix trailing -":   {func(e *spec.PreviewEnvironment) { e.Spec.Prefix = "pr-" }, "spec.prefix"},
		"app 49 chars":        {func(e *spec.PreviewEnvironment) { e.Metadata.Name = "a" + strings.Repeat("b", 48) }, ""},
		"app 50 chars":        {func(e *spec.PreviewEnvironment) { e.Metadata.Name = "a" + strings.Repeat("b", 49) }, "metadata.name"},
		"app with --":         {func(e *spec.PreviewEnvironment) { e.Metadata.Name = "shop--api" }, "metadata.name"},
		"table with --":       {func(e *spec.PreviewEnvironment) { e.Spec.DynamoDB.Tables[0].Name = "or--ders" }, "spec.dynamodb.tables[0].name"},
		"queue with --":       {func(e *spec.PreviewEnvironment) { e.Spec.SQS.Queues[0].Name = "jo--bs" }, "spec.sqs.queues[0].name"},
		"oidc without scheme": {func(e *spec.PreviewEnvironment) {
			e.Spec.AWS.OIDCProviderURL = "oidc.eks.eu-west-1.amazonaws.com/id/X"
		}, ""},
		"oidc trailing slash": {func(e *spec.PreviewEnvironment) { e.Spec.AWS.OIDCProviderURL = "https://oidc.example.com/" }, ""},
		"gov partition": {func(e *spec.PreviewEnvironment) {
			e.Spec.AWS.Partition, e.Spec.AWS.Region = "aws-us-gov", "us-gov-west-1"
		}, ""},
		"cn partition":     {func(e *spec.PreviewEnvironment) { e.Spec.AWS.Partition, e.Spec.AWS.Region = "aws-cn", "cn-north-1" }, ""},
		"cn region in aws": {func(e *spec.PreviewEnvironment) { e.Spec.AWS.Region = "cn-north-1" }, "spec.aws.region"},
		"star resource": {func(e *spec.PreviewEnvironment) {
			e.Spec.IAM = &spec.IAM{Statements: []spec.Statement{{Effect: "Deny", Actions: []string{"*"}, Resources: []string{"*"}}}}
		}, ""},
		"empty condition": {func(e *spec.PreviewEnvironment) {
			e.Spec.IAM = &spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"s3:*"}, Resources: []string{"arn:aws:s3:::shared-assets/*"}, Conditions: map[string]map[string]spec.StringList{"StringEquals": {}}}}}
		}, "spec.iam.statements[0].conditions[StringEquals]"},
		"resource not UTF-8": {func(e *spec.PreviewEnvironment) {
			e.Spec.IAM = &spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"s3:*"}, Resources: []string{"arn:aws:s3:::a\xffb"}}}}
		}, "spec.iam.statements[0].resources[0]"},
		"resource unicode": {func(e *spec.PreviewEnvironment) {
			e.Spec.IAM = &spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"s3:*"}, Resources: []string{"arn:aws:s3:::ünï/*"}}}}
		}, ""},
		"dlq name free": {func(e *spec.PreviewEnvironment) {
			e.Spec.SQS.Queues = append(e.Spec.SQS.Queues, spec.Queue{Name: "jobs-dlq"})
		}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := testkit.ValidSpec()
			tc.edit(env)
			errs := spec.Check(env)
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("want valid, got %v", errs.ToAggregate())
				}
				if _, err := render.Render(context.Background(), env, 7, render.Options{}); err != nil {
					t.Fatalf("checked but did not render: %v", err)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tc.want {
				t.Fatalf("want one error at %s, got %v", tc.want, errs.ToAggregate())
			}
		})
	}
}

func nTags(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m["tag"+strconv.Itoa(i)] = "v"
	}
	return m
}

func tableWithGSIs(n int) spec.Table {
	t := spec.Table{
		Name:       "orders",
		Attributes: []spec.Attribute{{Name: "id", Type: "S"}, {Name: "userId", Type: "S"}},
		HashKey:    "id",
	}
	for i := range n {
		t.GlobalIndexes = append(t.GlobalIndexes, spec.Index{Name: "gsi" + strconv.Itoa(i), HashKey: "userId"})
	}
	return t
}
