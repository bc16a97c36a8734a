package awsrules

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"prenv.dev/prenv/internal/iamactions"
)

// TestBucketNameProblems: each of S3's naming rules, with the sentence
// that names it.
func TestBucketNameProblems(t *testing.T) {
	for name, want := range map[string][]string{
		"pr-1-web-assets":                      nil,
		"ab":                                   {"a bucket name has 3 to 63 characters"},
		strings.Repeat("a", 64):                {"a bucket name has 3 to 63 characters"},
		strings.Repeat("a", 63):                nil,
		"Web-assets":                           {"a bucket name has only lower-case letters, digits, '.' and '-', and begins and ends with a letter or digit"},
		"web_assets":                           {"a bucket name has only lower-case letters, digits, '.' and '-', and begins and ends with a letter or digit"},
		"-web":                                 {"a bucket name has only lower-case letters, digits, '.' and '-', and begins and ends with a letter or digit"},
		"web-":                                 {"a bucket name has only lower-case letters, digits, '.' and '-', and begins and ends with a letter or digit"},
		"web..assets":                          {"a bucket name has no two adjacent periods"},
		"192.168.5.4":                          {"a bucket name is not formatted as an IP address"},
		"192.168.5":                            nil,
		"xn--web":                              {"S3 reserves bucket names starting with xn--"},
		"sthree-web":                           {"S3 reserves bucket names starting with sthree-"},
		"sthree-configurator":                  {"S3 reserves bucket names starting with sthree-"},
		"amzn-s3-demo-web":                     {"S3 reserves bucket names starting with amzn-s3-demo-"},
		"web-s3alias":                          {"S3 reserves bucket names ending with -s3alias"},
		"web--ol-s3":                           {"S3 reserves bucket names ending with --ol-s3"},
		"web.mrap":                             {"S3 reserves bucket names ending with .mrap"},
		"web--usw2-az1--x-s3":                  {"S3 reserves bucket names ending with --x-s3"},
		"web--table-s3":                        {"S3 reserves bucket names ending with --table-s3"},
		"web.assets":                           nil,
		"xn-1-web--abcdefghijklmnopqrstuvwxyz": nil,
	} {
		if got := BucketNameProblems(name); !slices.Equal(got, want) {
			t.Errorf("BucketNameProblems(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestBucketNames: every bucket name prenv gives follows S3's rules, has no
// '.', starts with <prefix>-<pr>- and the app's first character, is
// recognised as an env's by ReachesEnvResources, and differs between
// apps, PRs, logical names, accounts, regions and partitions, also where
// the readable part is the same.
func TestBucketNames(t *testing.T) {
	long := strings.Repeat("a", MaxEnvNameParts)
	type tuple struct{ prefix, app, logical, partition, account, region string }
	var tuples []tuple
	for _, prefix := range []string{"pr", "team-x", "xn", strings.Repeat("p", MaxPrefixLen)} {
		for _, app := range []string{"web", "web-a", long[:MaxEnvNameParts-len(prefix)]} {
			for _, logical := range []string{"assets", "a-assets", "b", strings.Repeat("l", MaxLogicalNameLen)} {
				for _, where := range [][3]string{{"aws", "123456789012", "eu-west-1"}, {"aws", "210987654321", "eu-west-1"}, {"aws", "123456789012", "us-east-1"}, {"aws-cn", "123456789012", "cn-north-1"}} {
					tuples = append(tuples, tuple{prefix, app, logical, where[0], where[1], where[2]})
				}
			}
		}
	}
	seen := map[string]tuple{}
	for _, tu := range tuples {
		for _, pr := range []int{1, 2, 12, 2147483647} {
			env := EnvName(tu.prefix, pr, tu.app)
			name := BucketName(env, tu.logical, tu.partition, tu.account, tu.region)
			if p := BucketNameProblems(name); p != nil || strings.Contains(name, ".") {
				t.Errorf("%s: %q", name, p)
			}
			if start := tu.prefix + "-" + itoa(pr) + "-" + tu.app[:1]; !strings.HasPrefix(name, start) {
				t.Errorf("%s does not start with %s", name, start)
			}
			if _, ok := ReachesEnvResources([]string{"s3:GetObject"}, BucketARN(tu.partition, name)+"/key"); !ok {
				t.Errorf("%s: not recognised as an env's bucket", name)
			}
			key := tu
			key.app += "#" + itoa(pr)
			if other, dup := seen[name]; dup {
				t.Errorf("%s: given to %+v and %+v", name, other, key)
			}
			seen[name] = key
		}
	}
	if got := BucketName("pr-123-web", "assets", "aws", "123456789012", "eu-west-1"); got != "pr-123-web-assets--"+NameHash("pr-123-web_assets_aws_123456789012_eu-west-1") {
		t.Errorf("BucketName = %q", got)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestClusterNameProblem(t *testing.T) {
	for name, want := range map[string]string{
		"preview":                "",
		"Preview_1-eu":           "",
		"9lives":                 "",
		"":                       "an EKS cluster name has 1 to 100 characters",
		strings.Repeat("c", 101): "an EKS cluster name has 1 to 100 characters",
		strings.Repeat("c", 100): "",
		"-preview":               `an EKS cluster name has only letters, digits, '-' and '_' and begins with a letter or digit (regex ^[0-9A-Za-z][A-Za-z0-9\-_]*$)`,
		"preview.eu":             `an EKS cluster name has only letters, digits, '-' and '_' and begins with a letter or digit (regex ^[0-9A-Za-z][A-Za-z0-9\-_]*$)`,
		"_preview":               `an EKS cluster name has only letters, digits, '-' and '_' and begins with a letter or digit (regex ^[0-9A-Za-z][A-Za-z0-9\-_]*$)`,
	} {
		if got := ClusterNameProblem(name); got != want {
			t.Errorf("ClusterNameProblem(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestPodIdentityTrustPolicy: the role trusts the Pod Identity principal
// for exactly the env's cluster, namespace and ServiceAccount.
func TestPodIdentityTrustPolicy(t *testing.T) {
	doc, err := PodIdentityTrustPolicy("aws", "eu-west-1", "123456789012", "previews", "pr-1-web", "web")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Statement []struct {
			Principal map[string]string
			Action    []string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(doc), &got); err != nil {
		t.Fatal(err)
	}
	st := got.Statement[0]
	want := map[string]string{
		"aws:SourceAccount":                         "123456789012",
		"aws:RequestTag/eks-cluster-arn":            "arn:aws:eks:eu-west-1:123456789012:cluster/previews",
		"aws:RequestTag/kubernetes-namespace":       "pr-1-web",
		"aws:RequestTag/kubernetes-service-account": "web",
	}
	if len(got.Statement) != 1 || st.Principal["Service"] != "pods.eks.amazonaws.com" || len(st.Condition) != 1 || !maps.Equal(st.Condition["StringEquals"], want) {
		t.Errorf("statements %+v", got.Statement)
	}
	if !slices.Equal(st.Action, []string{"sts:AssumeRole", "sts:TagSession"}) {
		t.Errorf("Action = %v", st.Action)
	}
}

// TestS3ActionsAreKnown: every S3 and Pod Identity action prenv grants is
// in the catalogue as written.
func TestS3ActionsAreKnown(t *testing.T) {
	cat := iamactions.Default()
	all := append(BucketListActions(), ObjectEmptyActions()...)
	for _, access := range []string{"read", "write", "readWrite"} {
		all = append(all, ObjectActions(access)...)
	}
	all = append(all, "sts:AssumeRole", "sts:TagSession")
	for _, a := range all {
		if got, ok := cat.Action(a); !ok || got != a {
			t.Errorf("%q is not in the catalogue as written (found %q)", a, got)
		}
	}
	if ObjectActions("admin") != nil {
		t.Error("an unknown access grants actions")
	}
}
