package validate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// schemaOf returns a Validator's schema for a group/version/kind, or nil
// when it has none; an embedded schema that cannot be used fails the test.
func schemaOf(t testing.TB, v *Validator, gvk schema.GroupVersionKind) *crdVersion {
	t.Helper()
	cv, _, err := v.crds.lookup(context.Background(), gvk)
	if err != nil {
		t.Fatal(err)
	}
	return cv
}

// decodedCRDs decodes a source at once, as New does with Options.CRDs.
func decodedCRDs(src Source) ([]LoadedCRD, error) {
	set := newCRDSet(&typeChecker{})
	err := set.add(context.Background(), src)
	return set.loaded, err
}

// TestEmbeddedCRDsDecode decodes every embedded CRD in full, as the first
// validation of one of its kinds does: each must decode and pass the API
// server's checks, serve what New registered for it from its header, and
// have a header that New can read (else New decodes it at once, and is
// slow again).
func TestEmbeddedCRDsDecode(t *testing.T) {
	srcs, err := EmbeddedCRDs()
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) == 0 {
		t.Fatal("no embedded CRDs")
	}
	for _, src := range srcs {
		t.Run(strings.TrimPrefix(src.Name, "<embedded>/"), func(t *testing.T) {
			h, ok := crdHeader(src)
			if !ok {
				t.Errorf("New cannot read the CRD's header without decoding it in full (see crdHeader)")
			}
			loaded, err := decodedCRDs(src)
			if err != nil {
				t.Fatalf("decoding: %v", err)
			}
			if ok {
				if diff := cmp.Diff([]LoadedCRD{h}, loaded); diff != "" {
					t.Errorf("header (-) and decoded CRD (+) differ:\n%s", diff)
				}
			}
		})
	}
	v := mustNew(t, Options{})
	for _, gvk := range v.CustomKinds() {
		e := v.crds.byGVK[gvk]
		if e.lazy == nil {
			t.Errorf("%s: decoded by New", gvk)
		}
		if cv := schemaOf(t, v, gvk); cv == nil || cv.gvk != gvk || cv.crdName != e.crdName || cv.source != e.source {
			t.Errorf("%s: schema %+v, want one of %s from %s", gvk, cv, e.crdName, e.source)
		}
	}
}

// blockQueueCRD is queueCRD in the block style of prenv's own CRDs, with
// a label, a flow value on a level crdHeader reads, and a description
// holding what looks like keys.
var blockQueueCRD = "# A queue.\n" + strings.NewReplacer(
	"  name: queues.sqs.services.k8s.aws\n", "  name: queues.sqs.services.k8s.aws\n  labels:\n    app.kubernetes.io/part-of: prenv\n",
	"  names: {kind: Queue, listKind: QueueList, plural: queues, singular: queue}\n", "  names:\n    kind: Queue\n    listKind: QueueList\n    plural: queues\n    singular: queue\n",
	"    storage: true\n", "    storage: true\n    subresources: {}\n",
	"              queueName: {type: string}\n", "              queueName:\n                type: string\n                description: |\n                  The name.\n                  spec:\n                    group: not.this\n",
).Replace(queueCRD)

