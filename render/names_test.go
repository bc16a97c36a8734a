package render_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"prenv.dev/prenv/render"
)

func TestEnvNameExamples(t *testing.T) {
	long := "a" + strings.Repeat("b", 62) // the longest app name, 63 characters
	full := "preview-2147483647-" + long
	sum := sha256.Sum256([]byte(full))
	hash := hex.EncodeToString(sum[:])[:8]
	tests := map[string]struct {
		prefix string
		pr     int
		app    string
		want   string
	}{
		"short":             {"test", 123, "web", "test-123-web"},
		"multi-word":        {"pr-eu", 1, "shop-api", "pr-eu-1-shop-api"},
		"exactly 63":        {"p", 1, "a" + strings.Repeat("b", 58), "p-1-a" + strings.Repeat("b", 58)},
		"64 is shortened":   {"p", 1, "a" + strings.Repeat("b", 59), ""},
		"longest of all":    {"preview", render.MaxPR, long, "preview-2147483647-" + long[:63-len("preview-2147483647-")-9] + "-" + hash},
		"cut before a dash": {"p", 1, "a" + strings.Repeat("b", 48) + "-" + strings.Repeat("c", 20), "p-1-a" + strings.Repeat("b", 48) + "-" + shortHash("p-1-a"+strings.Repeat("b", 48)+"-"+strings.Repeat("c", 20))},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := render.EnvName(tc.prefix, tc.pr, tc.app)
			if tc.want != "" && got != tc.want {
				t.Errorf("EnvName(%q, %d, %q) = %q, want %q", tc.prefix, tc.pr, tc.app, got, tc.want)
			}
			checkEnvName(t, got, tc.prefix, tc.pr, tc.app)
		})
	}
}

// checkEnvName asserts what every env name must be.
func checkEnvName(t *testing.T, got, prefix string, pr int, app string) {
	t.Helper()
	if len(got) > render.MaxNamespaceLen {
		t.Errorf("%q is %d characters, over %d", got, len(got), render.MaxNamespaceLen)
	}
	for _, msg := range validation.IsDNS1123Label(got) {
		t.Errorf("%q is not a namespace name: %s", got, msg)
	}
	head := prefix + "-" + strconv.Itoa(pr) + "-"
	if !strings.HasPrefix(got, head) {
		t.Errorf("%q does not start with %q: prefix and PR must stay whole", got, head)
	}
	full := head + app
	if len(full) <= render.MaxNamespaceLen && got != full {
		t.Errorf("%q fits in %d characters but became %q", full, render.MaxNamespaceLen, got)
	}
	if len(full) > render.MaxNamespaceLen {
		// <cut app>-<8 hex characters of sha256(full)>
		sum := sha256.Sum256([]byte(full))
		if want := "-" + hex.EncodeToString(sum[:])[:8]; !strings.HasSuffix(got, want) {
			t.Errorf("shortened %q does not end with the hash %q", got, want)
		}
		if cut := strings.TrimSuffix(got, got[len(got)-9:]); !strings.HasPrefix(full, cut) {
			t.Errorf("shortened %q is not a cut of %q", got, full)
		}
	}
}

// genApp returns a DNS-1035 label of length n.
func genApp(r *rand.Rand, n int) string {
	const first = "abcdefghijklmnopqrstuvwxyz"
	const rest = "abcdefghijklmnopqrstuvwxyz0123456789-"
	b := []byte{first[r.IntN(len(first))]}
	for len(b) < n {
		c := rest[r.IntN(len(rest))]
		if len(b) == n-1 && c == '-' {
			c = 'z'
		}
		b = append(b, c)
	}
	return string(b)
}

func genPrefix(r *rand.Rand, n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	const rest = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := []byte{letters[r.IntN(len(letters))]}
	for len(b) < n {
		if len(b) < n-1 && b[len(b)-1] != '-' && r.IntN(6) == 0 {
			b = append(b, '-', letters[r.IntN(len(letters))])
			continue
		}
		b = append(b, rest[r.IntN(len(rest))])
	}
	return string(b)
}

// TestEnvNameUnique generates many (prefix, pr, app) triples, many of them
// long enough to be shortened and many differing only near the end, and
// asserts no two give the same env name.
func TestEnvNameUnique(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type key struct {
		prefix string
		pr     int
		app    string
	}
	seen := map[string]key{}
	shortened := 0
	add := func(k key) {
		t.Helper()
		got := render.EnvName(k.prefix, k.pr, k.app)
		if again := render.EnvName(k.prefix, k.pr, k.app); again != got {
			t.Fatalf("EnvName(%v) gave %q, then %q", k, got, again)
		}
		if other, ok := seen[got]; ok && other != k {
			t.Fatalf("EnvName(%v) = EnvName(%v) = %q", k, other, got)
		}
		seen[got] = k
		if len(k.prefix)+len(strconv.Itoa(k.pr))+len(k.app)+2 > render.MaxNamespaceLen {
			shortened++
		}
		checkEnvName(t, got, k.prefix, k.pr, k.app)
	}
	prs := []int{1, 2, 9, 10, 11, 99, 100, 123, 4711, 99999, 1234567, render.MaxPR - 1, render.MaxPR}
	for i := range 20000 {
		p := genPrefix(r, 1+r.IntN(20))
		a := genApp(r, 1+r.IntN(63))
		if i%2 == 0 {
			a = genApp(r, 40+r.IntN(24)) // mostly shortened
		}
		add(key{p, prs[r.IntN(len(prs))], a})
	}
	// Names that differ only in the part the cut drops.
	base := "a" + strings.Repeat("b", 55)
	for i := range 2000 {
		add(key{"preview", 1000, base + fmt.Sprintf("%07d", i)})
		add(key{"preview", 1000, base + "-" + fmt.Sprintf("x%05d", i)})
	}
	// Boundaries that parse one way only: prefix words end where the PR begins.
	for _, k := range []key{
		{"a", 1, "b1-c"}, {"a-b1", 1, "c"}, {"a", 11, "c"}, {"a", 1, "c1"},
		{"ab", 1, "c"}, {"a", 1, "bc"}, {"a-b", 1, "c"}, {"a", 1, "b-c"},
	} {
		add(k)
	}
	if shortened < 5000 {
		t.Fatalf("only %d of the names were long enough to be shortened", shortened)
	}
}

