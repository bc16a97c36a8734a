// Package fakegithub serves pull requests as GitHub's REST API does, on a
// loopback port, for the tests that run Argo CD's pull-request generator
// against it (e2e/argocd's oracle, e2e/live's ApplicationSet controller).
package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Pull is a pull request as GitHub's REST API returns it from
// GET /repos/{owner}/{repo}/pulls (the fields Argo CD's GitHub service
// reads, and state and draft, which it does not): GitHub's documentation,
// "REST API endpoints for pull requests", "List pull requests".
type Pull struct {
	Number int     `json:"number"`
	State  string  `json:"state"`
	Draft  bool    `json:"draft"`
	Title  string  `json:"title"`
	User   User    `json:"user"`
	Head   Ref     `json:"head"`
	Base   Ref     `json:"base"`
	Labels []Label `json:"labels"`
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

// Server serves one repository's pull requests as GitHub's REST API
// does, at the path prefix GitHub Enterprise Server uses (/api/v3/), which
// go-github adds to an API URL that lacks it:
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
// It records each request's path, query and Authorization header.
type Server struct {
	owner, repo string

	mu       sync.Mutex
	pulls    []Pull
	requests []Request
}

// New returns a server of owner/repo's pull requests, pulls in creation
// order.
func New(owner, repo string, pulls []Pull) *Server {
	return &Server{owner: owner, repo: repo, pulls: append([]Pull(nil), pulls...)}
}

// SetPulls replaces the pull requests, in creation order: a pull request
// opened, pushed to (a new head SHA), labelled or closed.
func (f *Server) SetPulls(pulls []Pull) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulls = append([]Pull(nil), pulls...)
}

// Request is one request the server answered.
type Request struct {
	Path, Query, Authorization string
}

// GitHub's page sizes: the default and the largest per_page.
const (
	DefaultPerPage = 30
	MaxPerPage     = 100
)

// ServeHTTP answers GET /api/v3/repos/{owner}/{repo}/pulls.
func (f *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, Request{Path: r.URL.Path, Query: r.URL.RawQuery, Authorization: r.Header.Get("Authorization")})
	pulls := f.pulls
	f.mu.Unlock()

	want := fmt.Sprintf("/api/v3/repos/%s/%s/pulls", f.owner, f.repo)
	if r.Method != http.MethodGet || r.URL.Path != want {
		notFound(w)
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	perPage := DefaultPerPage
	if s := q.Get("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			http.Error(w, `{"message":"Invalid per_page"}`, http.StatusUnprocessableEntity)
			return
		}
		perPage = min(n, MaxPerPage)
	}
	page := 1
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			http.Error(w, `{"message":"Invalid page"}`, http.StatusUnprocessableEntity)
			return
		}
		page = n
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
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	body := list[start:end]
	if body == nil {
		body = []Pull{}
	}
	if err := json.NewEncoder(w).Encode(body); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`)
}

// Requests returns the requests served so far.
func (f *Server) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}
