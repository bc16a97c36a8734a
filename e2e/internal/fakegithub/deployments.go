package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// state is what the notifications endpoints wrote, under Server.mu.
type state struct {
	statuses    []CommitStatus
	deployments []*Deployment
	comments    []*Comment
}

// CommitStatus is a commit status as it was created ("REST API endpoints
// for commit statuses", "Create a commit status").
type CommitStatus struct {
	ID                                          int64
	SHA, State, Context, Description, TargetURL string
	Creator                                     string
}

// Deployment is a deployment as it was created, with its statuses, oldest
// first ("REST API endpoints for deployments", "Create a deployment").
type Deployment struct {
	ID                                          int64
	Ref, SHA, Task, Environment, Description    string
	AutoMerge                                   bool
	TransientEnvironment, ProductionEnvironment bool
	// RequiredContexts is nil when the request had none (absent or
	// null): then every context with a status on the commit had to be
	// success.
	RequiredContexts []string
	Creator          string
	Statuses         []DeploymentStatus
}

// DeploymentStatus is one status of a deployment ("Create a deployment
// status"). Auto marks the inactive statuses GitHub adds itself
// (auto_inactive).
type DeploymentStatus struct {
	ID                                                      int64
	State, Environment, EnvironmentURL, LogURL, Description string
	Creator                                                 string
	Auto                                                    bool
}

// The states GitHub accepts: "Create a commit status" and "Create a
// deployment status".
var (
	commitStates     = []string{"error", "failure", "pending", "success"}
	deploymentStates = []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}
)

// Statuses returns the commit statuses created on sha, oldest first.
func (f *Server) Statuses(sha string) []CommitStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []CommitStatus
	for _, s := range f.statuses {
		if s.SHA == sha {
			out = append(out, s)
		}
	}
	return out
}

// Deployments returns the deployments created, oldest first, each with
// its statuses.
func (f *Server) Deployments() []Deployment {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Deployment, 0, len(f.deployments))
	for _, d := range f.deployments {
		c := *d
		c.Statuses = slices.Clone(d.Statuses)
		c.RequiredContexts = slices.Clone(d.RequiredContexts)
		out = append(out, c)
	}
	return out
}

// commitKnown says whether sha is a commit of the repository: a head or
// base commit of one of its pull requests. Under f.mu.
func (f *Server) commitKnown(sha string) bool {
	for _, p := range f.pulls {
		if sha != "" && (p.Head.SHA == sha || p.Base.SHA == sha) {
			return true
		}
	}
	return false
}

// resolve returns the commit a ref names: a commit itself, or a pull
// request's head or base branch (refs/heads/ optional). Under f.mu.
func (f *Server) resolve(ref string) (string, bool) {
	if f.commitKnown(ref) {
		return ref, true
	}
	branch := strings.TrimPrefix(ref, "refs/heads/")
	for i := len(f.pulls) - 1; i >= 0; i-- {
		p := f.pulls[i]
		switch branch {
		case p.Head.Ref:
			return p.Head.SHA, true
		case p.Base.Ref:
			return p.Base.SHA, true
		}
	}
	return "", false
}

// createStatus answers POST /repos/{owner}/{repo}/statuses/{sha}: 422
// for an unknown commit or a state GitHub does not know.
func (f *Server) createStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if !decode(w, r, &req) {
		return
	}
	sha := r.PathValue("sha")
	f.mu.Lock()
	known := f.commitKnown(sha)
	f.mu.Unlock()
	if !known {
		writeJSON(w, http.StatusUnprocessableEntity, message{Message: "No commit found for SHA: " + sha})
		return
	}
	if !slices.Contains(commitStates, req.State) {
		invalid(w, "Status", "state")
		return
	}
	if req.Context == "" {
		req.Context = "default"
	}
	s := CommitStatus{ID: f.api.newID(), SHA: sha, State: req.State, Context: req.Context, Description: req.Description, TargetURL: req.TargetURL, Creator: f.api.bot()}
	f.mu.Lock()
	f.statuses = append(f.statuses, s)
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": s.ID, "url": f.apiURL("/statuses/%s", sha), "state": s.State, "description": s.Description,
		"target_url": s.TargetURL, "context": s.Context, "created_at": f.api.timestamp(), "creator": User{Login: s.Creator},
	})
}

