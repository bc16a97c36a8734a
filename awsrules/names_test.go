package awsrules_test

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/util/validation"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// nameHash is the hash a shortened name carries, computed here from its
// definition: 128 bits of SHA-256 in lower-case base32.
func nameHash(full string) string {
	sum := sha256.Sum256([]byte(full))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
}

func TestNameExamples(t *testing.T) {
	long39 := "q" + strings.Repeat("u", 38)
	tests := map[string]struct {
		got, want string
	}{
		"env":                      {awsrules.EnvName("test", 123, "web"), "test-123-web"},
		"env, multi-word prefix":   {awsrules.EnvName("pr-eu", 1, "shop-api"), "pr-eu-1-shop-api"},
		"env, longest allowed":     {awsrules.EnvName(strings.Repeat("p", 20), spec.MaxPR, "a"+strings.Repeat("b", 30)), strings.Repeat("p", 20) + "-2147483647-a" + strings.Repeat("b", 30)},
		"role":                     {awsrules.RoleName("test-123-web"), "test-123-web"},
		"first policy":             {awsrules.PolicyName("test-123-web", 1), "test-123-web"},
		"second policy":            {awsrules.PolicyName("test-123-web", 2), "test-123-web_2"},
		"table":                    {awsrules.TableName("test-123-web", "sessions"), "test-123-web_sessions"},
		"queue":                    {awsrules.QueueName("test-123-web", "jobs", false, false), "test-123-web_jobs"},
		"dead-letter queue":        {awsrules.QueueName("test-123-web", "jobs", true, false), "test-123-web_jobs_dlq"},
		"FIFO queue":               {awsrules.QueueName("test-123-web", "jobs", false, true), "test-123-web_jobs.fifo"},
		"FIFO dead-letter queue":   {awsrules.QueueName("test-123-web", "jobs", true, true), "test-123-web_jobs_dlq.fifo"},
		"queue of exactly 80":      {awsrules.QueueName(strings.Repeat("a", 39), strings.Repeat("b", 40), false, false), strings.Repeat("a", 39) + "_" + strings.Repeat("b", 40)},
		"queue of 81 is shortened": {awsrules.QueueName(strings.Repeat("a", 40), strings.Repeat("b", 40), false, false), strings.Repeat("a", 40) + "_" + strings.Repeat("b", 11) + "--" + nameHash(strings.Repeat("a", 40)+"_"+strings.Repeat("b", 40))},
		"shortened FIFO keeps .fifo": {awsrules.QueueName("p-2147483647-"+strings.Repeat("w", 30), long39, true, true),
			"p-2147483647-" + strings.Repeat("w", 30) + "_quu--" + nameHash("p-2147483647-"+strings.Repeat("w", 30)+"_"+long39+"_dlq.fifo") + ".fifo"},
		"cut never leaves a separator before the mark": {awsrules.QueueName("p-1-"+strings.Repeat("w", 47), long39, false, false),
			"p-1-" + strings.Repeat("w", 47) + "--" + nameHash("p-1-"+strings.Repeat("w", 47)+"_"+long39)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got  %q\nwant %q", tc.got, tc.want)
			}
		})
	}
	if h := awsrules.NameHash("x"); len(h) != 26 || h != nameHash("x") {
		t.Errorf("NameHash(x) = %q, want 26 characters %q", h, nameHash("x"))
	}
}

