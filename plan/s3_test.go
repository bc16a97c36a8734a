package plan_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// podIdentitySpec is a valid spec with identity podIdentity and two
// buckets, one read-only.
func podIdentitySpec() *spec.PreviewEnvironment {
	env := testkit.ValidSpec()
	env.Spec.Identity = spec.IdentityPodIdentity
	env.Spec.AWS.OIDCProviderURL = ""
	env.Spec.AWS.ClusterName = "previews"
	env.Spec.S3 = &spec.S3{Buckets: []spec.Bucket{{Name: "uploads"}, {Name: "fixtures", Access: "read"}}}
	return env
}

// TestBucketsNeverShared: two PRs, two apps, two accounts and two regions
// never get one bucket name, and every name is the ConfigMap's.
func TestBucketsNeverShared(t *testing.T) {
	seen := map[string]string{}
	for _, app := range []string{"shop", "shop-uploads"} {
		for _, account := range []string{"123456789012", "210987654321"} {
			for _, region := range []string{"eu-west-1", "us-east-1"} {
				for _, pr := range []int{1, 2, 123} {
					env := podIdentitySpec()
					env.Metadata.Name, env.Spec.AWS.AccountID, env.Spec.AWS.Region = app, spec.AccountID(account), region
					// shop's "uploads-x" and shop-uploads's "x" read the
					// same before the hash: <env>-uploads-x.
					env.Spec.S3.Buckets[1].Name = map[string]string{"shop": "uploads-x", "shop-uploads": "x"}[app]
					m, err := plan.Plan(env, pr)
					if err != nil {
						t.Fatal(err)
					}
					for _, b := range m.Buckets {
						who := app + "/" + account + "/" + region + "/" + b.Logical
						if other, ok := seen[b.Name]; ok {
							t.Errorf("%s: bucket name of %s and %s", b.Name, other, who)
						}
						seen[b.Name] = who
						if got := m.ConfigMap.Data["PRENV_BUCKET_"+map[string]string{"uploads": "UPLOADS", "uploads-x": "UPLOADS_X", "x": "X"}[b.Logical]+"_NAME"]; got != b.Name {
							t.Errorf("%s: ConfigMap has %q", b.Name, got)
						}
						if (region == "us-east-1") != (b.LocationConstraint == "") {
							t.Errorf("%s in %s: locationConstraint %q", b.Name, region, b.LocationConstraint)
						}
					}
				}
			}
		}
	}
}

// TestBucketStatements: least privilege on exactly the env's buckets, in
// the env's account.
func TestBucketStatements(t *testing.T) {
	m, err := plan.Plan(podIdentitySpec(), 7)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Sid       string
			Action    []string
			Resource  []string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(m.Policies[0].Document), &doc); err != nil {
		t.Fatal(err)
	}
	up, fx := m.Buckets[0].ARN, m.Buckets[1].ARN
	want := map[string][2][]string{
		"BucketUploads":         {{"s3:ListBucket"}, {up}},
		"BucketUploadsObjects":  {{"s3:DeleteObject", "s3:GetObject", "s3:PutObject"}, {up + "/*"}},
		"BucketFixtures":        {{"s3:ListBucket"}, {fx}},
		"BucketFixturesObjects": {{"s3:GetObject"}, {fx + "/*"}},
		"BucketsEmpty":          {{"s3:DeleteObject"}, {fx + "/*"}},
	}
	n := 0
	for _, st := range doc.Statement {
		w, ok := want[st.Sid]
		if !ok {
			continue
		}
		n++
		if !slices.Equal(st.Action, w[0]) || !slices.Equal(st.Resource, w[1]) || st.Condition["StringEquals"]["aws:ResourceAccount"] != "123456789012" {
			t.Errorf("%s: %+v, want actions %v on %v in the env's account", st.Sid, st, w[0], w[1])
		}
	}
	if n != len(want) {
		t.Errorf("found %d of the %d bucket statements in %s", n, len(want), m.Policies[0].Document)
	}
}

// TestPodIdentityModel: with podIdentity the ServiceAccount has no role
// annotation, the association names the env's ServiceAccount and role and
// is always deleted, and the env's pods may reach the Pod Identity Agent.
func TestPodIdentityModel(t *testing.T) {
	env := podIdentitySpec()
	env.Spec.DeletionPolicy = "retain"
	m, err := plan.Plan(env, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.ServiceAccount.Annotations[spec.AnnotationRoleARN]; ok {
		t.Error("the ServiceAccount has an IRSA role annotation")
	}
	p := m.PodIdentity
	if p == nil || p.ServiceAccount != "shop" || p.Namespace != "pr-7-shop" || p.RoleARN != m.Role.ARN || p.ClusterName != "previews" || p.Annotations[spec.AnnotationDeletion] != "delete" {
		t.Fatalf("association %+v", p)
	}
	if m.BucketsEmpty != nil {
		t.Error("retained buckets are emptied")
	}
	if m.Buckets[0].Annotations[spec.AnnotationAdoptionFields] != `{"name":"`+m.Buckets[0].Name+`"}` {
		t.Errorf("retained bucket adoption: %v", m.Buckets[0].Annotations)
	}
	i := slices.IndexFunc(m.NetworkPolicies, func(n plan.NetworkPolicyModel) bool { return n.Name == plan.NetworkPolicyPodIdentityAgent })
	if i < 0 || len(m.NetworkPolicies[i].Egress) != 1 || m.NetworkPolicies[i].Egress[0].Ports[0].Port != 80 {
		t.Fatalf("network policies %+v", m.NetworkPolicies)
	}
	env.Spec.DeletionPolicy = ""
	if m, err = plan.Plan(env, 7); err != nil || m.BucketsEmpty == nil || !slices.Equal(m.BucketsEmpty.Buckets, []string{m.Buckets[0].Name, m.Buckets[1].Name}) || m.BucketsEmpty.ServiceAccount != "shop" {
		t.Fatalf("emptying Job %+v (%v)", m.BucketsEmpty, err)
	}
}

// TestBucketsEmptyDeadline runs the emptying Job's script with the shell,
// a clock (date) that jumps past plan.BucketsEmptySeconds after its first
// reading, and an aws that records its calls: the script empties the first
// bucket, finds no time left for the second, says so, and succeeds, so the
// PreDelete hook ends and Argo CD goes on deleting the env.
func TestBucketsEmptyDeadline(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	m, err := plan.Plan(podIdentitySpec(), 7)
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	clock := filepath.Join(bin, "clock")
	calls := filepath.Join(bin, "calls")
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The first two readings are the start; every later one is past the
	// deadline.
	write("date", fmt.Sprintf(`n=$(cat %[1]q 2>/dev/null || echo 0); echo $((n+1)) > %[1]q
if [ "$n" -lt 2 ]; then echo 1000; else echo %[2]d; fi
`, clock, 1000+plan.BucketsEmptySeconds))
	write("timeout", `shift; exec "$@"`+"\n")
	write("aws", fmt.Sprintf("echo \"$*\" >> %q\n", calls))
	args := append([]string{"-c", m.BucketsEmpty.Script, "prenv-empty-buckets"}, m.BucketsEmpty.Buckets...)
	cmd := exec.Command(sh, args...)
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the script failed: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(calls)
	b := m.BucketsEmpty.Buckets
	if want := "s3 rm s3://" + b[0] + " --recursive --only-show-errors\n"; string(got) != want {
		t.Errorf("aws calls:\n%s\nwant:\n%s", got, want)
	}
	if want := "prenv: no time left to empty " + b[1] + "; its expiration rule will\n"; string(out) != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}
