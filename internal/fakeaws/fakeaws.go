// Package fakeaws is a local HTTP server that speaks the two AWS APIs
// `render leftovers` reads, so that tests run the real aws-sdk-go-v2
// clients against it: the Resource Groups Tagging API's GetResources (AWS
// JSON 1.1: POST with X-Amz-Target ResourceGroupsTaggingAPI_20170126.<op>)
// and IAM's ListRoles, ListPolicies, ListRoleTags and ListPolicyTags (AWS
// query protocol: a form with Action and Version=2010-05-08, XML replies).
// Wire formats as the Resource Groups Tagging API Reference and the IAM
// API Reference describe them ("Common Parameters", the operations'
// response syntax and errors).
package fakeaws

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// taggingTarget is the X-Amz-Target prefix of the tagging API.
const taggingTarget = "ResourceGroupsTaggingAPI_20170126."

// iamNS is the XML namespace of IAM's replies.
const iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"

// Resource is a resource the tagging API returns.
type Resource struct {
	ARN  string
	Tags map[string]string
}

// Entity is an IAM role or customer managed policy.
type Entity struct {
	Path, Name, ARN string
	Tags            map[string]string
}

// Server is the fake. Set its fields before the first request; PageSize
// (default 2) is how many items a page holds at most, whatever the client
// asks, so that pagination is exercised.
type Server struct {
	Resources []Resource
	Roles     []Entity
	Policies  []Entity
	// AWSManaged are policies that only ListPolicies without Scope=Local
	// returns.
	AWSManaged []Entity
	PageSize   int
	// Deny, when set, makes the operation of that name fail with
	// AccessDenied.
	Deny map[string]bool

	mu    sync.Mutex
	calls []string
	srv   *httptest.Server
}

// Start starts the server on loopback; Close stops it.
func (s *Server) Start() *Server {
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the server's base URL, for aws.Config.BaseEndpoint or
// AWS_ENDPOINT_URL.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Calls returns the requests served so far, one line each: the operation
// and its parameters that matter ("ListRoleTags RoleName=x").
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *Server) record(c string) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
}

func (s *Server) pageSize() int {
	if s.PageSize > 0 {
		return s.PageSize
	}
	return 2
}

// page returns the items of a page that starts at marker (an index) and
// the next marker ("" at the end).
func page[T any](items []T, marker string, size int) ([]T, string) {
	start, _ := strconv.Atoi(marker)
	start = min(max(start, 0), len(items))
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		http.Error(w, "unsigned request", http.StatusForbidden)
		return
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		s.tagging(w, r, t)
		return
	}
	s.iam(w, r)
}

