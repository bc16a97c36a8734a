package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/internal/upstream"
)

const (
	cliQueue = `apiVersion: sqs.services.k8s.aws/v1alpha1
kind: Queue
metadata:
  name: jobs
  namespace: pr-1
spec:
  queueName: pr-1-jobs
`
	cliConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: env
data:
  A: "1"
`
	cliQueueCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: queues.sqs.services.k8s.aws
spec:
  group: sqs.services.k8s.aws
  names: {kind: Queue, listKind: QueueList, plural: queues, singular: queue}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              queueName: {type: string}
              kmsMasterKeyID: {type: string}
`
)

func TestRunValidate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	valid := write("valid.yaml", cliQueue+"---\n"+cliConfigMap)
	invalid := write("invalid.yaml", strings.Replace(cliQueue, "queueName: pr-1-jobs", "queueName: pr-1-jobs\n  delaySeconds: 5\n  fifo: \"true\"", 1))
	renamed := write("renamed.yaml", strings.Replace(cliQueue, "queueName: pr-1-jobs", "queueName: pr-1-jobs-v2", 1))
	kms := write("kms.yaml", strings.Replace(cliQueue, "queueName: pr-1-jobs", "queueName: pr-1-jobs\n  kmsMasterKeyID: alias/x", 1))
	widget := write("widget.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
	crd := write("crds/queue.yaml", cliQueueCRD)
	write("crds/README.md", "not read")
	badCRD := write("bad-crd.yaml", strings.Replace(cliQueueCRD, "queueName: {type: string}", "queueName: {}", 1))
	notCRD := write("not-crd.yaml", cliConfigMap)
	folder := filepath.Join(dir, "crds")

	tests := map[string]struct {
		args       []string
		stdin      string
		code       int
		stdout     []string // lines, with the temp dir written as DIR
		stderrHas  string
		jsonOutput bool
	}{
		"valid": {
			args: []string{valid}, code: 0,
			stdout: []string{"2 objects in 1 file: valid"},
		},
		"invalid, text": {
			args: []string{invalid}, code: 1,
			stdout: []string{
				`DIR/invalid.yaml:1 Queue/jobs: spec.delaySeconds: Invalid value: "integer": spec.delaySeconds in body must be of type string: "integer"`,
				`DIR/invalid.yaml:1 Queue/jobs: spec.fifo: unknown field`,
				`DIR/invalid.yaml:1 Queue/jobs: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`,
				`1 object in 1 file: 1 invalid, 3 problems`,
			},
		},
		"standard input": {
			args: []string{"-"}, stdin: cliConfigMap, code: 0,
			stdout: []string{"1 object in 1 file: valid"},
		},
		"several files, flags after them": {
			args: []string{valid, invalid, "-o", "text"}, code: 1,
		},
		"folder": {
			args: []string{folder}, code: 0, stdout: []string{"1 object in 1 file: valid"},
		},
		"unknown kind": {
			args: []string{widget}, code: 1,
			stdout: []string{
				"DIR/widget.yaml:1 Widget/w: no schema for example.com/v1, Kind=Widget: not a built-in kind and no CustomResourceDefinition loaded for it",
				"1 object in 1 file: 1 invalid, 1 problem",
			},
		},
		"unknown kind ignored": {
			args: []string{"--ignore-missing-schemas", widget}, code: 0,
			stdout: []string{"1 object in 1 file: valid (1 without schema, not checked)"},
		},
		"embedded schema refuses a field": {
			args: []string{kms}, code: 1,
		},
		"--crds file replaces the embedded schema": {
			args: []string{"--crds", crd, kms}, code: 0,
		},
		"--crds folder": {
			args: []string{kms, "--crds", folder}, code: 0,
		},
		"--old: immutable field changed": {
			args: []string{"--old", valid, renamed}, code: 1,
			stdout: []string{
				`DIR/renamed.yaml:1 Queue/jobs: spec.queueName: Invalid value: "pr-1-jobs-v2": the name of a queue cannot be changed after the resource is created`,
				"1 object in 1 file: 1 invalid, 1 problem",
			},
		},
		"--old from standard input": {
			args: []string{"--old", "-", renamed}, stdin: cliQueue, code: 1,
		},
		"--old unchanged": {
			args: []string{"--old", valid, valid}, code: 0,
		},
		"json": {
			args: []string{"-o", "json", invalid}, code: 1, jsonOutput: true,
		},
		"help": {args: []string{"-h"}, code: 0, stderrHas: "usage: render validate"},
		"no file": {
			args: []string{}, code: 2, stderrHas: "no FILE given",
		},
		"bad flag": {
			args: []string{"--bogus", valid}, code: 2, stderrHas: "render validate: unknown flag --bogus",
		},
		"bad output format": {
			args: []string{"-o", "yaml", valid}, code: 2, stderrHas: `-o "yaml": must be text or json`,
		},
		"stdin twice": {
			args: []string{"-", "--old", "-"}, code: 2, stderrHas: "only once",
		},
		"missing file": {
			args: []string{filepath.Join(dir, "missing.yaml")}, code: 2, stderrHas: "no such file",
		},
		"missing CRD file": {
			args: []string{"--crds", filepath.Join(dir, "missing"), valid}, code: 2, stderrHas: "--crds",
		},
		"invalid CRD": {
			args: []string{"--crds", badCRD, valid}, code: 2, stderrHas: "queues.sqs.services.k8s.aws is invalid: spec.validation.openAPIV3Schema.properties[spec].properties[queueName].type: Required value",
		},
		"no CRD in --crds file": {
			args: []string{"--crds", notCRD, valid}, code: 2, stderrHas: "no CustomResourceDefinition found",
		},
		"unreadable --old": {
			args: []string{"--old", filepath.Join(dir, "missing"), valid}, code: 2, stderrHas: "--old",
		},
		"empty folder": {
			args: []string{t.TempDir()}, code: 2, stderrHas: "no .yaml, .yml or .json file",
		},
		"after --, dashes are files": {
			args: []string{"--", "-o"}, code: 2, stderrHas: "-o: no such file",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runValidate(context.Background(), tc.args, strings.NewReader(tc.stdin), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			if tc.stdout != nil {
				got := strings.Split(strings.TrimRight(strings.ReplaceAll(stdout.String(), dir, "DIR"), "\n"), "\n")
				if diff := cmp.Diff(tc.stdout, got); diff != "" {
					t.Errorf("stdout (-want +got):\n%s", diff)
				}
			}
			if tc.stderrHas != "" && !strings.Contains(stderr.String(), tc.stderrHas) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tc.stderrHas)
			}
			if tc.jsonOutput {
				var rep validateReport
				if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
					t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
				}
				if rep.Valid || rep.Objects != 1 || rep.Invalid != 1 || len(rep.Problems) != 3 {
					t.Errorf("report %+v", rep)
				}
				p := rep.Problems[0]
				if p.Document != 1 || p.Kind != "Queue" || p.Name != "jobs" || p.Namespace != "pr-1" || p.Field != "spec.delaySeconds" || p.Type != "FieldValueTypeInvalid" {
					t.Errorf("first problem %+v", p)
				}
			}
		})
	}
}

