package fakegithub

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// API is a fake GitHub Enterprise Server API of several repositories and
// one GitHub App installation, listening on a loopback port. Its URL is
// what a GitHub Enterprise client is given: go-github and Argo CD's
// pull-request generator add /api/v3/ to it; Argo CD's notifications
// `github` service wants URL+"/api/v3" as its enterpriseBaseURL (Argo CD's
// docs, "GitHub" notification service: "Specifying /api/v3 in the
// enterpriseBaseURL is required").
type API struct {
	URL string // http://127.0.0.1:<port>

	srv *http.Server

	mu     sync.Mutex
	repos  map[string]*Server // by owner/repo
	app    *App
	tokens map[string]time.Time // installation tokens issued, to their expiry
	nextID int64                // GitHub's ids are global
	now    func() time.Time
}

// App is the GitHub App whose installation the API answers for: its ID
// (the JWT's iss), the installation's ID, the name its comments and
// statuses are made under ("<slug>[bot]") and the public half of its
// private key, which signs the JWTs (RS256).
type App struct {
	ID, InstallationID int64
	Slug               string
	Key                *rsa.PublicKey
}

// Start serves an empty API on a free loopback port until Close.
func Start() (*API, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &API{URL: "http://" + ln.Addr().String(), repos: map[string]*Server{}, tokens: map[string]time.Time{}, now: time.Now}
	a.srv = &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	go a.srv.Serve(ln)
	return a, nil
}

// Close stops serving.
func (a *API) Close() error { return a.srv.Close() }

// Repo returns the server of owner/repo, making it (with no pull requests)
// the first time.
func (a *API) Repo(owner, repo string) *Server {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := owner + "/" + repo
	if s, ok := a.repos[key]; ok {
		return s
	}
	s := &Server{owner: owner, repo: repo, api: a}
	s.routes()
	a.repos[key] = s
	return s
}

// SetApp sets the GitHub App whose installation tokens the API issues and
// requires on the notifications endpoints.
func (a *API) SetApp(app App) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.app = &app
}

// ServeHTTP routes /api/v3/repos/{owner}/{repo}/... to the repository's
// Server and answers the installation token exchange; anything else is
// 404 with GitHub's error body.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/v3/app/installations/") {
		a.accessToken(w, r)
		return
	}
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/api/v3/repos/"), "/", 3)
	if len(parts) == 3 && strings.HasPrefix(r.URL.Path, "/api/v3/repos/") {
		a.mu.Lock()
		s := a.repos[parts[0]+"/"+parts[1]]
		a.mu.Unlock()
		if s != nil {
			s.ServeHTTP(w, r)
			return
		}
	}
	notFound(w)
}

// tokenLifetime is how long an installation token lasts on GitHub: "The
// installation access token will expire after 1 hour" (GitHub's docs,
// "Generating an installation access token for a GitHub App").
const tokenLifetime = time.Hour

// maxJWTLifetime: GitHub refuses a JWT whose exp is more than 10 minutes
// ahead ("Generating a JSON Web Token (JWT) for a GitHub App").
const maxJWTLifetime = 10 * time.Minute

// accessToken answers POST /app/installations/{id}/access_tokens: the
// JWT in "Authorization: Bearer" must be RS256-signed by the App's key,
// with iss the App's ID and an exp at most 10 minutes ahead; the answer is
// 201 with a token for an hour ("REST API endpoints for GitHub Apps",
// "Create an installation access token for an app"). A bad JWT is 401, an
// unknown installation 404.
func (a *API) accessToken(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	app := a.app
	now := a.now()
	a.mu.Unlock()
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v3/app/installations/"), "/access_tokens")
	if app == nil || id != strconv.FormatInt(app.InstallationID, 10) {
		notFound(w)
		return
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		writeJSON(w, http.StatusUnauthorized, message{Message: "A JSON web token could not be decoded"})
		return
	}
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return app.Key, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithIssuer(strconv.FormatInt(app.ID, 10)), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, message{Message: "A JSON web token could not be decoded: " + err.Error()})
		return
	}
	if claims.ExpiresAt.Sub(now) > maxJWTLifetime {
		writeJSON(w, http.StatusUnauthorized, message{Message: "'Expiration time' claim ('exp') is too far in the future"})
		return
	}
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	token := "ghs_" + hex.EncodeToString(b)
	expires := now.Add(tokenLifetime).UTC().Truncate(time.Second)
	a.mu.Lock()
	a.tokens[token] = expires
	a.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"token": token, "expires_at": expires.Format(time.RFC3339),
		"permissions":          map[string]string{"deployments": "write", "statuses": "write", "pull_requests": "write", "issues": "write"},
		"repository_selection": "all",
	})
}

// authorized wraps a notifications endpoint: it needs "Authorization:
// token <t>" with an installation token the API issued and that has not
// expired, else 401 Bad credentials, as GitHub answers.
func (a *API) authorized(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "token ")
		if !ok {
			t, ok = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		}
		a.mu.Lock()
		exp, known := a.tokens[t]
		live := known && a.now().Before(exp)
		a.mu.Unlock()
		if !ok || !live {
			writeJSON(w, http.StatusUnauthorized, message{Message: "Bad credentials", DocumentationURL: "https://docs.github.com/rest"})
			return
		}
		h(w, r)
	}
}

// bot is the login the App acts as.
func (a *API) bot() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.app == nil {
		return ""
	}
	return a.app.Slug + "[bot]"
}

// newID returns the next id of a status, deployment or comment.
func (a *API) newID() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nextID++
	return a.nextID
}

func (a *API) timestamp() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.now().UTC().Format(time.RFC3339)
}

// maxBody bounds a request body the API reads (GitHub's payloads here are
// far smaller; a comment is at most 65536 characters).
const maxBody = 1 << 20

// readBody reads the request's body (at most maxBody bytes) and puts it
// back for the handler.
func readBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// apiURL is the API URL of a path of the repository, as GitHub's answers
// name it.
func (f *Server) apiURL(format string, args ...any) string {
	base := ""
	if f.api != nil {
		base = f.api.URL
	}
	return fmt.Sprintf("%s/api/v3/repos/%s/%s", base, f.owner, f.repo) + fmt.Sprintf(format, args...)
}
