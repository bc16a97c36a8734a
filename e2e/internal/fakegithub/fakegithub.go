// Package fakegithub serves what the tests need of GitHub's REST API, on a
// loopback port, at the paths GitHub Enterprise Server uses (/api/v3/):
//
//   - the pull requests of a repository, for Argo CD's pull-request
//     generator (e2e/argocd's oracle, e2e/live's ApplicationSet
//     controller);
//   - what Argo CD's notifications `github` service calls (notifications-engine,
//     pkg/services/github.go, as Argo CD v3.2.11 pins it): a GitHub App
//     installation token exchange, commit statuses, deployments and their
//     statuses, the pull requests of a commit and issue comments (app.go,
//     deployments.go, comments.go);
//   - the `pull_request` webhook events GitHub delivers when a pull request
//     opens, changes or closes (hook.go).
//
// Each request is recorded, and what was written (statuses, deployments,
// comments) can be read back exactly.
package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Pull is a pull request as GitHub's REST API returns it from
// GET /repos/{owner}/{repo}/pulls (the fields Argo CD's GitHub service
// reads, and state, draft and merged_at, which it does not): GitHub's
// documentation, "REST API endpoints for pull requests", "List pull
// requests".
type Pull struct {
	Number int     `json:"number"`
	State  string  `json:"state"`
	Draft  bool    `json:"draft"`
	Title  string  `json:"title"`
	User   User    `json:"user"`
	Head   Ref     `json:"head"`
	Base   Ref     `json:"base"`
	Labels []Label `json:"labels"`
	// MergedAt is when a closed pull request was merged; nil when it was
	// not (null in GitHub's answer).
	MergedAt *time.Time `json:"merged_at"`
}

type User struct {
	Login string `json:"login"`
}

type Ref struct {
	Ref string `json:"ref"`
	SHA string `json:"sha"`
}

type Label struct {
	Name string `json:"name"`
}

// Server serves one repository as GitHub's REST API does, at the path
// prefix GitHub Enterprise Server uses (/api/v3/), which go-github adds to
// an API URL that lacks it. Its pull requests (GET .../pulls):
//
//   - state: open (the default), closed or all; Argo CD sends none, so it
//     sees the open pull requests, drafts included;
//   - per_page (default 30, at most 100) and page (from 1), with a Link
//     header naming the next and last pages, as GitHub paginates
//     ("Using pagination in the REST API");
//   - newest first (sort=created, direction=desc, GitHub's default), here
//     by number;
//   - 404 with GitHub's error body for any other repository or path.
//
// A Server made by New answers alone and needs no credentials; one of an
// API (API.Repo) also serves the notifications endpoints, which need the
// API's installation token, and delivers webhook events.
//
// It records each request's method, path, query, Authorization header and
// body.
type Server struct {
	owner, repo string
	api         *API // nil for a Server made by New
	mux         *http.ServeMux

	mu       sync.Mutex
	pulls    []Pull
	requests []Request
	state    // statuses, deployments, comments (deployments.go, comments.go)
	hook     hook
}

// New returns a server of owner/repo's pull requests, pulls in creation
// order.
func New(owner, repo string, pulls []Pull) *Server {
	s := &Server{owner: owner, repo: repo, pulls: append([]Pull(nil), pulls...)}
	s.routes()
	return s
}

// SetPulls replaces the pull requests, in creation order: a pull request
// opened, pushed to (a new head SHA), labelled or closed. When a webhook is
// set (SetHook), it then delivers the events GitHub would for the change,
// one at a time, before it returns (hook.go).
func (f *Server) SetPulls(pulls []Pull) {
	f.mu.Lock()
	before := f.pulls
	f.pulls = append([]Pull(nil), pulls...)
	f.mu.Unlock()
	f.deliver(before, pulls)
}

// Request is one request the server answered.
type Request struct {
	Method, Path, Query, Authorization string
	Body                               string
}

// GitHub's page sizes: the default and the largest per_page.
const (
	DefaultPerPage = 30
	MaxPerPage     = 100
)

// routes registers each endpoint under /api/v3/repos/{owner}/{repo}.
func (f *Server) routes() {
	f.mux = http.NewServeMux()
	prefix := fmt.Sprintf("/api/v3/repos/%s/%s", f.owner, f.repo)
	f.mux.HandleFunc("GET "+prefix+"/pulls", f.listPulls)
	if f.api == nil {
		return
	}
	for pattern, h := range map[string]http.HandlerFunc{
		"POST /statuses/{sha}":            f.createStatus,
		"GET /deployments":                f.listDeployments,
		"POST /deployments":               f.createDeployment,
		"POST /deployments/{id}/statuses": f.createDeploymentStatus,
		"GET /deployments/{id}/statuses":  f.listDeploymentStatuses,
		"GET /commits/{sha}/pulls":        f.commitPulls,
		"GET /issues/{number}/comments":   f.listComments,
		"POST /issues/{number}/comments":  f.createComment,
		"PATCH /issues/comments/{id}":     f.editComment,
	} {
		method, path, _ := strings.Cut(pattern, " ")
		f.mux.HandleFunc(method+" "+prefix+path, f.api.authorized(h))
	}
}

// ServeHTTP answers the repository's endpoints, and 404 with GitHub's
// error body for any other method or path.
func (f *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	f.mu.Lock()
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Authorization: r.Header.Get("Authorization"), Body: string(body)})
	f.mu.Unlock()
	if _, pattern := f.mux.Handler(r); pattern == "" {
		notFound(w)
		return
	}
	f.mux.ServeHTTP(w, r)
}

// listPulls answers GET /repos/{owner}/{repo}/pulls.
func (f *Server) listPulls(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	pulls := f.pulls
	f.mu.Unlock()
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var list []Pull
	for _, p := range pulls {
		if state == "all" || p.State == state {
			list = append(list, p)
		}
	}
	// Newest first.
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	paginate(w, r, list)
}

// paginate writes the page of list that per_page and page ask for, with
// GitHub's Link header, or 422 with GitHub's message for a bad parameter.
func paginate[T any](w http.ResponseWriter, r *http.Request, list []T) {
	q := r.URL.Query()
	perPage := DefaultPerPage
	if s := q.Get("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusUnprocessableEntity, message{Message: "Invalid per_page"})
			return
		}
		perPage = min(n, MaxPerPage)
	}
	page := 1
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusUnprocessableEntity, message{Message: "Invalid page"})
			return
		}
		page = n
	}
	last := max(1, (len(list)+perPage-1)/perPage)
	start := min(len(list), (page-1)*perPage)
	end := min(len(list), start+perPage)
	if page < last {
		link := func(p int, rel string) string {
			u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
			v := url.Values{}
			for k, vs := range q {
				v[k] = vs
			}
			v.Set("page", strconv.Itoa(p))
			u.RawQuery = v.Encode()
			return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
		}
		w.Header().Set("Link", strings.Join([]string{link(page+1, "next"), link(last, "last")}, ", "))
	}
	body := list[start:end]
	if body == nil {
		body = []T{}
	}
	writeJSON(w, http.StatusOK, body)
}

// message is GitHub's error body.
type message struct {
	Message          string       `json:"message"`
	Errors           []fieldError `json:"errors,omitempty"`
	DocumentationURL string       `json:"documentation_url,omitempty"`
}

// fieldError is one entry of a 422 Validation Failed body.
type fieldError struct {
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, message{Message: "Not Found", DocumentationURL: "https://docs.github.com/rest"})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// Requests returns the requests served so far.
func (f *Server) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}