func TestCRDHeader(t *testing.T) {
	queue := func(versions ...string) []schema.GroupVersionKind {
		var out []schema.GroupVersionKind
		for _, v := range versions {
			out = append(out, schema.GroupVersionKind{Group: "sqs.services.k8s.aws", Version: v, Kind: "Queue"})
		}
		return out
	}
	replace := func(old, new string) string {
		if !strings.Contains(blockQueueCRD, old) {
			t.Fatalf("%q not in blockQueueCRD", old)
		}
		return strings.Replace(blockQueueCRD, old, new, 1)
	}
	v1beta1 := "  - name: v1beta1\n    served: true\n    storage: false\n    schema:\n      openAPIV3Schema: {type: object}\n"
	// Each case read must read what decoding finds, when the source
	// decodes to a valid CRD; kinds and notRead say more where set.
	tests := map[string]struct {
		in      string
		kinds   []schema.GroupVersionKind // read, with these kinds
		notRead bool                      // not read
	}{
		"block style":                  {in: blockQueueCRD, kinds: queue("v1alpha1")},
		"leading document marker":      {in: "---\n# c\n--- # c\n" + blockQueueCRD, kinds: queue("v1alpha1")},
		"byte order mark and CRLF":     {in: "\xef\xbb\xbf" + strings.ReplaceAll(blockQueueCRD, "\n", "\r\n"), kinds: queue("v1alpha1")},
		"indented sequence":            {in: indentVersions(blockQueueCRD), kinds: queue("v1alpha1")},
		"comments after values":        {in: replace("  group: sqs.services.k8s.aws\n", "  group: sqs.services.k8s.aws # the group\n  # a comment\n"), kinds: queue("v1alpha1")},
		"two versions":                 {in: blockQueueCRD + v1beta1, kinds: queue("v1alpha1", "v1beta1")},
		"version not served":           {in: blockQueueCRD + strings.Replace(v1beta1, "served: true", "served: false", 1), kinds: queue("v1alpha1")},
		"quoted values elsewhere":      {in: replace("  scope: Namespaced\n", "  scope: 'Namespaced'\n"), kinds: queue("v1alpha1")},
		"quoted key elsewhere":         {in: replace("    app.kubernetes.io/part-of: prenv\n", "    \"app.kubernetes.io/part-of\": \"prenv\"\n"), kinds: queue("v1alpha1")},
		"block scalar elsewhere":       {in: replace("  labels:\n", "  annotations:\n    note: >-\n      name: x\n  labels:\n"), kinds: queue("v1alpha1")},
		"block scalar on a read level": {in: replace("    storage: true\n", "    storage: true\n    deprecated: true\n    deprecationWarning: >-\n      name: v1beta1\n"), kinds: queue("v1alpha1")},

		"second document":             {in: blockQueueCRD + "---\n" + blockQueueCRD, notRead: true},
		"document end":                {in: blockQueueCRD + "...\n"},
		"quoted name":                 {in: replace("  name: queues.sqs.services.k8s.aws\n", "  name: \"queues.sqs.services.k8s.aws\"\n")},
		"boolean version":             {in: replace("  - name: v1alpha1\n", "  - name: yes\n")},
		"served not a boolean":        {in: replace("    served: true\n", "    served: yes\n")},
		"served missing":              {in: replace("    served: true\n", ""), notRead: true},
		"flow names":                  {in: replace("  names:\n    kind: Queue\n", "  names: {kind: Queue}\n  x:\n")},
		"duplicate key":               {in: replace("  scope: Namespaced\n", "  scope: Namespaced\n  group: other.io\n")},
		"anchor":                      {in: replace("  names:\n", "  names: &n\n")},
		"tab":                         {in: replace("    kind: Queue\n", "    kind:\tQueue\n")},
		"tab after a colon elsewhere": {in: replace("            required: [queueName]\n", "            description:\t\"a\n  group: x.io\n  b\"\n")},
		"lone carriage return":        {in: replace("    storage: true\n", "    storage: true\r  - name: v2\r    served: true\n")},
		"next line character":         {in: replace("    storage: true\n", "    storage: true\u0085  - name: v2\u0085    served: true\n")},
		"continued plain scalar":      {in: replace("    kind: Queue\n", "    kind: Queue\n      Two\n")},
		"list":                        {in: "apiVersion: v1\nkind: List\nitems:\n" + indent(blockQueueCRD, "- ", "  "), notRead: true},
		"v1beta1":                     {in: replace("apiVersion: apiextensions.k8s.io/v1\n", "apiVersion: apiextensions.k8s.io/v1beta1\n"), notRead: true},
		"not a CRD":                   {in: validQueue, notRead: true},
		"multi-line double quotes":    {in: replace("            required: [queueName]\n", "            description: \"a\n  group: x.io\n  b\"\n")},
		"multi-line single quotes":    {in: replace("            required: [queueName]\n", "            description: 'it''s\n  group: x.io\n  b'\n")},
		"multi-line flow collection":  {in: replace("            required: [queueName]\n", "            required: [queueName,\n  group: x.io]\n")},
		"comment in a flow":           {in: replace("            required: [queueName]\n", "            required: [queueName, # ]\n  group: x.io]\n")},
		"quote in a flow":             {in: replace("            required: [queueName]\n", "            required: [\"]\", queueName]\n")},
		"quoted key, value goes on":   {in: replace("            required: [queueName]\n", "            \"description\": \"a\n  b\"\n")},
		"sequence of scalars":         {in: replace("  versions:\n", "  versions:\n  - v1\n"), notRead: true},
		"less indented line":          {in: replace("    listKind: QueueList\n", "   listKind: QueueList\n"), notRead: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h, ok := crdHeader(Source{Name: "q.yaml", Data: []byte(tt.in)})
			switch {
			case tt.notRead && ok:
				t.Fatalf("read %v, want not read", h)
			case tt.kinds != nil && !ok:
				t.Fatal("not read")
			case tt.kinds != nil:
				want := LoadedCRD{Name: "queues.sqs.services.k8s.aws", Source: "q.yaml", Kinds: tt.kinds}
				if diff := cmp.Diff(want, h); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
			loaded, err := decodedCRDs(Source{Name: "q.yaml", Data: []byte(tt.in)})
			switch {
			case tt.kinds != nil && err != nil:
				t.Fatalf("decoding: %v", err)
			case ok && err == nil:
				if diff := cmp.Diff([]LoadedCRD{h}, loaded); diff != "" {
					t.Errorf("header (-) and decoded CRD (+) differ:\n%s", diff)
				}
			}
		})
	}
}

