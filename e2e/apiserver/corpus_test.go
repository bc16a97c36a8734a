package apiserver_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/validate"
)

// knownDisagreements are the corpus objects on which the API server and
// prenv's validation are expected to differ, each with the reason. The
// test fails on any other disagreement, and on an entry here that no longer
// disagrees, so the list stays exact. Keys are "FOLDER/FILE[#DOC][ITEM]".
var knownDisagreements = map[string]string{
	"update/role-renamed.yaml": "an AWS update rule, not the API server's: IAM cannot rename a role (ACK would create a new one and " +
		"leave the old one behind); the upstream Role CRD has no transition rule on spec.name, so the server stores the change",
	"update/table-stream-view.yaml": "an AWS update rule, not the API server's: DynamoDB cannot change the view type of an enabled " +
		"stream; the upstream Table CRD has no transition rule on spec.streamSpecification, so the server stores the change",
	"invalid/podidentity-namespace-changed.yaml": "an AWS update rule, not the API server's: EKS fixes a Pod Identity association's " +
		"cluster, namespace and ServiceAccount at creation; the upstream PodIdentityAssociation CRD has no transition rule on them",
	"invalid/role-identity-switched.yaml": "an update rule of the env, not the API server's: switching a role's trust between IRSA " +
		"and EKS Pod Identity strands the running pods' credentials; the server stores any trust policy",
}

// notSentToServer are the corpus objects that never reach the API server's
// validation, each with what refuses them instead. The test fails unless
// exactly these are refused before the server.
var notSentToServer = map[string]string{
	"invalid/missing-kind.yaml": "kubectl",   // without a kind there is no resource to send it to
	"invalid/unknown-kind.yaml": "discovery", // the server serves no such kind
}

// brackets matches list indexes and map keys in field paths: the API server
// writes a list item by index ([0]) or by key ([name="web"]), a map key as
// [key] or .key; prenv writes indexes and [key].
var brackets = regexp.MustCompile(`\[[^\]]*\]`)

// sameField reports whether the server's error names a field of one of
// prenv's problems (or, for a problem without a field, its message).
func sameField(server string, problems []validate.Problem) bool {
	norm := brackets.ReplaceAllString(server, "")
	for _, p := range problems {
		if p.Field == "" {
			if strings.Contains(server, p.Message) {
				return true
			}
			continue
		}
		f := brackets.ReplaceAllString(p.Field, "")
		if strings.Contains(norm, f+":") || strings.Contains(norm, f+".") {
			return true
		}
	}
	return false
}

// corpusObject is one object of the validate package's test corpus, as
// kubectl would send it: one per document, one per item of a List.
type corpusObject struct {
	id                                string // FOLDER/FILE, #DOC when the file has several documents, [ITEM] for List items
	doc, item                         int    // as validate.Problem counts them
	body                              []byte // the document as written, or the List item as JSON
	apiVersion, kind, namespace, name string
	clientErr                         string // why kubectl could not send it, if it cannot
}

// corpusCase is one file of the corpus with its previous version, if any.
type corpusCase struct {
	id      string // FOLDER/FILE
	data    []byte
	old     []byte // FILE.old.yaml, for update cases
	objects []corpusObject
	oldObjs []corpusObject
}

// corpusFolders are the validate package's test corpus: manifests prenv
// must refuse (invalid: the 48 hand-made cases), updates it must refuse
// (update: AWS's own update rules) and manifests it must accept (valid).
var corpusFolders = []struct {
	name        string
	wantRefused bool
}{
	{"invalid", true},
	{"update", true},
	{"valid", false},
}

func readCorpus(t *testing.T) []corpusCase {
	t.Helper()
	base := filepath.Join(repoRoot(t), "validate", "testdata")
	var cases []corpusCase
	for _, f := range corpusFolders {
		files, err := filepath.Glob(filepath.Join(base, f.name, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, ".old.yaml") {
				continue
			}
			c := corpusCase{id: f.name + "/" + filepath.Base(file)}
			if c.data, err = os.ReadFile(file); err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(strings.TrimSuffix(file, ".yaml") + ".old.yaml"); err == nil {
				c.old = b
			}
			c.objects = splitObjects(t, c.id, c.data)
			if c.old != nil {
				c.oldObjs = splitObjects(t, c.id+" (old)", c.old)
			}
			cases = append(cases, c)
		}
	}
	return cases
}

