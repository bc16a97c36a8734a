package manifest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSplitDocuments: documents split at "---" lines (alone, or followed
// by a space or tab, line breaks CRLF or LF), everything else kept as it
// is; appending to a document does not change the next one.
func TestSplitDocuments(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", []string{""}},
		{"a: 1\n", []string{"a: 1\n"}},
		{"---\n", []string{"", ""}},
		{"a: 1\n---\nb: 2", []string{"a: 1\n", "b: 2"}},
		{"---\na: 1\n--- # c\n\nb: 2\n---\r\n---\t\n...\n----\n --- \nc: 3\n---", []string{"", "a: 1\n", "\nb: 2\n", "", "...\n----\n --- \nc: 3\n", ""}},
		{"a: \"---\"\n---x\n---\r\r\n", []string{"a: \"---\"\n---x\n", ""}},
	} {
		docs := SplitDocuments([]byte(tc.in))
		var got []string
		for _, d := range docs {
			got = append(got, string(d))
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%q (-want +got):\n%s", tc.in, d)
		}
		if len(docs) > 1 {
			next := string(docs[1])
			_ = append(docs[0], "x"...)
			if string(docs[1]) != next {
				t.Errorf("%q: appending to the first document changed the second", tc.in)
			}
		}
	}
}