// TestIssueExamplesNeverShareNames renders the pairs of specs the issue
// names, which under the old scheme got the same AWS names, and asserts the
// exact names each gets now.
func TestIssueExamplesNeverShareNames(t *testing.T) {
	envSpec := func(app string, mut func(*spec.PreviewEnvironment)) *plan.Model {
		t.Helper()
		env := testkit.ValidSpec()
		env.Metadata.Name = app
		env.Spec.Prefix = "pr"
		env.Spec.DynamoDB = nil
		env.Spec.SQS = nil
		mut(env)
		m, err := plan.Plan(env, 5)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	table := func(name string) func(*spec.PreviewEnvironment) {
		return func(e *spec.PreviewEnvironment) {
			e.Spec.DynamoDB = &spec.DynamoDB{Tables: []spec.Table{{Name: name, Attributes: []spec.Attribute{{Name: "id", Type: "S"}}, HashKey: "id"}}}
		}
	}
	queue := func(name string) func(*spec.PreviewEnvironment) {
		return func(e *spec.PreviewEnvironment) {
			e.Spec.SQS = &spec.SQS{Queues: []spec.Queue{{Name: name, DeadLetter: &spec.DeadLetter{MaxReceiveCount: 3}}}}
		}
	}
	t.Run("tables", func(t *testing.T) {
		a, b := envSpec("web", table("a-users")), envSpec("web-a", table("users"))
		if a.Tables[0].Name != "pr-5-web_a-users" || b.Tables[0].Name != "pr-5-web-a_users" {
			t.Errorf("tables %q and %q", a.Tables[0].Name, b.Tables[0].Name)
		}
	})
	t.Run("queues and dead-letter queues", func(t *testing.T) {
		a, b := envSpec("web", queue("a-jobs")), envSpec("web-a", queue("jobs"))
		got := []string{a.Queues[0].Name, a.Queues[1].Name, b.Queues[0].Name, b.Queues[1].Name}
		want := []string{"pr-5-web_a-jobs_dlq", "pr-5-web_a-jobs", "pr-5-web-a_jobs_dlq", "pr-5-web-a_jobs"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("queues %q, want %q", got, want)
		}
		// A queue named like another's dead-letter queue.
		c, d := envSpec("web", queue("jobs")), envSpec("web", func(e *spec.PreviewEnvironment) {
			e.Spec.SQS = &spec.SQS{Queues: []spec.Queue{{Name: "jobs-dlq"}}}
		})
		if c.Queues[0].Name == d.Queues[0].Name {
			t.Errorf("a dead-letter queue and a queue share %q", c.Queues[0].Name)
		}
	})
	t.Run("split policies", func(t *testing.T) {
		big := func(e *spec.PreviewEnvironment) {
			e.Spec.IAM = &spec.IAM{}
			for i := range 12 {
				res := []string{}
				for j := range 20 {
					res = append(res, fmt.Sprintf("arn:aws:s3:::bucket-%02d/some/long/prefix/of/objects/%02d/*", i, j))
				}
				e.Spec.IAM.Statements = append(e.Spec.IAM.Statements, spec.Statement{Sid: "S" + strconv.Itoa(i), Effect: "Allow", Actions: []string{"s3:GetObject"}, Resources: res})
			}
		}
		a, b := envSpec("web", big), envSpec("web-2", big)
		if len(a.Policies) < 2 {
			t.Fatalf("the policy was not split: %d policies", len(a.Policies))
		}
		if a.Policies[1].Name != "pr-5-web_2" || b.Policies[0].Name != "pr-5-web-2" {
			t.Errorf("policies %q and %q", a.Policies[1].Name, b.Policies[0].Name)
		}
	})
}

// nameTuple is what an AWS or Kubernetes name of prenv stands for.
type nameTuple struct {
	prefix  string
	pr      int
	app     string
	kind    string // namespace, role, policy, table, queue
	logical string
	n       int  // policy part
	dlq     bool // queue
	fifo    bool // queue
}

// names returns the namespace of names (where two equal names clash) and
// the name of t, computed by the public naming functions.
func (t nameTuple) name() (space, name string) {
	env := awsrules.EnvName(t.prefix, t.pr, t.app)
	switch t.kind {
	case "namespace":
		return "namespace", env
	case "role":
		// IAM role and policy names are unique ignoring case.
		return "role", strings.ToLower(awsrules.RoleName(env))
	case "policy":
		return "policy", strings.ToLower(awsrules.PolicyName(env, t.n))
	case "table":
		return "table", awsrules.TableName(env, t.logical)
	default:
		return "queue", awsrules.QueueName(env, t.logical, t.dlq, t.fifo)
	}
}

// valid reports whether render.Check accepts the tuple's spec: prefix, app
// and logical name as the tuple has them.
func (t nameTuple) valid() bool {
	if t.pr < 1 || t.pr > spec.MaxPR || t.n < 1 || t.n > spec.MaxManagedPolicies {
		return false
	}
	env := testkit.ValidSpec()
	env.Spec.Prefix, env.Metadata.Name = t.prefix, t.app
	env.Spec.DNS = nil
	if t.logical != "" {
		env.Spec.DynamoDB.Tables[0].Name = t.logical
		env.Spec.SQS.Queues = []spec.Queue{{Name: t.logical, FIFO: t.fifo}}
	}
	return len(spec.Check(env)) == 0
}

// Characters of AWS names, from the IAM, DynamoDB and SQS API references.
var (
	iamNameRE   = regexp.MustCompile(`^[\w+=,.@-]+$`)
	tableNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	queueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// checkName asserts the limits and the character set of a name.
func checkName(t *testing.T, tu nameTuple, space, name string) {
	t.Helper()
	limits := map[string]int{"namespace": awsrules.MaxNamespaceLen, "role": awsrules.MaxRoleNameLen, "policy": awsrules.MaxPolicyNameLen, "table": awsrules.MaxTableNameLen, "queue": awsrules.MaxQueueNameLen}
	if len(name) > limits[space] {
		t.Errorf("%+v: %s name %q is %d characters, over %d", tu, space, name, len(name), limits[space])
	}
	head := tu.prefix + "-" + strconv.Itoa(tu.pr) + "-"
	if !strings.HasPrefix(name, head) {
		t.Errorf("%+v: %q does not start with %q: prefix and PR must stay visible", tu, name, head)
	}
	switch space {
	case "namespace":
		for _, msg := range validation.IsDNS1123Label(name) {
			t.Errorf("%+v: %q is not a namespace name: %s", tu, name, msg)
		}
		if name != head+tu.app {
			t.Errorf("%+v: env name %q was shortened", tu, name)
		}
	case "role", "policy":
		if !iamNameRE.MatchString(name) {
			t.Errorf("%+v: %q has characters IAM refuses", tu, name)
		}
	case "table":
		if !tableNameRE.MatchString(name) {
			t.Errorf("%+v: %q is not a DynamoDB table name", tu, name)
		}
	case "queue":
		body := strings.TrimSuffix(name, ".fifo")
		if !queueNameRE.MatchString(body) || strings.HasSuffix(name, ".fifo") != tu.fifo {
			t.Errorf("%+v: %q is not an SQS queue name of its kind", tu, name)
		}
		if !strings.HasPrefix(name, head+tu.app[:min(len(tu.app), 1)]) {
			t.Errorf("%+v: %q does not show the app", tu, name)
		}
	}
}

// nameSet records names per namespace and fails on the first clash.
type nameSet map[[2]string]nameTuple

func (s nameSet) add(t *testing.T, tu nameTuple) {
	t.Helper()
	space, name := tu.name()
	if _, again := tu.name(); again != name {
		t.Fatalf("%+v: named %q, then %q", tu, name, again)
	}
	checkName(t, tu, space, name)
	key := [2]string{space, name}
	if other, ok := s[key]; ok && other != tu {
		t.Fatalf("%s name %q for both\n  %+v\n  %+v", space, name, other, tu)
	}
	s[key] = tu
}

const (
	lower  = "abcdefghijklmnopqrstuvwxyz"
	label  = "abcdefghijklmnopqrstuvwxyz0123456789-"
	suffix = "abcdefghijklmnopqrstuvwxyz0123456789"
)

// genLabel returns a DNS-1035 label of length n without "--".
func genLabel(r *rand.Rand, n int) string {
	b := []byte{lower[r.IntN(len(lower))]}
	for len(b) < n {
		c := label[r.IntN(len(label))]
		if c == '-' && (len(b) == n-1 || b[len(b)-1] == '-') {
			c = suffix[r.IntN(len(suffix))]
		}
		b = append(b, c)
	}
	return string(b)
}

// genPrefix returns a prefix of length n: words of [a-z0-9] starting with a
// letter, joined by '-'.
func genPrefix(r *rand.Rand, n int) string {
	b := []byte{lower[r.IntN(len(lower))]}
	for len(b) < n {
		if len(b) < n-1 && b[len(b)-1] != '-' && r.IntN(5) == 0 {
			b = append(b, '-', lower[r.IntN(len(lower))])
			continue
		}
		b = append(b, suffix[r.IntN(len(suffix))])
	}
	return string(b)
}

var testPRs = []int{1, 2, 5, 9, 10, 11, 12, 99, 100, 123, 4711, 99999, 1234567, spec.MaxPR - 1, spec.MaxPR}

// TestNamesInjective generates many tuples — random ones, ones at every
// length limit, ones whose parts are prefixes of each other or move a
// hyphen across the join, and long ones whose queue names are shortened —
// and asserts that no two distinct tuples get the same name in any
// namespace of names, and that every name keeps its limits.
func TestNamesInjective(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	set := nameSet{}
	shortened := 0
	addAll := func(prefix string, pr int, app, logical string) {
		t.Helper()
		base := nameTuple{prefix: prefix, pr: pr, app: app, n: 1}
		for _, tu := range []nameTuple{
			{kind: "namespace"}, {kind: "role"}, {kind: "policy", n: 1}, {kind: "policy", n: 2}, {kind: "policy", n: 20},
			{kind: "table", logical: logical},
			{kind: "queue", logical: logical}, {kind: "queue", logical: logical, dlq: true},
			{kind: "queue", logical: logical, fifo: true}, {kind: "queue", logical: logical, dlq: true, fifo: true},
		} {
			tu.prefix, tu.pr, tu.app = base.prefix, base.pr, base.app
			if tu.n == 0 {
				tu.n = 1
			}
			set.add(t, tu)
			if sp, n := tu.name(); sp == "queue" && strings.Contains(n, "--") {
				shortened++
			}
		}
	}
	// Random tuples of every length the checks allow.
	for range 4000 {
		pl := 1 + r.IntN(20)
		al := 1 + r.IntN(awsrules.MaxEnvNameParts-pl)
		addAll(genPrefix(r, pl), testPRs[r.IntN(len(testPRs))], genLabel(r, al), genLabel(r, 1+r.IntN(40)))
	}
	// Every length limit: prefix+app at the maximum, logical names of 1 to 40.
	for pl := 1; pl <= 20; pl++ {
		prefix := genPrefix(r, pl)
		app := genLabel(r, awsrules.MaxEnvNameParts-pl)
		for ll := 1; ll <= 40; ll++ {
			addAll(prefix, spec.MaxPR, app, genLabel(r, ll))
			addAll(prefix, 7, app, genLabel(r, ll))
		}
	}
	// Hyphens moved across every join, and parts that are prefixes of each
	// other: app "web" + logical "a-users" against app "web-a" + "users".
	words := []string{"a", "b", "web", "a1", "x9", "users", "jobs", "dlq", "fifo", "2", "a-b"}
	for _, p1 := range []string{"pr", "pr-a", "pr-web"} {
		for _, pr := range []int{1, 5, 12} {
			for _, w1 := range words {
				for _, w2 := range words {
					for _, w3 := range words {
						for _, cut := range []struct{ app, logical string }{
							{w1 + "-" + w2, w3}, {w1, w2 + "-" + w3}, {w1 + "-" + w2 + "-" + w3, "x"},
						} {
							tu := nameTuple{prefix: p1, pr: pr, app: cut.app, logical: cut.logical, n: 1}
							if !startsWithLetter(cut.app) || !startsWithLetter(cut.logical) {
								continue
							}
							addAll(tu.prefix, tu.pr, tu.app, tu.logical)
						}
					}
				}
			}
		}
	}
	// Long names that differ only in what a cut drops.
	for i := range 3000 {
		app := "a" + strings.Repeat("b", 29)
		addAll("preview", 1000+i%7, app, fmt.Sprintf("queue-with-a-long-shared-start-%07d", i))
	}
	if shortened < 5000 {
		t.Fatalf("only %d queue names were shortened; the test must cover shortened names", shortened)
	}
}

func startsWithLetter(s string) bool { return s != "" && s[0] >= 'a' && s[0] <= 'z' }

// TestNamesOfCheckedSpecs: every tuple the property test uses is one that
// render.Check accepts, and Plan names objects with the same functions.
func TestNamesOfCheckedSpecs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		pl := 1 + r.IntN(20)
		tu := nameTuple{prefix: genPrefix(r, pl), pr: testPRs[r.IntN(len(testPRs))], app: genLabel(r, 1+r.IntN(awsrules.MaxEnvNameParts-pl)), logical: genLabel(r, 1+r.IntN(40)), n: 1, fifo: r.IntN(2) == 0}
		if !tu.valid() {
			t.Fatalf("Check refuses %+v", tu)
		}
		env := testkit.ValidSpec()
		env.Spec.Prefix, env.Metadata.Name = tu.prefix, tu.app
		env.Spec.DNS = nil
		env.Spec.DynamoDB.Tables[0].Name = tu.logical
		env.Spec.SQS.Queues = []spec.Queue{{Name: tu.logical, FIFO: tu.fifo, DeadLetter: &spec.DeadLetter{MaxReceiveCount: 2}}}
		m, err := plan.Plan(env, tu.pr)
		if err != nil {
			t.Fatal(err)
		}
		envName := awsrules.EnvName(tu.prefix, tu.pr, tu.app)
		got := []string{m.Namespace, m.Role.Name, m.Policies[0].Name, m.Tables[0].Name, m.Queues[0].Name, m.Queues[1].Name}
		want := []string{envName, awsrules.RoleName(envName), awsrules.PolicyName(envName, 1), awsrules.TableName(envName, tu.logical),
			awsrules.QueueName(envName, tu.logical, true, tu.fifo), awsrules.QueueName(envName, tu.logical, false, tu.fifo)}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("%+v: Plan names %q, naming functions %q", tu, got, want)
		}
	}
}