// indentVersions indents the items of spec.versions of blockQueueCRD by
// two more spaces.
func indentVersions(s string) string {
	i := strings.Index(s, "  versions:\n") + len("  versions:\n")
	return s[:i] + indent(s[i:], "  ", "  ")
}

// FuzzCRDHeader checks that what crdHeader reads of a source is what
// decoding it finds, whenever it decodes to a valid CRD.
func FuzzCRDHeader(f *testing.F) {
	srcs, err := EmbeddedCRDs()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range srcs {
		f.Add(s.Data)
	}
	f.Add([]byte(blockQueueCRD))
	f.Add([]byte(indentVersions(blockQueueCRD)))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := Source{Name: "f.yaml", Data: data}
		h, ok := crdHeader(src)
		if !ok {
			return
		}
		loaded, err := decodedCRDs(src)
		if err != nil {
			return // the lookup that decodes it reports the error
		}
		if diff := cmp.Diff([]LoadedCRD{h}, loaded); diff != "" {
			t.Errorf("header (-) and decoded CRD (+) differ:\n%s", diff)
		}
	})
}

// brokenQueueCRD has a header crdHeader reads and a schema the API server
// refuses.
var brokenQueueCRD = strings.Replace(blockQueueCRD, "            type: object\n", "            type: objekt\n", 1)

