package emulators_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// fakeAWSEndpoint, when set, makes this test binary act as the AWS CLI's
// "aws s3 rm s3://<bucket> --recursive --only-show-errors" against the S3
// endpoint it names (see TestMain): the emptying Job's script runs with it
// as its aws command.
const fakeAWSEndpoint = "PRENV_TEST_FAKE_AWS_S3_ENDPOINT"

func TestMain(m *testing.M) {
	if ep := os.Getenv(fakeAWSEndpoint); ep != "" {
		os.Exit(fakeAWSCLI(ep, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeAWSCLI does what "aws s3 rm s3://<bucket> --recursive" does: list
// every object of the bucket and delete each. Other commands fail.
func fakeAWSCLI(endpoint string, args []string) int {
	if len(args) < 3 || args[0] != "s3" || args[1] != "rm" || !strings.HasPrefix(args[2], "s3://") || !slices.Contains(args, "--recursive") {
		fmt.Fprintf(os.Stderr, "fake aws: unsupported command %q\n", args)
		return 2
	}
	s := &s3Client{endpoint: endpoint}
	bucket := strings.TrimPrefix(args[2], "s3://")
	keys, err := s.list(bucket)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, k := range keys {
		if code, body, err := s.do(http.MethodDelete, bucket+"/"+url.PathEscape(k), nil); err != nil || code != http.StatusNoContent {
			fmt.Fprintf(os.Stderr, "delete failed: %s/%s: %d %s %v\n", bucket, k, code, body, err)
			return 1
		}
	}
	return 0
}

// s3Client speaks S3's REST API, path style, to gofakes3 (which checks no
// signature).
type s3Client struct{ endpoint string }

func (s *s3Client) do(method, path string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(context.Background(), method, s.endpoint+"/"+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func (s *s3Client) list(bucket string) ([]string, error) {
	code, body, err := s.do(http.MethodGet, bucket+"?list-type=2", nil)
	if err != nil || code != http.StatusOK {
		return nil, fmt.Errorf("list %s: %d %s %v", bucket, code, body, err)
	}
	var r struct {
		Contents []struct{ Key string }
	}
	if err := xml.Unmarshal([]byte(body), &r); err != nil {
		return nil, err
	}
	var keys []string
	for _, c := range r.Contents {
		keys = append(keys, c.Key)
	}
	return keys, nil
}

func (s *s3Client) buckets(t *testing.T) []string {
	t.Helper()
	code, body, err := s.do(http.MethodGet, "", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("ListBuckets: %d %s %v", code, body, err)
	}
	var r struct {
		Buckets struct {
			Bucket []struct{ Name string }
		}
	}
	if err := xml.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range r.Buckets.Bucket {
		out = append(out, b.Name)
	}
	return out
}

// TestBucketsOnS3: gofakes3 (an S3 implementation that checks bucket
// names and answers BucketNotEmpty) creates every bucket prenv renders for
// the pod-identity-s3 example, for two PRs, two accounts and two regions,
// with no name shared; a bucket that holds objects is not deleted
// (BucketNotEmpty, as ACK meets it), and the rendered PreDelete Job's
// script, run with the AWS CLI's "s3 rm --recursive", empties exactly its
// env's buckets, after which deleting them leaves none behind and another
// env's bucket keeps its objects.
func TestBucketsOnS3(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	s := &s3Client{endpoint: srv.URL}

	data, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "pod-identity-s3", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.NewRenderer(render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	type env struct {
		buckets []string
		job     *unstructured.Unstructured
	}
	var envs []env
	for _, where := range [][2]string{{"123456789012", "eu-west-1"}, {"210987654321", "us-east-1"}} {
		for _, pr := range []int{1, 2} {
			e, err := spec.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			e.Spec.AWS.AccountID, e.Spec.AWS.Region = spec.AccountID(where[0]), where[1]
			out, err := r.Render(context.Background(), e, pr)
			if err != nil {
				t.Fatal(err)
			}
			var ev env
			for _, o := range out.Objects {
				switch o.GetKind() {
				case "Bucket":
					name, _, _ := unstructured.NestedString(o.Object, "spec", "name")
					ev.buckets = append(ev.buckets, name)
				case "Job":
					if o.GetAnnotations()["argocd.argoproj.io/hook"] == "PreDelete" {
						ev.job = o
					}
				}
			}
			if len(ev.buckets) != 2 || ev.job == nil {
				t.Fatalf("PR %d in %v: buckets %v, emptying Job %v", pr, where, ev.buckets, ev.job != nil)
			}
			envs = append(envs, ev)
		}
	}
	var all []string
	for _, ev := range envs {
		for _, b := range ev.buckets {
			if code, body, err := s.do(http.MethodPut, b, nil); err != nil || code != http.StatusOK {
				t.Fatalf("CreateBucket %s: %d %s %v", b, code, body, err)
			}
			for _, key := range []string{"a.txt", "dir/b c.json", "dir/sub/c"} {
				if code, body, err := s.do(http.MethodPut, b+"/"+url.PathEscape(key), []byte("x")); err != nil || code != http.StatusOK {
					t.Fatalf("PutObject %s/%s: %d %s %v", b, key, code, body, err)
				}
			}
			all = append(all, b)
		}
	}
	if got := s.buckets(t); len(got) != len(all) || len(all) != 8 {
		t.Fatalf("S3 holds %d buckets %v, prenv rendered %d distinct names of %d: %v", len(got), got, len(got), len(all), all)
	}
	// ACK's DeleteBucket of a bucket that holds objects.
	if code, body, _ := s.do(http.MethodDelete, all[0], nil); code != http.StatusConflict || !strings.Contains(body, "BucketNotEmpty") {
		t.Fatalf("DeleteBucket of a bucket with objects: %d %s", code, body)
	}

	// The first env's PreDelete Job, as rendered: its script and arguments.
	c := envs[0].job.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	args, _, _ := unstructured.NestedStringSlice(c, "args")
	command, _, _ := unstructured.NestedStringSlice(c, "command")
	if !slices.Equal(command, []string{"/bin/sh", "-c"}) || len(args) < 2 || !slices.Equal(slices.Sorted(slices.Values(args[2:])), slices.Sorted(slices.Values(envs[0].buckets))) {
		t.Fatalf("Job command %q args %q, want /bin/sh -c and the env's buckets %v", command, args, envs[0].buckets)
	}
	bin := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(bin, "aws")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", append([]string{"-c"}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), fakeAWSEndpoint+"="+srv.URL)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("the emptying script: %v\n%s", err, out)
	}
	// What ACK does next: delete the env's buckets.
	for _, b := range envs[0].buckets {
		if code, body, err := s.do(http.MethodDelete, b, nil); err != nil || code != http.StatusNoContent {
			t.Fatalf("DeleteBucket %s after emptying: %d %s %v", b, code, body, err)
		}
	}
	left := s.buckets(t)
	for _, b := range envs[0].buckets {
		if slices.Contains(left, b) {
			t.Errorf("%s is left behind", b)
		}
	}
	for _, ev := range envs[1:] {
		for _, b := range ev.buckets {
			if keys, err := s.list(b); err != nil || len(keys) != 3 {
				t.Errorf("another env's bucket %s: %d objects (%v), want its 3", b, len(keys), err)
			}
		}
	}
}