// FuzzNames: two distinct tuples that render.Check accepts never get the
// same name in any namespace of names.
func FuzzNames(f *testing.F) {
	f.Add("pr", 5, "web", "a-users", "pr", 5, "web-a", "users", uint8(0), uint8(0))
	f.Add("pr", 5, "web", "jobs", "pr", 5, "web", "jobs-dlq", uint8(5), uint8(4))
	f.Add("pr", 5, "web", "x", "pr", 5, "web-2", "x", uint8(3), uint8(2))
	f.Add("a", 1, "b1-c", "d", "a-b1", 1, "c", "d", uint8(0), uint8(0))
	f.Add("preview", 2147483647, strings.Repeat("a", 43), strings.Repeat("q", 40), "preview", 2147483647, strings.Repeat("a", 43), strings.Repeat("q", 39)+"r", uint8(7), uint8(7))
	f.Fuzz(func(t *testing.T, p1 string, pr1 int, a1, l1, p2 string, pr2 int, a2, l2 string, k1, k2 uint8) {
		mk := func(p string, pr int, a, l string, k uint8) nameTuple {
			kinds := []string{"namespace", "role", "policy", "table", "queue"}
			tu := nameTuple{prefix: p, pr: pr, app: a, logical: l, n: 1, kind: kinds[int(k)%len(kinds)]}
			switch tu.kind {
			case "policy":
				tu.n = 1 + int(k/8)%spec.MaxManagedPolicies
				tu.logical = ""
			case "queue":
				tu.dlq, tu.fifo = k&8 != 0, k&16 != 0
			case "namespace", "role":
				tu.logical = ""
			}
			return tu
		}
		t1, t2 := mk(p1, pr1, a1, l1, k1), mk(p2, pr2, a2, l2, k2)
		if t1 == t2 || !t1.valid() || !t2.valid() {
			return
		}
		s1, n1 := t1.name()
		s2, n2 := t2.name()
		checkName(t, t1, s1, n1)
		checkName(t, t2, s2, n2)
		if s1 == s2 && n1 == n2 {
			t.Fatalf("%s name %q for both\n  %+v\n  %+v", s1, n1, t1, t2)
		}
	})
}