// splitObjects splits a stream into the objects kubectl would send: every
// document that is not empty (comments and blank lines alone are empty),
// the items of a List one by one.
func splitObjects(t *testing.T, id string, data []byte) []corpusObject {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		d, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		var v any
		if err := yaml.Unmarshal(d, &v); err == nil && v == nil {
			continue // empty: comments only
		}
		docs = append(docs, append([]byte(nil), d...))
	}
	var out []corpusObject
	for i, d := range docs {
		o := corpusObject{id: id, doc: i + 1, body: d}
		if len(docs) > 1 {
			o.id += fmt.Sprintf("#%d", i+1)
		}
		var m map[string]any
		if err := yaml.Unmarshal(d, &m); err != nil {
			o.clientErr = "not YAML kubectl can read: " + err.Error()
			out = append(out, o)
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetKind() == "List" {
			items, _, _ := unstructured.NestedSlice(m, "items")
			for j, it := range items {
				im, _ := it.(map[string]any)
				b, err := json.Marshal(im)
				if err != nil {
					t.Fatal(err)
				}
				item := corpusObject{id: fmt.Sprintf("%s[%d]", o.id, j+1), doc: i + 1, item: j + 1, body: b}
				item.describe(&unstructured.Unstructured{Object: im})
				out = append(out, item)
			}
			continue
		}
		o.describe(u)
		out = append(out, o)
	}
	return out
}

// describe fills what kubectl reads from an object before it sends it.
func (o *corpusObject) describe(u *unstructured.Unstructured) {
	o.apiVersion, o.kind = u.GetAPIVersion(), u.GetKind()
	o.namespace, o.name = u.GetNamespace(), u.GetName()
	switch {
	case o.kind == "":
		// kubectl: error validating data: [apiVersion not set, kind not set]
		o.clientErr = "the document has no kind; kubectl cannot tell which resource to send it to"
	case o.apiVersion == "":
		o.clientErr = "the document has no apiVersion; kubectl cannot tell which resource to send it to"
	}
}

func (o corpusObject) gvk() schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(o.apiVersion, o.kind)
}

// serverVerdict is what the API server said about one object.
type serverVerdict struct {
	refused bool
	by      string // "server", "discovery" (no such kind), "kubectl" (not sendable) or "client" (any other error)
	message string // the error, or "" when accepted
}

// send sends an object to the server as kubectl apply --server-side
// --validate=strict --dry-run=server would (or kubectl create when it has
// no name), with dryRun false to store it.
func send(ctx context.Context, cl *cluster.Client, o corpusObject, dryRun bool) serverVerdict {
	if o.clientErr != "" {
		return serverVerdict{refused: true, by: "kubectl", message: o.clientErr}
	}
	_, m, err := cl.ResourceFor(o.gvk(), "")
	if err != nil {
		if meta.IsNoMatchError(err) {
			return serverVerdict{refused: true, by: "discovery", message: err.Error()}
		}
		return serverVerdict{refused: true, by: "client", message: err.Error()}
	}
	ns := o.namespace
	if ns == "" && m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns = "default" // kubectl's current namespace
	}
	if o.name == "" {
		err = cl.CreateRaw(ctx, o.gvk(), ns, o.body, dryRun)
	} else {
		_, err = cl.ApplyRaw(ctx, o.gvk(), ns, o.name, o.body, cluster.ApplyOptions{DryRun: dryRun})
	}
	if err == nil {
		return serverVerdict{}
	}
	return serverVerdict{refused: true, by: "server", message: err.Error()}
}