// TestAWSNameLimits renders the longest names a spec allows and checks every
// AWS name against its limit, with .fifo kept on FIFO queues and their DLQs.
func TestAWSNameLimits(t *testing.T) {
	env := validSpec()
	env.Metadata.Name = "a" + strings.Repeat("p", 62)
	env.Spec.Prefix = "preview-" + strings.Repeat("x", 12)
	long := "q" + strings.Repeat("u", 38)
	env.Spec.SQS.Queues = []render.Queue{
		{Name: long + "1", FIFO: true, DeadLetter: &render.DeadLetter{MaxReceiveCount: 3}},
		{Name: long + "2", FIFO: true, DeadLetter: &render.DeadLetter{MaxReceiveCount: 3}},
		{Name: long + "3", DeadLetter: &render.DeadLetter{MaxReceiveCount: 3}},
		{Name: "s", FIFO: true},
	}
	env.Spec.DynamoDB.Tables[0].Name = "t" + strings.Repeat("a", 39)
	out, err := render.Render(context.Background(), env, render.MaxPR, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := out.Model
	if len(m.Namespace) != render.MaxNamespaceLen {
		t.Errorf("namespace %q: %d characters", m.Namespace, len(m.Namespace))
	}
	names := map[string]bool{}
	for _, q := range m.Queues {
		if len(q.Name) > render.MaxQueueNameLen {
			t.Errorf("queue %q is %d characters, over %d", q.Name, len(q.Name), render.MaxQueueNameLen)
		}
		fifo := q.Logical != long+"3"
		if fifo != strings.HasSuffix(q.Name, ".fifo") {
			t.Errorf("queue %q (logical %s): .fifo suffix is %v, want %v", q.Name, q.Logical, !fifo, fifo)
		}
		if !strings.HasPrefix(q.Name, m.EnvName+"-") {
			t.Errorf("queue %q does not start with the env name", q.Name)
		}
		if strings.Contains(q.Name, "-.") || strings.Contains(q.Name, "--") {
			t.Errorf("queue %q has a dangling separator at the cut", q.Name)
		}
		if names[q.Name] {
			t.Errorf("two queues are named %q", q.Name)
		}
		names[q.Name] = true
		if !strings.HasSuffix(q.ARN, ":"+q.Name) || !strings.HasSuffix(q.URL, "/"+q.Name) {
			t.Errorf("queue %q: ARN %q, URL %q", q.Name, q.ARN, q.URL)
		}
	}
	if got, want := m.Queues[len(m.Queues)-1].Name, m.EnvName+"-s.fifo"; got != want {
		t.Errorf("a short FIFO queue is named %q, want %q", got, want)
	}
	for _, tm := range m.Tables {
		if n := len(tm.Name); n > render.MaxTableNameLen || n < render.MinTableNameLen {
			t.Errorf("table %q: %d characters", tm.Name, n)
		}
		if want := m.EnvName + "-" + tm.Logical; tm.Name != want {
			t.Errorf("table %q, want %q", tm.Name, want)
		}
	}
	if n := len(m.Role.Name); n > render.MaxRoleNameLen {
		t.Errorf("role %q: %d characters", m.Role.Name, n)
	}
	for _, p := range m.Policies {
		if n := len(p.Name); n > render.MaxPolicyNameLen {
			t.Errorf("policy %q: %d characters", p.Name, n)
		}
	}
}

// TestQueueNamesShortenedApart: queues whose long names differ only in the
// characters the cut drops still get different AWS names.
func TestQueueNamesShortenedApart(t *testing.T) {
	env := validSpec()
	env.Metadata.Name = "a" + strings.Repeat("p", 62)
	env.Spec.SQS.Queues = nil
	for i := range 30 {
		env.Spec.SQS.Queues = append(env.Spec.SQS.Queues, render.Queue{Name: fmt.Sprintf("queue-with-a-long-common-start-%02d", i), FIFO: i%2 == 0})
	}
	out, err := render.Render(context.Background(), env, 42, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, q := range out.Model.Queues {
		if len(q.Name) > render.MaxQueueNameLen {
			t.Errorf("queue %q is too long", q.Name)
		}
		if other, ok := seen[q.Name]; ok {
			t.Errorf("queues %s and %s are both named %q", other, q.Logical, q.Name)
		}
		seen[q.Name] = q.Logical
	}
}

func shortHash(full string) string {
	sum := sha256.Sum256([]byte(full))
	return hex.EncodeToString(sum[:])[:8]
}
