package fakegithub

import (
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Comment is an issue comment on a pull request, with every body it had
// ("REST API endpoints for issue comments").
type Comment struct {
	ID      int64
	Number  int // the pull request's
	Creator string
	Body    string // the latest
	// Bodies is every body the comment had, the first when it was
	// created, then one per edit.
	Bodies []string
}

// maxCommentLength is the longest comment body GitHub takes, in
// characters; the notifications engine truncates to it too.
const maxCommentLength = 65536

// Comments returns the comments on pull request number, oldest first.
func (f *Server) Comments(number int) []Comment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Comment
	for _, c := range f.comments {
		if c.Number == number {
			cc := *c
			cc.Bodies = slices.Clone(c.Bodies)
			out = append(out, cc)
		}
	}
	return out
}

// commitPulls answers GET /repos/{owner}/{repo}/commits/{sha}/pulls ("List
// pull requests associated with a commit"): for a commit that is not on
// the default branch, GitHub lists the open and the merged pull requests
// whose head it is, and not one closed without merging (github/docs
// issues 21701 and 36646 on what the endpoint returns); 422 for an unknown
// commit.
func (f *Server) commitPulls(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	f.mu.Lock()
	known := f.commitKnown(sha)
	var list []Pull
	for i := len(f.pulls) - 1; i >= 0; i-- {
		p := f.pulls[i]
		if p.Head.SHA == sha && (p.State == "open" || p.MergedAt != nil) {
			list = append(list, p)
		}
	}
	f.mu.Unlock()
	if !known {
		writeJSON(w, http.StatusUnprocessableEntity, message{Message: "No commit found for SHA: " + sha})
		return
	}
	paginate(w, r, list)
}

// listComments answers GET /repos/{owner}/{repo}/issues/{number}/comments:
// oldest first, 30 a page unless per_page says otherwise (the
// notifications engine asks for the first page only); 404 for a number
// that is no pull request.
func (f *Server) listComments(w http.ResponseWriter, r *http.Request) {
	n, ok := f.pullNumber(r)
	if !ok {
		notFound(w)
		return
	}
	f.mu.Lock()
	var list []map[string]any
	for _, c := range f.comments {
		if c.Number == n {
			list = append(list, f.commentJSON(c))
		}
	}
	f.mu.Unlock()
	paginate(w, r, list)
}

// createComment answers POST /repos/{owner}/{repo}/issues/{number}/comments:
// 201 with the comment; 404 for a number that is no pull request; 422 for
// an empty body or one longer than 65536 characters.
func (f *Server) createComment(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Body string `json:"body"`
	}
	if !decode(w, r, &req) || !commentBodyOK(w, req.Body) {
		return
	}
	n, ok := f.pullNumber(r)
	if !ok {
		notFound(w)
		return
	}
	c := &Comment{ID: f.api.newID(), Number: n, Creator: f.api.bot(), Body: req.Body, Bodies: []string{req.Body}}
	f.mu.Lock()
	f.comments = append(f.comments, c)
	body := f.commentJSON(c)
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, body)
}

// editComment answers PATCH /repos/{owner}/{repo}/issues/comments/{id}:
// 200 with the comment; 404 for an unknown id; 422 as createComment.
func (f *Server) editComment(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Body string `json:"body"`
	}
	if !decode(w, r, &req) || !commentBodyOK(w, req.Body) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.comments {
		if err == nil && c.ID == id {
			c.Body = req.Body
			c.Bodies = append(c.Bodies, req.Body)
			writeJSON(w, http.StatusOK, f.commentJSON(c))
			return
		}
	}
	notFound(w)
}

func commentBodyOK(w http.ResponseWriter, body string) bool {
	switch {
	case body == "":
		missing(w, "IssueComment", "body")
		return false
	case utf8.RuneCountInString(body) > maxCommentLength:
		writeJSON(w, http.StatusUnprocessableEntity, message{Message: "Validation Failed", Errors: []fieldError{{Resource: "IssueComment", Field: "body", Code: "custom",
			Message: "body is too long (maximum is 65536 characters)"}}})
		return false
	}
	return true
}

// pullNumber is the request's {number} when it is one of the repository's
// pull requests.
func (f *Server) pullNumber(r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil {
		return 0, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pulls {
		if p.Number == n {
			return n, true
		}
	}
	return 0, false
}

// commentJSON is a comment as GitHub answers it. Under f.mu.
func (f *Server) commentJSON(c *Comment) map[string]any {
	return map[string]any{
		"id": c.ID, "url": f.apiURL("/issues/comments/%d", c.ID), "body": c.Body, "user": User{Login: c.Creator},
		"issue_url": f.apiURL("/issues/%d", c.Number),
	}
}