// TestAWSNameLimits renders the longest names a spec allows and checks every
// AWS name against its limit, with .fifo kept on FIFO queues and their DLQs.
func TestAWSNameLimits(t *testing.T) {
	env := testkit.ValidSpec()
	env.Spec.Prefix = "preview-" + strings.Repeat("x", 12)
	env.Metadata.Name = "a" + strings.Repeat("p", awsrules.MaxEnvNameParts-len(env.Spec.Prefix)-1)
	env.Spec.DNS = nil
	long := "q" + strings.Repeat("u", 38)
	env.Spec.SQS.Queues = []spec.Queue{
		{Name: long + "1", FIFO: true, DeadLetter: &spec.DeadLetter{MaxReceiveCount: 3}},
		{Name: long + "2", FIFO: true, DeadLetter: &spec.DeadLetter{MaxReceiveCount: 3}},
		{Name: long + "3", DeadLetter: &spec.DeadLetter{MaxReceiveCount: 3}},
		{Name: "s", FIFO: true},
	}
	env.Spec.DynamoDB.Tables[0].Name = "t" + strings.Repeat("a", 39)
	out, err := render.Render(context.Background(), env, spec.MaxPR, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := out.Model
	if len(m.Namespace) != awsrules.MaxNamespaceLen {
		t.Errorf("namespace %q: %d characters", m.Namespace, len(m.Namespace))
	}
	names := map[string]bool{}
	for _, q := range m.Queues {
		if len(q.Name) > awsrules.MaxQueueNameLen {
			t.Errorf("queue %q is %d characters, over %d", q.Name, len(q.Name), awsrules.MaxQueueNameLen)
		}
		fifo := q.Logical != long+"3"
		if fifo != strings.HasSuffix(q.Name, ".fifo") {
			t.Errorf("queue %q (logical %s): .fifo suffix is %v, want %v", q.Name, q.Logical, !fifo, fifo)
		}
		if !strings.HasPrefix(q.Name, "preview-"+strings.Repeat("x", 12)+"-2147483647-ap") {
			t.Errorf("queue %q does not show prefix, PR and app", q.Name)
		}
		if names[q.Name] {
			t.Errorf("two queues are named %q", q.Name)
		}
		names[q.Name] = true
		if !strings.HasSuffix(q.ARN, ":"+q.Name) || !strings.HasSuffix(q.URL, "/"+q.Name) {
			t.Errorf("queue %q: ARN %q, URL %q", q.Name, q.ARN, q.URL)
		}
	}
	for _, tm := range m.Tables {
		if want := m.EnvName + "_" + tm.Logical; tm.Name != want {
			t.Errorf("table %q, want %q", tm.Name, want)
		}
	}
	if m.Role.Name != m.EnvName || len(m.Role.Name) > awsrules.MaxRoleNameLen {
		t.Errorf("role %q", m.Role.Name)
	}
}

// TestEnvNameLengthChecked: a spec whose env name could exceed a namespace
// name for some PR number is refused at metadata.name, with and without
// external-dns's TXT record room.
func TestEnvNameLengthChecked(t *testing.T) {
	tests := map[string]struct {
		prefix, app string
		dns         *spec.DNS
		want        string // error fragment, "" for valid
	}{
		"51 characters fit":           {"pr", strings.Repeat("a", 49), nil, ""},
		"52 do not":                   {"pr", strings.Repeat("a", 50), nil, "prefix and app together may have at most 51 characters"},
		"with dns: cname- reserved":   {"pr", strings.Repeat("a", 44), &spec.DNS{Zone: "preview.example.com"}, "prefix and app together may have at most 45 characters"},
		"with dns: 45 fit":            {"pr", strings.Repeat("a", 43), &spec.DNS{Zone: "preview.example.com"}, ""},
		"with a TXT prefix":           {"pr", strings.Repeat("a", 38), &spec.DNS{Zone: "preview.example.com", TXTPrefix: "extdns-"}, "prefix and app together may have at most 38 characters"},
		"record type in the prefix":   {"pr", strings.Repeat("a", 42), &spec.DNS{Zone: "preview.example.com", TXTPrefix: "x-%{record_type}-"}, "at most 43 characters"},
		"a prefix label of its own":   {"pr", strings.Repeat("a", 43), &spec.DNS{Zone: "preview.example.com", TXTPrefix: "txt."}, ""},
		"bad TXT prefix characters":   {"pr", "web", &spec.DNS{Zone: "preview.example.com", TXTPrefix: "TXT_"}, "spec.dns.txtPrefix"},
		"double hyphen in the app":    {"pr", "web--api", nil, `must not contain "--"`},
		"double hyphen in a new app":  {"pr", "a--b", nil, `metadata.name: Invalid value: "a--b"`},
		"shortened-looking app is ok": {"pr", "web-0123abcd", nil, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := testkit.ValidSpec()
			env.Spec.Prefix, env.Metadata.Name, env.Spec.DNS = tc.prefix, tc.app, tc.dns
			errs := spec.Check(env)
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected: %v", errs)
				}
				return
			}
			if !strings.Contains(errs.ToAggregate().Error(), tc.want) {
				t.Fatalf("errors %v, want one containing %q", errs, tc.want)
			}
		})
	}
}