// TestCorpusAgreesWithServer sends every object of the validate package's
// corpus to the API server (dry run; update cases after storing the
// previous version) and compares the server's verdict with prenv's, with
// the embedded schemas (as `render validate` and `render env` use them) and
// with the upstream CRDs the server has. Every object prenv refuses must be
// refused by the server and the reverse, and where both refuse it, the
// server's error must name a field prenv names; the known disagreements are
// listed with their reasons. The table of verdicts is logged.
func TestCorpusAgreesWithServer(t *testing.T) {
	cl := client(t)
	ctx := context.Background()
	cases := readCorpus(t)

	// A corpus that shrinks or moves must be noticed.
	counts := map[string]int{}
	for _, c := range cases {
		folder, _, _ := strings.Cut(c.id, "/")
		counts[folder]++
	}
	for folder, least := range map[string]int{"invalid": 48, "update": 3, "valid": 4} {
		if counts[folder] < least {
			t.Errorf("validate/testdata/%s has %d cases, want at least %d", folder, counts[folder], least)
		}
	}

	// The namespaces the corpus names, as a cluster would have them.
	nss := map[string]bool{"default": true}
	for _, c := range cases {
		for _, o := range append(append([]corpusObject(nil), c.objects...), c.oldObjs...) {
			if o.namespace != "" && !strings.ContainsAny(o.namespace, "{}_. ") {
				nss[o.namespace] = true
			}
		}
	}
	for ns := range nss {
		if err := cl.EnsureNamespace(ctx, ns); err != nil {
			t.Fatalf("namespace %s: %v", ns, err)
		}
	}

	// The server's verdicts.
	verdicts := map[string]serverVerdict{}
	for _, c := range cases {
		var stored []corpusObject
		for _, o := range c.oldObjs {
			v := send(ctx, cl, o, false)
			if v.refused {
				t.Errorf("%s: the server refuses the previous version: %s", o.id, v.message)
				continue
			}
			stored = append(stored, o)
		}
		for _, o := range c.objects {
			verdicts[o.id] = send(ctx, cl, o, true)
		}
		for _, w := range cl.TakeWarnings() {
			t.Logf("%s: the server warned: %s", c.id, w)
		}
		for _, o := range stored {
			u := &unstructured.Unstructured{}
			u.SetAPIVersion(o.apiVersion)
			u.SetKind(o.kind)
			u.SetNamespace(o.namespace)
			u.SetName(o.name)
			if err := cl.Delete(ctx, u); err != nil {
				t.Errorf("%s: deleting the previous version: %v", o.id, err)
			}
		}
	}

	for id, v := range verdicts {
		if v.refused && v.by != "server" && notSentToServer[id] != v.by {
			t.Errorf("%s: refused by %s before the server (%s); not in notSentToServer", id, v.by, v.message)
		}
	}
	for id, by := range notSentToServer {
		if v := verdicts[id]; v.by != by {
			t.Errorf("%s: want it refused by %s before the server, got %+v", id, by, v)
		}
	}

	upstream, err := cluster.UpstreamCRDs()
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := validate.LoadCRDFiles(upstream)
	if err != nil {
		t.Fatal(err)
	}
	upstreamValidator, err := validate.New(ctx, validate.Options{CRDs: srcs, NoEmbedded: true})
	if err != nil {
		t.Fatal(err)
	}
	sets := []struct {
		name string
		v    *validate.Validator
	}{
		{"embedded", validator(t)},
		{"upstream", upstreamValidator},
	}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			var rows []string
			agreeRefused, agreeAccepted := 0, 0
			disagree := map[string]string{}
			for _, c := range cases {
				var old []*unstructured.Unstructured
				if c.old != nil {
					if old, err = validate.DecodeObjects(c.id+".old", c.old); err != nil {
						t.Fatal(err)
					}
				}
				res, err := set.v.ValidateStream(ctx, c.id, c.data, old)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range c.objects {
					var problems []validate.Problem
					for _, p := range res.Problems {
						if p.Document == o.doc && (o.item == 0 || p.Item == o.item) {
							problems = append(problems, p)
						}
					}
					sv := verdicts[o.id]
					prenvRefused := len(problems) > 0
					row := fmt.Sprintf("%-62s prenv %-8s server %-8s", o.id, verdict(prenvRefused), verdict(sv.refused))
					if sv.refused {
						row += fmt.Sprintf(" (%s: %s)", sv.by, firstLine(sv.message))
					}
					if prenvRefused {
						row += fmt.Sprintf(" [prenv: %s]", firstLine(problems[0].Field+": "+problems[0].Message))
					}
					rows = append(rows, row)
					switch {
					case prenvRefused != sv.refused:
						disagree[o.id] = row
					case prenvRefused && sv.by == "server" && !sameField(sv.message, problems):
						// Both refuse it, but not for the same field.
						disagree[o.id] = row + " (different fields)"
					case prenvRefused:
						agreeRefused++
					default:
						agreeAccepted++
					}
					if want := wantRefused(c.id); prenvRefused != want {
						t.Errorf("%s: prenv %s it, but its folder says it is %s", o.id, verdict(prenvRefused), verdict(want))
					}
				}
			}
			t.Logf("verdicts (%d objects: %d refused by both, %d accepted by both, %d disagreements):\n%s",
				len(rows), agreeRefused, agreeAccepted, len(disagree), strings.Join(rows, "\n"))
			ids := make([]string, 0, len(disagree))
			for id := range disagree {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, id := range ids {
				if reason, ok := knownDisagreements[id]; ok {
					t.Logf("known disagreement %s: %s", id, reason)
					continue
				}
				t.Errorf("disagreement: %s", disagree[id])
			}
			for id := range knownDisagreements {
				if _, ok := disagree[id]; !ok {
					t.Errorf("%s is listed as a known disagreement but the server and prenv agree on it: remove it from knownDisagreements", id)
				}
			}
		})
	}
}

func verdict(refused bool) string {
	if refused {
		return "refused"
	}
	return "accepted"
}

// wantRefused is the verdict a case's folder promises for its objects.
func wantRefused(id string) bool {
	folder, _, _ := strings.Cut(id, "/")
	for _, f := range corpusFolders {
		if f.name == folder {
			return f.wantRefused
		}
	}
	return false
}