// createDeployment answers POST /repos/{owner}/{repo}/deployments as
// GitHub does ("Create a deployment"): ref must name a commit or branch
// (422 "No ref found for"); environment defaults to production, task to
// deploy, auto_merge to true, transient_environment to false,
// production_environment to environment == "production"; without
// required_contexts (absent or null) every context with a status on the
// commit must be success at its latest status, and with a list those
// contexts must be, else 409 "Conflict: Commit status checks failed".
// auto_merge is recorded, not acted on: the fake has no branch history, so
// every ref is up to date with the default branch.
func (f *Server) createDeployment(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Ref                   string    `json:"ref"`
		Task                  *string   `json:"task"`
		AutoMerge             *bool     `json:"auto_merge"`
		RequiredContexts      *[]string `json:"required_contexts"`
		Environment           *string   `json:"environment"`
		Description           *string   `json:"description"`
		TransientEnvironment  *bool     `json:"transient_environment"`
		ProductionEnvironment *bool     `json:"production_environment"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Ref == "" {
		missing(w, "Deployment", "ref")
		return
	}
	f.mu.Lock()
	sha, ok := f.resolve(req.Ref)
	failed := ok && f.checksFail(sha, req.RequiredContexts)
	f.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusUnprocessableEntity, message{Message: "No ref found for: " + req.Ref})
		return
	}
	if failed {
		writeJSON(w, http.StatusConflict, message{Message: fmt.Sprintf("Conflict: Commit status checks failed for %s.", req.Ref)})
		return
	}
	d := &Deployment{ID: f.api.newID(), Ref: req.Ref, SHA: sha, Task: or(req.Task, "deploy"), Environment: or(req.Environment, "production"),
		Description: or(req.Description, ""), AutoMerge: or(req.AutoMerge, true), TransientEnvironment: or(req.TransientEnvironment, false), Creator: f.api.bot()}
	d.ProductionEnvironment = or(req.ProductionEnvironment, d.Environment == "production")
	if req.RequiredContexts != nil {
		d.RequiredContexts = append([]string{}, *req.RequiredContexts...)
	}
	f.mu.Lock()
	f.deployments = append(f.deployments, d)
	body := f.deploymentJSON(d)
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, body)
}

// checksFail says whether the commit's statuses stop a deployment: the
// latest status of each context checked is not success. Under f.mu.
func (f *Server) checksFail(sha string, required *[]string) bool {
	latest := map[string]string{}
	for _, s := range f.statuses {
		if s.SHA == sha {
			latest[s.Context] = s.State
		}
	}
	if required == nil {
		for _, st := range latest {
			if st != "success" {
				return true
			}
		}
		return false
	}
	for _, c := range *required {
		if latest[c] != "success" {
			return true
		}
	}
	return false
}

// listDeployments answers GET /repos/{owner}/{repo}/deployments: newest
// first, filtered by sha, ref, task and environment when given.
func (f *Server) listDeployments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	var list []map[string]any
	for i := len(f.deployments) - 1; i >= 0; i-- {
		d := f.deployments[i]
		if match(q.Get("sha"), d.SHA) && match(q.Get("ref"), d.Ref) && match(q.Get("task"), d.Task) && match(q.Get("environment"), d.Environment) {
			list = append(list, f.deploymentJSON(d))
		}
	}
	f.mu.Unlock()
	paginate(w, r, list)
}

// createDeploymentStatus answers POST
// /repos/{owner}/{repo}/deployments/{id}/statuses ("Create a deployment
// status"): 404 for an unknown deployment, 422 for a state GitHub does
// not know; environment, when given, becomes the deployment's; with
// auto_inactive (default true) a success status adds an inactive status to
// every earlier non-transient, non-production deployment of the same
// environment whose latest status is success.
func (f *Server) createDeploymentStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		State          string  `json:"state"`
		LogURL         string  `json:"log_url"`
		Description    string  `json:"description"`
		Environment    *string `json:"environment"`
		EnvironmentURL string  `json:"environment_url"`
		AutoInactive   *bool   `json:"auto_inactive"`
	}
	if !decode(w, r, &req) {
		return
	}
	if !slices.Contains(deploymentStates, req.State) {
		invalid(w, "DeploymentStatus", "state")
		return
	}
	id, ok := f.deploymentID(r)
	if !ok {
		notFound(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.deployment(id)
	if d == nil {
		notFound(w)
		return
	}
	// Under f.mu: the API's lock is taken after a Server's, never before.
	sid, creator := f.api.newID(), f.api.bot()
	if req.Environment != nil && *req.Environment != "" {
		d.Environment = *req.Environment
	}
	s := DeploymentStatus{ID: sid, State: req.State, Environment: d.Environment, EnvironmentURL: req.EnvironmentURL, LogURL: req.LogURL, Description: req.Description, Creator: creator}
	d.Statuses = append(d.Statuses, s)
	if req.State == "success" && or(req.AutoInactive, true) {
		for _, o := range f.deployments {
			if o.ID < d.ID && o.Environment == d.Environment && !o.TransientEnvironment && !o.ProductionEnvironment &&
				len(o.Statuses) > 0 && o.Statuses[len(o.Statuses)-1].State == "success" {
				o.Statuses = append(o.Statuses, DeploymentStatus{ID: sid, State: "inactive", Environment: o.Environment, Creator: creator, Auto: true})
			}
		}
	}
	writeJSON(w, http.StatusCreated, f.deploymentStatusJSON(d, s))
}

// listDeploymentStatuses answers GET
// /repos/{owner}/{repo}/deployments/{id}/statuses, newest first.
func (f *Server) listDeploymentStatuses(w http.ResponseWriter, r *http.Request) {
	id, ok := f.deploymentID(r)
	if !ok {
		notFound(w)
		return
	}
	f.mu.Lock()
	d := f.deployment(id)
	var list []map[string]any
	if d != nil {
		for i := len(d.Statuses) - 1; i >= 0; i-- {
			list = append(list, f.deploymentStatusJSON(d, d.Statuses[i]))
		}
	}
	f.mu.Unlock()
	if d == nil {
		notFound(w)
		return
	}
	paginate(w, r, list)
}

func (f *Server) deploymentID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil
}

// deployment returns the deployment id, or nil. Under f.mu.
func (f *Server) deployment(id int64) *Deployment {
	for _, d := range f.deployments {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// deploymentJSON is a deployment as GitHub answers it. Under f.mu.
func (f *Server) deploymentJSON(d *Deployment) map[string]any {
	return map[string]any{
		"id": d.ID, "url": f.apiURL("/deployments/%d", d.ID), "sha": d.SHA, "ref": d.Ref, "task": d.Task, "payload": map[string]any{},
		"original_environment": d.Environment, "environment": d.Environment, "description": d.Description, "creator": User{Login: d.Creator},
		"statuses_url": f.apiURL("/deployments/%d/statuses", d.ID), "repository_url": f.apiURL(""),
		"transient_environment": d.TransientEnvironment, "production_environment": d.ProductionEnvironment,
	}
}

// deploymentStatusJSON is a deployment status as GitHub answers it.
func (f *Server) deploymentStatusJSON(d *Deployment, s DeploymentStatus) map[string]any {
	return map[string]any{
		"id": s.ID, "url": f.apiURL("/deployments/%d/statuses/%d", d.ID, s.ID), "state": s.State, "creator": User{Login: s.Creator},
		"description": s.Description, "environment": s.Environment, "environment_url": s.EnvironmentURL, "log_url": s.LogURL,
		"target_url": s.LogURL, "deployment_url": f.apiURL("/deployments/%d", d.ID), "repository_url": f.apiURL(""),
	}
}

// decode reads the request's JSON body into v, or answers 400 Problems
// parsing JSON, as GitHub does.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, message{Message: "Problems parsing JSON"})
		return false
	}
	return true
}

// invalid answers 422 Validation Failed for a value GitHub does not accept.
func invalid(w http.ResponseWriter, resource, field string) {
	writeJSON(w, http.StatusUnprocessableEntity, message{Message: "Validation Failed", Errors: []fieldError{{Resource: resource, Field: field, Code: "invalid"}}})
}

// missing answers 422 Validation Failed for a field left out.
func missing(w http.ResponseWriter, resource, field string) {
	writeJSON(w, http.StatusUnprocessableEntity, message{Message: "Validation Failed", Errors: []fieldError{{Resource: resource, Field: field, Code: "missing_field"}}})
}

func match(filter, v string) bool { return filter == "" || filter == v }

func or[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// AddStatus creates a commit status on sha as another integration, such
// as a CI system, would: state and context, no description.
func (f *Server) AddStatus(sha, state, context string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses = append(f.statuses, CommitStatus{ID: f.api.newID(), SHA: sha, State: state, Context: context, Creator: "ci[bot]"})
}
