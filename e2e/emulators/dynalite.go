package emulators

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Dynalite is a running dynalite server: an in-memory DynamoDB on a
// loopback port, started by [StartDynalite]. Endpoint is its URL.
type Dynalite struct {
	*nodeServer
}

// StartDynalite starts e2e/npm/dynalite-server.js, which listens on a free
// loopback port and stops when its standard input closes, and waits until
// it listens. Close stops it.
func StartDynalite(ctx context.Context, tools *Tools) (*Dynalite, error) {
	s, err := startNodeServer(ctx, tools, "dynalite")
	if err != nil {
		return nil, err
	}
	return &Dynalite{nodeServer: s}, nil
}

// nodeServer is a running e2e/npm/<name>-server.js: an emulator that listens
// on a free loopback port, prints {"port": N} once it does, and stops when
// its standard input closes.
type nodeServer struct {
	// Endpoint is the server's URL, http://127.0.0.1:<port>.
	Endpoint string

	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *lockedBuffer
	client *http.Client
	done   chan struct{}
}

// startNodeServer starts e2e/npm/<name>-server.js and waits until it
// listens.
func startNodeServer(ctx context.Context, tools *Tools, name string) (*nodeServer, error) {
	cmd := exec.Command(tools.Node, filepath.Join(tools.Dir, name+"-server.js"))
	cmd.Dir = tools.Dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout := &firstLine{line: make(chan []byte, 1)}
	stderr := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	d := &nodeServer{name: name, cmd: cmd, stdin: stdin, stderr: stderr, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(d.done)
	}()

	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var line []byte
	select {
	case line = <-stdout.line:
	case <-d.done:
		return nil, fmt.Errorf("%s exited before it listened: %v; its standard error: %s", name, cmd.ProcessState, stderr.String())
	case <-ctx.Done():
		d.Close()
		return nil, fmt.Errorf("%s did not listen: %w; its standard error: %s", name, ctx.Err(), stderr.String())
	}
	var msg struct {
		Port int `json:"port"`
	}
	if err := json.Unmarshal(line, &msg); err != nil || msg.Port == 0 {
		d.Close()
		return nil, fmt.Errorf("%s printed %q, want {\"port\": N}", name, line)
	}
	d.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", msg.Port)
	d.client = &http.Client{Timeout: 30 * time.Second}
	return d, nil
}

// Close stops the server: it closes its standard input, and kills it if it
// has not stopped after a few seconds.
func (d *nodeServer) Close() {
	_ = d.stdin.Close()
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
}

// APIError is an error answer of the DynamoDB API.
type APIError struct {
	// Type is the error's shape, such as ValidationException (without the
	// "com.amazon.coral.validate#" prefix).
	Type    string
	Message string
	Status  int
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s", e.Type, e.Message)
}

// Call sends one DynamoDB JSON-protocol request (POST / with X-Amz-Target
// DynamoDB_20120810.<operation>) and decodes the answer into out, which may
// be nil. An error answer of the API is an [*APIError]. The request carries
// a syntactically complete SigV4 Authorization header, which dynalite
// requires but does not verify.
func (d *Dynalite) Call(ctx context.Context, operation string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+operation)
	req.Header.Set("X-Amz-Date", "20250101T000000Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000")
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", operation, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: %w", operation, err)
	}
	if resp.StatusCode != http.StatusOK {
		// AWS's JSON protocol: {"__type": "<namespace>#<shape>", "message": ...};
		// some shapes spell it "Message".
		var e struct {
			Type     string `json:"__type"`
			Message  string `json:"message"`
			MessageU string `json:"Message"`
		}
		if err := json.Unmarshal(data, &e); err != nil || e.Type == "" {
			return fmt.Errorf("%s: HTTP %d: %q", operation, resp.StatusCode, data)
		}
		_, shape, _ := strings.Cut(e.Type, "#")
		return &APIError{Type: shape, Message: e.Message + e.MessageU, Status: resp.StatusCode}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: decoding the answer: %w", operation, err)
	}
	return nil
}

// AsAPIError returns err's [*APIError], if it has one.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// firstLine sends the first line written to it on line, and drops the rest.
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	sent bool
	line chan []byte
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sent {
		return len(p), nil
	}
	f.buf = append(f.buf, p...)
	if i := bytes.IndexByte(f.buf, '\n'); i >= 0 {
		f.line <- f.buf[:i]
		f.sent = true
	}
	return len(p), nil
}

// lockedBuffer collects a process's standard error while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