// tagging serves the tagging API.
func (s *Server) tagging(w http.ResponseWriter, r *http.Request, target string) {
	fail := func(code int, typ, msg string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"__type": typ, "Message": msg})
	}
	op, ok := strings.CutPrefix(target, taggingTarget)
	if !ok || op != "GetResources" || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		fail(http.StatusBadRequest, "UnknownOperationException", "not served: "+target)
		return
	}
	var in struct {
		PaginationToken  string
		ResourcesPerPage int
		TagFilters       []struct {
			Key    string
			Values []string
		}
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		fail(http.StatusBadRequest, "InvalidParameterException", err.Error())
		return
	}
	var keys []string
	for _, f := range in.TagFilters {
		keys = append(keys, f.Key)
	}
	s.record(fmt.Sprintf("GetResources TagFilters=%s PaginationToken=%s", strings.Join(keys, ","), in.PaginationToken))
	if s.Deny["GetResources"] {
		fail(http.StatusBadRequest, "AccessDeniedException", "not authorized to perform: tag:GetResources")
		return
	}
	var match []Resource
	for _, res := range s.Resources {
		ok := true
		for _, f := range in.TagFilters {
			v, has := res.Tags[f.Key]
			ok = ok && has && (len(f.Values) == 0 || slices.Contains(f.Values, v))
		}
		if ok {
			match = append(match, res)
		}
	}
	size := s.pageSize()
	if in.ResourcesPerPage > 0 {
		size = min(size, in.ResourcesPerPage)
	}
	items, next := page(match, in.PaginationToken, size)
	type tag struct{ Key, Value string }
	type mapping struct {
		ResourceARN string
		Tags        []tag
	}
	out := struct {
		PaginationToken        string
		ResourceTagMappingList []mapping
	}{PaginationToken: next, ResourceTagMappingList: []mapping{}}
	for _, res := range items {
		m := mapping{ResourceARN: res.ARN, Tags: []tag{}}
		for _, k := range sortedKeys(res.Tags) {
			m.Tags = append(m.Tags, tag{k, res.Tags[k]})
		}
		out.ResourceTagMappingList = append(out.ResourceTagMappingList, m)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

// iam serves IAM's query API.
func (s *Server) iam(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f := r.PostForm
	action := f.Get("Action")
	fail := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake</RequestId></ErrorResponse>`,
			iamNS, code, xmlEscape(msg))
	}
	if f.Get("Version") != "2010-05-08" {
		fail(http.StatusBadRequest, "InvalidAction", "Version must be 2010-05-08")
		return
	}
	call := action
	for _, k := range []string{"RoleName", "PolicyArn", "Scope", "Marker"} {
		if v := f.Get(k); v != "" {
			call += " " + k + "=" + v
		}
	}
	s.record(call)
	if s.Deny[action] {
		fail(http.StatusForbidden, "AccessDenied", "not authorized to perform: iam:"+action)
		return
	}
	size := s.pageSize()
	if n, err := strconv.Atoi(f.Get("MaxItems")); err == nil && n > 0 {
		size = min(size, n)
	}
	var body strings.Builder
	list := func(elem string, items []Entity, nameElem string) string {
		got, next := page(items, f.Get("Marker"), size)
		for _, e := range got {
			fmt.Fprintf(&body, "<member><Path>%s</Path><%s>%s</%s><Arn>%s</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></member>",
				xmlEscape(e.Path), nameElem, xmlEscape(e.Name), nameElem, xmlEscape(e.ARN))
		}
		return fmt.Sprintf("<%s>%s</%s>", elem, body.String(), elem) + truncated(next)
	}
	tags := func(e *Entity) string {
		keys := sortedKeys(e.Tags)
		got, next := page(keys, f.Get("Marker"), size)
		var b strings.Builder
		for _, k := range got {
			fmt.Fprintf(&b, "<member><Key>%s</Key><Value>%s</Value></member>", xmlEscape(k), xmlEscape(e.Tags[k]))
		}
		return "<Tags>" + b.String() + "</Tags>" + truncated(next)
	}
	var result string
	switch action {
	case "ListRoles":
		result = list("Roles", s.Roles, "RoleName")
	case "ListPolicies":
		ps := s.Policies
		if f.Get("Scope") != "Local" {
			ps = append(slices.Clone(ps), s.AWSManaged...)
		}
		result = list("Policies", ps, "PolicyName")
	case "ListRoleTags":
		i := slices.IndexFunc(s.Roles, func(e Entity) bool { return e.Name == f.Get("RoleName") })
		if i < 0 {
			fail(http.StatusNotFound, "NoSuchEntity", "The role with name "+f.Get("RoleName")+" cannot be found.")
			return
		}
		result = tags(&s.Roles[i])
	case "ListPolicyTags":
		i := slices.IndexFunc(s.Policies, func(e Entity) bool { return e.ARN == f.Get("PolicyArn") })
		if i < 0 {
			fail(http.StatusNotFound, "NoSuchEntity", "Policy "+f.Get("PolicyArn")+" does not exist.")
			return
		}
		result = tags(&s.Policies[i])
	default:
		fail(http.StatusBadRequest, "InvalidAction", "not served: "+action)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></%sResponse>`,
		action, iamNS, action, result, action, action)
}

// truncated is the IsTruncated and Marker elements of a page.
func truncated(next string) string {
	if next == "" {
		return "<IsTruncated>false</IsTruncated>"
	}
	return "<IsTruncated>true</IsTruncated><Marker>" + next + "</Marker>"
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
