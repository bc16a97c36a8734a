package fakegithub

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"time"
)

// hook is the repository's webhook: where GitHub delivers its events and
// the secret it signs them with. Under Server.mu.
type hook struct {
	url, secret string
	deliveries  []Delivery
	next        int
}

// Delivery is one webhook event delivered: its event and action, the
// pull request's number, the answer's status code and body, or the error
// when there was none.
type Delivery struct {
	Event, Action string
	Number        int
	StatusCode    int
	Response      string
	Err           error
}

// SetHook sets the repository's webhook, for the pull_request event, with
// content type application/json: SetPulls then delivers to url, signed
// with secret ("Validating webhook deliveries": X-Hub-Signature-256 is
// sha256= and the hex HMAC-SHA256 of the body with the secret, and the
// legacy X-Hub-Signature its HMAC-SHA1).
func (f *Server) SetHook(url, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook.url, f.hook.secret = url, secret
}

// Deliveries returns the webhook deliveries so far, oldest first.
func (f *Server) Deliveries() []Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.hook.deliveries)
}

// hookTimeout is how long GitHub waits for a webhook's answer ("Handling
// failed webhook deliveries": 10 seconds).
const hookTimeout = 10 * time.Second

// deliver delivers the pull_request events of the change from before to
// after, when a webhook is set: opened (a new open pull request), closed,
// reopened, synchronize (a new head commit), labeled and unlabeled (one
// per label), in the order of after.
func (f *Server) deliver(before, after []Pull) {
	f.mu.Lock()
	url := f.hook.url
	f.mu.Unlock()
	if url == "" {
		return
	}
	old := map[int]Pull{}
	for _, p := range before {
		old[p.Number] = p
	}
	for _, p := range after {
		o, existed := old[p.Number]
		var events []map[string]any
		switch {
		case !existed && p.State == "open":
			events = append(events, map[string]any{"action": "opened"})
		case existed && o.State == "open" && p.State == "closed":
			events = append(events, map[string]any{"action": "closed"})
		case existed && o.State == "closed" && p.State == "open":
			events = append(events, map[string]any{"action": "reopened"})
		}
		if existed && o.State == "open" && p.State == "open" {
			if o.Head.SHA != p.Head.SHA {
				events = append(events, map[string]any{"action": "synchronize", "before": o.Head.SHA, "after": p.Head.SHA})
			}
			for _, l := range p.Labels {
				if !slices.Contains(o.Labels, l) {
					events = append(events, map[string]any{"action": "labeled", "label": l})
				}
			}
			for _, l := range o.Labels {
				if !slices.Contains(p.Labels, l) {
					events = append(events, map[string]any{"action": "unlabeled", "label": l})
				}
			}
		}
		for _, e := range events {
			f.post(p, e)
		}
	}
}

// post delivers one pull_request event of p and records it.
func (f *Server) post(p Pull, event map[string]any) {
	web := f.api.URL + "/" + f.owner + "/" + f.repo
	pr := map[string]any{}
	b, _ := json.Marshal(p)
	_ = json.Unmarshal(b, &pr)
	pr["url"] = f.apiURL("/pulls/%d", p.Number)
	pr["html_url"] = fmt.Sprintf("%s/pull/%d", web, p.Number)
	pr["merged"] = p.MergedAt != nil
	event["number"] = p.Number
	event["pull_request"] = pr
	event["repository"] = map[string]any{
		"name": f.repo, "full_name": f.owner + "/" + f.repo, "owner": User{Login: f.owner},
		"html_url": web, "url": f.apiURL(""), "default_branch": p.Base.Ref,
	}
	event["sender"] = p.User
	body, err := json.Marshal(event)
	d := Delivery{Event: "pull_request", Action: event["action"].(string), Number: p.Number, Err: err}
	if err == nil {
		d.StatusCode, d.Response, d.Err = f.send(body)
	}
	f.mu.Lock()
	f.hook.deliveries = append(f.hook.deliveries, d)
	f.mu.Unlock()
}

// send posts body to the webhook with GitHub's headers.
func (f *Server) send(body []byte) (int, string, error) {
	f.mu.Lock()
	url, secret := f.hook.url, f.hook.secret
	f.hook.next++
	id := f.hook.next
	f.mu.Unlock()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/fakegithub")
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("00000000-0000-0000-0000-%012d", id))
	if secret != "" {
		req.Header.Set("X-Hub-Signature-256", "sha256="+sign(sha256.New, secret, body))
		req.Header.Set("X-Hub-Signature", "sha1="+sign(sha1.New, secret, body))
	}
	resp, err := (&http.Client{Timeout: hookTimeout}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b), err
}

// sign is the hex HMAC of body with secret.
func sign(h func() hash.Hash, secret string, body []byte) string {
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