// TestLazyEmbeddedErrors makes an embedded CRD fail when it is decoded:
// New succeeds, and each validation that needs it fails with its error,
// while others go on.
func TestLazyEmbeddedErrors(t *testing.T) {
	ctx := context.Background()
	src := Source{Name: "<embedded>/q.yaml", Data: []byte(brokenQueueCRD)}
	if _, ok := crdHeader(src); !ok {
		t.Fatal("the broken CRD's header is not read")
	}
	if _, err := decodedCRDs(src); err == nil {
		t.Fatal("the broken CRD decodes")
	}
	v, err := newValidator(ctx, Options{}, []Source{src})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	gvk := schema.GroupVersionKind{Group: "sqs.services.k8s.aws", Version: "v1alpha1", Kind: "Queue"}
	if diff := cmp.Diff([]schema.GroupVersionKind{gvk}, v.CustomKinds()); diff != "" {
		t.Errorf("CustomKinds (-want +got):\n%s", diff)
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: pr-1\n"
	for i := 0; i < 2; i++ {
		r, err := v.ValidateStream(ctx, "f", []byte(cm+"---\n"+validQueue), nil)
		var ce *CRDError
		if !errors.Is(err, ErrInvalidCRD) || !errors.Is(err, ErrEmbeddedSchema) || !errors.As(err, &ce) || ce.Source != src.Name {
			t.Fatalf("ValidateStream: %v, want ErrEmbeddedSchema and the embedded CRD's *CRDError", err)
		}
		if !strings.HasPrefix(err.Error(), "prenv's embedded schema cannot be used (a bug in prenv): sqs.services.k8s.aws/v1alpha1, Kind=Queue: ") {
			t.Errorf("error %q does not say which schema", err)
		}
		if r.Objects != 1 || !r.Valid() {
			t.Errorf("result %+v, want the ConfigMap before the Queue", r)
		}
	}
	obj, err := DecodeObjects("q", []byte(validQueue))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.ValidateObjects(ctx, obj, nil); !errors.Is(err, ErrInvalidCRD) || !errors.Is(err, ErrEmbeddedSchema) {
		t.Errorf("ValidateObjects: %v, want the embedded CRD's error", err)
	}

	// A user CRD for the same kind replaces it: it is never decoded.
	v, err = newValidator(ctx, Options{CRDs: []Source{{Name: "q.yaml", Data: []byte(queueCRD)}}}, []Source{src})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if r, err := v.ValidateObjects(ctx, obj, nil); err != nil || !r.Valid() {
		t.Errorf("with a user CRD: %v %v", err, texts(r))
	}
}

// TestLazyHeaderMismatch checks that a source whose decoded CRD is not
// what its header said fails.
func TestLazyHeaderMismatch(t *testing.T) {
	gvk := schema.GroupVersionKind{Group: "sqs.services.k8s.aws", Version: "v1", Kind: "Queue"}
	l := &lazySource{
		src:    Source{Name: "<embedded>/q.yaml", Data: []byte(blockQueueCRD)},
		header: LoadedCRD{Name: "queues.sqs.services.k8s.aws", Source: "<embedded>/q.yaml", Kinds: []schema.GroupVersionKind{gvk}},
		types:  &typeChecker{},
	}
	var ce *CRDError
	if _, err := l.version(context.Background(), gvk); !errors.As(err, &ce) || !strings.Contains(err.Error(), "not what its header said") {
		t.Errorf("error %v, want a *CRDError about the header", err)
	}
}

// TestLazyFirstUseCanceled decodes an embedded CRD first for a caller
// whose context is done: the decoding is not stopped, and its result
// serves the next callers.
func TestLazyFirstUseCanceled(t *testing.T) {
	set := newCRDSet(&typeChecker{})
	if err := set.addEmbedded(context.Background(), Source{Name: "q.yaml", Data: []byte(blockQueueCRD)}); err != nil {
		t.Fatal(err)
	}
	gvk := schema.GroupVersionKind{Group: "sqs.services.k8s.aws", Version: "v1alpha1", Kind: "Queue"}
	if set.byGVK[gvk] == nil || set.byGVK[gvk].lazy == nil {
		t.Fatalf("not registered lazily: %+v", set.byGVK[gvk])
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, ctx := range []context.Context{ctx, context.Background()} {
		if cv, found, err := set.lookup(ctx, gvk); cv == nil || !found || err != nil {
			t.Errorf("lookup: %v %v %v", cv, found, err)
		}
	}
}

// TestLazyFirstUseConcurrent validates objects of every embedded kind
// from several goroutines with a new Validator, so that the first uses of
// its schemas race (run with -race): each finds every object valid, as a
// Validator that has every schema loaded does.
func TestLazyFirstUseConcurrent(t *testing.T) {
	ctx := context.Background()
	data := []byte(mustRead(t, "testdata/valid/argocd.yaml") + "---\n" + mustRead(t, "testdata/valid/ack.yaml"))
	want, err := embeddedValidator(t).ValidateStream(ctx, "f", data, nil)
	if err != nil || !want.Valid() {
		t.Fatal(err, texts(want))
	}
	v := mustNew(t, Options{})
	var objs []*unstructured.Unstructured
	if objs, err = DecodeObjects("f", data); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r Result
			var err error
			if i%2 == 0 {
				r, err = v.ValidateStream(ctx, "f", data, nil)
			} else {
				r, err = v.ValidateObjects(ctx, objs, nil)
			}
			if err != nil || r.Objects != want.Objects || !r.Valid() {
				errs <- fmt.Sprint(err, r.Objects, texts(r))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
