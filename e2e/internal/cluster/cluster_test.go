package cluster

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFailedStartStopsEverything starts a control plane whose API server
// fails (it exits at once, or never gets ready): Start must return an error
// that says why, and leave no process of it running.
func TestFailedStartStopsEverything(t *testing.T) {
	opts := Options{APIServer: "unused", ControllerManager: "unused"}
	if err := FindBinaries(&opts); err != nil {
		if os.Getenv(EnvRequireTools) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	tests := map[string]struct {
		script  string
		timeout time.Duration
		want    string
	}{
		"exits": {
			script:  "echo 'Error: unknown flag: --nonsense' >&2; exit 1",
			timeout: time.Minute,
			want:    "kube-apiserver exited before it was ready: exit status 1\nError: unknown flag: --nonsense",
		},
		"never ready": {
			// A child of its own, to see that the whole process group ends.
			script:  "echo listening; sleep 300 & wait",
			timeout: 2 * time.Second,
			want:    "kube-apiserver not ready after 2s",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			fake := filepath.Join(dir, "fake-apiserver")
			if err := os.WriteFile(fake, []byte("#!/bin/sh\n"+tc.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			o := opts
			o.Dir, o.APIServer, o.StartTimeout = dir, fake, tc.timeout
			c, err := Start(context.Background(), o)
			if err == nil {
				c.Stop()
				t.Fatal("Start succeeded")
			}
			if c != nil {
				t.Error("Start returned a cluster with its error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if left := processesUsing(t, dir); len(left) > 0 {
				t.Errorf("processes left running: %q", left)
			}
		})
	}
}

// processesUsing lists the command lines of running processes that name
// dir (etcd's --data-dir, the fake server's path).
func processesUsing(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc")
	}
	var out []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(dir)) {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		// A zombie (state Z, after the name in parentheses) has ended.
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
			continue
		}
		out = append(out, string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
	}
	return out
}

func TestProcAddr(t *testing.T) {
	tests := map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000:0016":                         "0.0.0.0:22",
		"00000000000000000000000001000000:0050": "[::1]:80",
	}
	for in, want := range tests {
		if got, err := procAddr(in); err != nil || got != want {
			t.Errorf("procAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
