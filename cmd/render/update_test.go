package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpdateRulesAWS: both commands that know the previous version of the
// objects report the AWS update rules with the field path, exit 1; an
// unchanged env is a valid update of itself.
func TestUpdateRulesAWS(t *testing.T) {
	update := filepath.Join("..", "..", "validate", "testdata", "update")
	spec := filepath.Join("..", "..", "examples", "web", "prenv.yaml")
	previous := filepath.Join(t.TempDir(), "previous")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"env", "-f", spec, "--pr", "123", "--output-dir", previous}, nil, &out, &errOut); code != exitOK {
		t.Fatalf("rendering the previous env: exit %d\n%s", code, errOut.String())
	}
	tests := map[string]struct {
		args          []string
		code          int
		stdout        string
		stderr        string
		stdoutIsEmpty bool
	}{
		"env --previous: unchanged": {
			args: []string{"env", "-f", spec, "--pr", "123", "--previous", previous}, code: exitOK, stdout: "kind: Table",
		},
		"validate --old: standard queue to FIFO": {
			code:   exitInvalid,
			args:   []string{"validate", "--old", filepath.Join(update, "queue-standard-to-fifo.old.yaml"), filepath.Join(update, "queue-standard-to-fifo.yaml")},
			stdout: `queue-standard-to-fifo.yaml:1 Queue/jobs: spec.fifoQueue: Forbidden: SQS fixes a queue's type at creation (standard before, FIFO now`,
		},
		"env --previous: stream view type of an enabled stream": {
			code:          exitInvalid,
			args:          []string{"env", "-f", spec, "--pr", "123", "--set", "spec.dynamodb.tables[0].stream=NEW_IMAGE", "--previous", previous},
			stderr:        `Table/sessions: spec.streamSpecification.streamViewType: Forbidden: DynamoDB cannot change the view type of an enabled stream (NEW_AND_OLD_IMAGES to NEW_IMAGE; UpdateTable: "Table already has an enabled stream"); disable the stream in one PR (streamEnabled: false), enable the new view in the next`,
			stdoutIsEmpty: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, nil, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
			if tc.stdoutIsEmpty && stdout.Len() > 0 {
				t.Errorf("stdout not empty on failure:\n%s", stdout.String())
			}
		})
	}
}