func TestTXTRecordLabel(t *testing.T) {
	tests := []struct{ label, typ, prefix, suffix, want string }{
		{"test-1-web", "cname", "", "", "cname-test-1-web"},
		{"test-1-web", "a", "ext-", "", "ext-a-test-1-web"},
		{"test-1-web", "a", "%{record_type}-x-", "", "a-x-test-1-web"},
		{"test-1-web", "aaaa", "txt.", "", "aaaa-test-1-web"},
		{"test-1-web", "cname", "", "-own", "cname-test-1-web-own"},
		{"test-1-web", "cname", "", ".own", "cname-test-1-web"},
		{"test-1-web", "a", "", "-%{record_type}", "test-1-web-a"},
	}
	for _, tc := range tests {
		if got := awsrules.TXTRecordLabel(tc.label, tc.typ, tc.prefix, tc.suffix); got != tc.want {
			t.Errorf("TXTRecordLabel(%q, %q, %q, %q) = %q, want %q", tc.label, tc.typ, tc.prefix, tc.suffix, got, tc.want)
		}
	}
}

// TestManifestsReleaseName: the release name of an env's manifests fits
// Helm's rule for every env-name length and stays unique.
func TestManifestsReleaseName(t *testing.T) {
	if got := awsrules.ManifestsReleaseName("test-123-web"); got != "test-123-web-prenv" {
		t.Errorf("got %q", got)
	}
	seen := map[string]string{}
	for n := 5; n <= awsrules.MaxNamespaceLen; n++ {
		for _, env := range []string{"p-1-" + strings.Repeat("a", n-4), "p-1-" + strings.Repeat("a", n-5) + "b", "q-22-" + strings.Repeat("c", max(n-5, 1))} {
			got := awsrules.ManifestsReleaseName(env)
			if err := chartutil.ValidateReleaseName(got); err != nil {
				t.Errorf("%q -> %q: %v", env, got, err)
			}
			if other, ok := seen[got]; ok && other != env {
				t.Errorf("%q and %q both give %q", env, other, got)
			}
			seen[got] = env
		}
	}
}