func TestRunValidateJSONValid(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := runValidate(context.Background(), []string{"-o", "json", "--list-crds", "-"}, strings.NewReader(cliConfigMap), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var rep map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep["valid"] != true || rep["objects"] != float64(1) {
		t.Errorf("report %v", rep)
	}
	if probs, ok := rep["problems"].([]any); !ok || len(probs) != 0 {
		t.Errorf("problems = %v, want []", rep["problems"])
	}
	if crds, ok := rep["crds"].([]any); !ok || len(crds) != 9 {
		t.Errorf("crds = %v, want the 9 embedded", rep["crds"])
	}
}

// TestRunValidateClusterCRDList feeds the upstream CRDs the way a cluster
// dump has them (kubectl get crd -o yaml: one v1 List, with status) and
// validates the golden files against them alone.
func TestRunValidateClusterCRDList(t *testing.T) {
	crds, ok := upstream.CRDs(t, "")
	if !ok {
		t.Skip("this test reads the upstream CRDs")
	}
	goldens, _ := filepath.Glob("../../golden/*/*.yaml")
	if len(goldens) == 0 {
		t.Skip("no golden files (golden/*/*.yaml) yet")
	}
	var items []any
	err := filepath.WalkDir(crds, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".yaml" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var crd map[string]any
		if err := yaml.Unmarshal(data, &crd); err != nil {
			return err
		}
		spec := crd["spec"].(map[string]any)
		crd["status"] = map[string]any{
			"acceptedNames":  spec["names"],
			"storedVersions": []any{"v1alpha1"},
			"conditions": []any{map[string]any{
				"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
				"message": "the initial names have been accepted", "lastTransitionTime": "2026-01-02T03:04:05Z",
			}},
		}
		md := crd["metadata"].(map[string]any)
		md["uid"], md["resourceVersion"], md["generation"] = "0d6c1a52-0000-4000-8000-000000000001", "12345", 1
		md["creationTimestamp"] = "2026-01-02T03:04:05Z"
		items = append(items, crd)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": items})
	if err != nil {
		t.Fatal(err)
	}
	listFile := filepath.Join(t.TempDir(), "cluster-crds.yaml")
	if err := os.WriteFile(listFile, list, 0o644); err != nil {
		t.Fatal(err)
	}
	// Goldens of one name together (every example's env.yaml, ...), but
	// env.yaml and full.yaml of one example hold the same objects, and so do
	// two apps' appset.yaml (argocd-cm): render validate refuses those as
	// duplicates in one run.
	byName := map[string][]string{}
	for _, g := range goldens {
		key := filepath.Base(g)
		if key == "appset.yaml" {
			key = g
		}
		byName[key] = append(byName[key], g)
	}
	for name, files := range byName {
		var stdout, stderr bytes.Buffer
		args := append([]string{"--no-embedded-schemas", "--crds", listFile}, files...)
		if code := runValidate(context.Background(), args, nil, &stdout, &stderr); code != 0 {
			t.Errorf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", name, code, stdout.String(), stderr.String())
		}
	}
}
