package fakegithub

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

// fixture is an API with one App and repository example/web, whose pull
// request 1 is open at head h1, 2 closed unmerged at h2 and 3 merged at h3.
type fixture struct {
	api  *API
	repo *Server
	key  *rsa.PrivateKey
	now  time.Time
}

const (
	appID, installationID = 4242, 77
	h1, h2, h3            = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222", "3333333333333333333333333333333333333333"
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	api, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{api: api, key: key, now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	api.now = func() time.Time { return f.now }
	api.SetApp(App{ID: appID, InstallationID: installationID, Slug: "prenv", Key: &key.PublicKey})
	f.repo = api.Repo("example", "web")
	merged := f.now
	f.repo.SetPulls([]Pull{
		{Number: 1, State: "open", Head: Ref{Ref: "feature/a", SHA: h1}, Base: Ref{Ref: "main"}},
		{Number: 2, State: "closed", Head: Ref{Ref: "feature/b", SHA: h2}, Base: Ref{Ref: "main"}},
		{Number: 3, State: "closed", Head: Ref{Ref: "feature/c", SHA: h3}, Base: Ref{Ref: "main"}, MergedAt: &merged},
	})
	return f
}

// jwt signs an App JWT as ghinstallation does: iss the App's ID, iat 30 s
// back, exp lifetime after iat.
func (f *fixture) jwt(t *testing.T, key *rsa.PrivateKey, lifetime time.Duration) string {
	t.Helper()
	iat := f.now.Add(-30 * time.Second)
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{
		Issuer: "4242", IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(iat.Add(lifetime)),
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// token exchanges a JWT for an installation token.
func (f *fixture) token(t *testing.T) string {
	t.Helper()
	code, body := f.do(t, "POST", "/api/v3/app/installations/77/access_tokens", "Bearer "+f.jwt(t, f.key, 2*time.Minute), "")
	if code != http.StatusCreated {
		t.Fatalf("token exchange: %d %s", code, body)
	}
	var tok struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Token, "ghs_") || tok.ExpiresAt != "2026-05-01T13:00:00Z" {
		t.Fatalf("token exchange answered %s, want a ghs_ token that expires in an hour", body)
	}
	return "token " + tok.Token
}

func (f *fixture) do(t *testing.T, method, path, auth, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.api.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestAccessToken(t *testing.T) {
	f := newFixture(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tok := f.token(t)
	cases := []struct {
		name, path, auth string
		code             int
		body             string
	}{
		{"other key", "/api/v3/app/installations/77/access_tokens", "Bearer " + f.jwt(t, other, 2*time.Minute), 401,
			`{"message":"A JSON web token could not be decoded: token signature is invalid: crypto/rsa: verification error"}`},
		{"exp too far", "/api/v3/app/installations/77/access_tokens", "Bearer " + f.jwt(t, f.key, 11*time.Minute), 401,
			`{"message":"'Expiration time' claim ('exp') is too far in the future"}`},
		{"no JWT", "/api/v3/app/installations/77/access_tokens", "", 401, `{"message":"A JSON web token could not be decoded"}`},
		{"other installation", "/api/v3/app/installations/78/access_tokens", "Bearer " + f.jwt(t, f.key, 2*time.Minute), 404,
			`{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`},
		{"no token", "/api/v3/repos/example/web/deployments", "", 401, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`},
		{"a JWT is no token", "/api/v3/repos/example/web/deployments", "Bearer " + f.jwt(t, f.key, 2*time.Minute), 401,
			`{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`},
		{"token", "/api/v3/repos/example/web/deployments", tok, 200, `[]`},
	}
	for _, c := range cases {
		method := "POST"
		if strings.HasSuffix(c.path, "/deployments") {
			method = "GET"
		}
		if code, body := f.do(t, method, c.path, c.auth, ""); code != c.code || body != c.body {
			t.Errorf("%s: %d %s, want %d %s", c.name, code, body, c.code, c.body)
		}
	}
	f.now = f.now.Add(time.Hour)
	if code, body := f.do(t, "GET", "/api/v3/repos/example/web/deployments", tok, ""); code != 401 {
		t.Errorf("an expired token: %d %s, want 401", code, body)
	}
}

// TestDeployments runs what the notifications engine sends for a
// deployment status: list by ref and environment, create when there is
// none, then a status on it; the next status finds it by the list.
func TestDeployments(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t)
	const list = "/api/v3/repos/example/web/deployments?environment=test-1-web&ref=" + h1
	steps := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", list, "", 200, `[]`},
		{"POST", "/api/v3/repos/example/web/deployments", `{"ref":"` + h1 + `","environment":"test-1-web","required_contexts":null,"auto_merge":true,"transient_environment":true}`, 201, ""},
		{"POST", "/api/v3/repos/example/web/deployments/1/statuses", `{"state":"success","log_url":"","description":"healthy","environment":"test-1-web","environment_url":"https://test-1-web.preview.example.com"}`, 201, ""},
		{"POST", "/api/v3/repos/example/web/deployments/1/statuses", `{"state":"inactive","description":"deleted","environment":"test-1-web","environment_url":""}`, 201, ""},
		// Refused as GitHub refuses them.
		{"POST", "/api/v3/repos/example/web/deployments", `{"ref":"abc"}`, 422, `{"message":"No ref found for: abc"}`},
		{"POST", "/api/v3/repos/example/web/deployments", `{}`, 422, `{"message":"Validation Failed","errors":[{"resource":"Deployment","field":"ref","code":"missing_field"}]}`},
		{"POST", "/api/v3/repos/example/web/deployments/1/statuses", `{"state":"healthy"}`, 422, `{"message":"Validation Failed","errors":[{"resource":"DeploymentStatus","field":"state","code":"invalid"}]}`},
		{"POST", "/api/v3/repos/example/web/deployments/9/statuses", `{"state":"success"}`, 404, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`},
		{"POST", "/api/v3/repos/example/web/deployments", `{"ref":`, 400, `{"message":"Problems parsing JSON"}`},
		// A pending commit status stops a deployment that checks every
		// context, not one with required_contexts [].
		{"POST", "/api/v3/repos/example/web/statuses/" + h1, `{"state":"pending","context":"ci/build"}`, 201, ""},
		{"POST", "/api/v3/repos/example/web/deployments", `{"ref":"feature/a","environment":"test-1-web"}`, 409, `{"message":"Conflict: Commit status checks failed for feature/a."}`},
		{"POST", "/api/v3/repos/example/web/deployments", `{"ref":"feature/a","environment":"qa","required_contexts":[]}`, 201, ""},
		{"POST", "/api/v3/repos/example/web/statuses/" + h2[:7], `{"state":"success"}`, 422, `{"message":"No commit found for SHA: 2222222"}`},
		{"POST", "/api/v3/repos/example/web/statuses/" + h1, `{"state":"done"}`, 422, `{"message":"Validation Failed","errors":[{"resource":"Status","field":"state","code":"invalid"}]}`},
	}
	for i, s := range steps {
		code, body := f.do(t, s.method, s.path, tok, s.body)
		if code != s.code || (s.want != "" && body != s.want) {
			t.Errorf("step %d, %s %s %s: %d %s, want %d %s", i, s.method, s.path, s.body, code, body, s.code, s.want)
		}
	}
	code, body := f.do(t, "GET", list, tok, "")
	var found []struct {
		ID          int64  `json:"id"`
		SHA         string `json:"sha"`
		Environment string `json:"environment"`
	}
	if err := json.Unmarshal([]byte(body), &found); err != nil || code != 200 || len(found) != 1 || found[0].ID != 1 || found[0].SHA != h1 {
		t.Errorf("listing the deployments of test-1-web at %s: %d %s", h1, code, body)
	}
	want := []Deployment{
		{ID: 1, Ref: h1, SHA: h1, Task: "deploy", Environment: "test-1-web", AutoMerge: true, TransientEnvironment: true, Creator: "prenv[bot]",
			Statuses: []DeploymentStatus{
				{ID: 2, State: "success", Environment: "test-1-web", EnvironmentURL: "https://test-1-web.preview.example.com", Description: "healthy", Creator: "prenv[bot]"},
				{ID: 3, State: "inactive", Environment: "test-1-web", Description: "deleted", Creator: "prenv[bot]"},
			}},
		{ID: 5, Ref: "feature/a", SHA: h1, Task: "deploy", Environment: "qa", AutoMerge: true, RequiredContexts: []string{}, Creator: "prenv[bot]"},
	}
	if d := cmp.Diff(want, f.repo.Deployments()); d != "" {
		t.Errorf("deployments (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]CommitStatus{{ID: 4, SHA: h1, State: "pending", Context: "ci/build", Creator: "prenv[bot]"}}, f.repo.Statuses(h1)); d != "" {
		t.Errorf("commit statuses (-want +got):\n%s", d)
	}
}

// TestAutoInactive: a success status makes the earlier non-transient
// deployment of the environment inactive, not a transient one.
func TestAutoInactive(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t)
	for _, s := range []struct{ path, body string }{
		{"/deployments", `{"ref":"feature/a","environment":"staging"}`},
		{"/deployments/1/statuses", `{"state":"success"}`},
		{"/deployments", `{"ref":"feature/c","environment":"staging","transient_environment":true}`},
		{"/deployments/3/statuses", `{"state":"success"}`},
		{"/deployments", `{"ref":"feature/a","environment":"staging"}`},
		{"/deployments/5/statuses", `{"state":"success"}`},
	} {
		if code, body := f.do(t, "POST", "/api/v3/repos/example/web"+s.path, tok, s.body); code != 201 {
			t.Fatalf("POST %s %s: %d %s", s.path, s.body, code, body)
		}
	}
	var got [][]string
	for _, d := range f.repo.Deployments() {
		var states []string
		for _, s := range d.Statuses {
			states = append(states, s.State)
		}
		got = append(got, states)
	}
	if d := cmp.Diff([][]string{{"success", "inactive"}, {"success"}, {"success"}}, got); d != "" {
		t.Errorf("deployment statuses (-want +got):\n%s", d)
	}
}

// TestComments runs what the notifications engine sends for a pull
// request comment with a comment tag: the pull requests of the revision,
// their comments, then an edit of the tagged one or a new one.
func TestComments(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t)
	numbers := func(sha string) string {
		t.Helper()
		code, body := f.do(t, "GET", "/api/v3/repos/example/web/commits/"+sha+"/pulls", tok, "")
		var ps []Pull
		if err := json.Unmarshal([]byte(body), &ps); err != nil {
			return body
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.State+"#"+itoa(p.Number))
		}
		return itoa(code) + " " + strings.Join(out, ",")
	}
	for _, c := range []struct{ sha, want string }{
		{h1, "200 open#1"}, {h2, "200 "}, {h3, "200 closed#3"},
		{"4444444444444444444444444444444444444444", `{"message":"No commit found for SHA: 4444444444444444444444444444444444444444"}`},
	} {
		if got := numbers(c.sha); got != c.want {
			t.Errorf("pull requests of %s: %s, want %s", c.sha, got, c.want)
		}
	}
	steps := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/issues/1/comments", "", 200, `[]`},
		{"POST", "/issues/1/comments", `{"body":"ready\n<!-- tag -->"}`, 201, ""},
		{"POST", "/issues/1/comments", `{"body":"by hand"}`, 201, ""},
		{"PATCH", "/issues/comments/1", `{"body":"deleted\n<!-- tag -->"}`, 200, ""},
		{"GET", "/issues/1/comments?per_page=1", "", 200, `[{"body":"deleted\n\u003c!-- tag --\u003e","id":1,"issue_url":"` + f.api.URL + `/api/v3/repos/example/web/issues/1","url":"` + f.api.URL + `/api/v3/repos/example/web/issues/comments/1","user":{"login":"prenv[bot]"}}]`},
		{"POST", "/issues/9/comments", `{"body":"x"}`, 404, ""},
		{"PATCH", "/issues/comments/9", `{"body":"x"}`, 404, ""},
		{"POST", "/issues/1/comments", `{"body":""}`, 422, `{"message":"Validation Failed","errors":[{"resource":"IssueComment","field":"body","code":"missing_field"}]}`},
		{"POST", "/issues/1/comments", `{"body":"` + strings.Repeat("é", maxCommentLength+1) + `"}`, 422,
			`{"message":"Validation Failed","errors":[{"resource":"IssueComment","field":"body","code":"custom","message":"body is too long (maximum is 65536 characters)"}]}`},
		{"DELETE", "/issues/comments/2", "", 404, ""},
	}
	for i, s := range steps {
		code, body := f.do(t, s.method, "/api/v3/repos/example/web"+s.path, tok, s.body)
		if code != s.code || (s.want != "" && body != s.want) {
			t.Errorf("step %d, %s %s: %d %s, want %d %s", i, s.method, s.path, code, body, s.code, s.want)
		}
	}
	want := []Comment{
		{ID: 1, Number: 1, Creator: "prenv[bot]", Body: "deleted\n<!-- tag -->", Bodies: []string{"ready\n<!-- tag -->", "deleted\n<!-- tag -->"}},
		{ID: 2, Number: 1, Creator: "prenv[bot]", Body: "by hand", Bodies: []string{"by hand"}},
	}
	if d := cmp.Diff(want, f.repo.Comments(1)); d != "" {
		t.Errorf("comments (-want +got):\n%s", d)
	}
}

// TestHook: SetPulls delivers the pull_request events of each change,
// signed with the secret, with the fields Argo CD's webhook reads.
func TestHook(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte("s3cret"))
		m.Write(b)
		if r.Header.Get("X-Hub-Signature-256") != "sha256="+hex.EncodeToString(m.Sum(nil)) || r.Header.Get("X-GitHub-Event") != "pull_request" {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		var e struct {
			Action      string `json:"action"`
			Number      int    `json:"number"`
			PullRequest struct {
				State  string `json:"state"`
				Merged bool   `json:"merged"`
				Head   Ref    `json:"head"`
			} `json:"pull_request"`
			Label      *Label `json:"label"`
			Repository struct {
				Name, FullName, URL string
				Owner               User `json:"owner"`
			} `json:"repository"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&e); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		line := e.Action + " #" + itoa(e.Number) + " " + e.PullRequest.State + " " + e.PullRequest.Head.SHA[:1] + " " + e.Repository.Owner.Login + "/" + e.Repository.Name + " " + strings.TrimPrefix(e.Repository.URL, f.api.URL)
		if e.Label != nil {
			line += " " + e.Label.Name
		}
		if e.PullRequest.Merged {
			line += " merged"
		}
		mu.Lock()
		got = append(got, line)
		mu.Unlock()
	}))
	defer srv.Close()
	f.repo.SetHook(srv.URL, "s3cret")
	merged := f.now
	steps := [][]Pull{
		{{Number: 4, State: "open", Head: Ref{SHA: h1}}},
		{{Number: 4, State: "open", Head: Ref{SHA: h2}, Labels: []Label{{Name: "preview"}}}},
		{{Number: 4, State: "closed", Head: Ref{SHA: h2}, Labels: []Label{{Name: "preview"}}, MergedAt: &merged}},
		{{Number: 4, State: "open", Head: Ref{SHA: h2}}},
	}
	for _, s := range steps {
		f.repo.SetPulls(s)
	}
	want := []string{
		"opened #4 open 1 example/web /api/v3/repos/example/web",
		"synchronize #4 open 2 example/web /api/v3/repos/example/web",
		"labeled #4 open 2 example/web /api/v3/repos/example/web preview",
		"closed #4 closed 2 example/web /api/v3/repos/example/web merged",
		"reopened #4 open 2 example/web /api/v3/repos/example/web",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events delivered (-want +got):\n%s", d)
	}
	for _, d := range f.repo.Deliveries() {
		if d.StatusCode != 200 || d.Err != nil {
			t.Errorf("delivery %s #%d: %d %v", d.Action, d.Number, d.StatusCode, d.Err)
		}
	}
	f.repo.SetHook(srv.URL, "other")
	f.repo.SetPulls(nil)
	f.repo.SetPulls(steps[0])
	ds := f.repo.Deliveries()
	if last := ds[len(ds)-1]; last.StatusCode != 400 || last.Response != "bad signature\n" {
		t.Errorf("a delivery signed with another secret: %d %q, want the receiver's 400", last.StatusCode, last.Response)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
