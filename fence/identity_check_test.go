package fence_test

import (
	"strings"
	"testing"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// TestServiceAccountWebhookAnnotations: annotations the EKS pod identity
// webhook reads must agree with the role's trust policy.
func TestServiceAccountWebhookAnnotations(t *testing.T) {
	tests := map[string]struct {
		key, value string
		want       string // error fragment at spec.serviceAccount.annotations[key]; "" for valid
	}{
		"audience of the trust policy": {"eks.amazonaws.com/audience", "sts.amazonaws.com", ""},
		"another audience":             {"eks.amazonaws.com/audience", "vault", `Invalid value: "vault": the env's role trusts tokens for audience "sts.amazonaws.com" only`},
		"regional endpoints":           {"eks.amazonaws.com/sts-regional-endpoints", "true", ""},
		"regional endpoints not bool":  {"eks.amazonaws.com/sts-regional-endpoints", "yes", `Unsupported value: "yes"`},
		"token expiration":             {"eks.amazonaws.com/token-expiration", "7200", ""},
		"token expiration too short":   {"eks.amazonaws.com/token-expiration", "600", "must be a whole number of seconds from 3600 to 86400"},
		"endpoint url":                 {"eks.amazonaws.com/endpoint-url", "https://sts.attacker.example", "Forbidden: prenv allows the pod identity webhook's audience"},
		"unknown webhook annotation":   {"eks.amazonaws.com/skip-containers", "app", "Forbidden"},
		"role ARN":                     {"eks.amazonaws.com/role-arn", "arn:aws:iam::123456789012:role/admin", "Forbidden: prenv sets the role ARN itself"},
		"other annotations are free":   {"example.com/team", "payments", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := testkit.ValidSpec()
			env.Spec.ServiceAccount = &spec.ServiceAccount{Annotations: map[string]string{tc.key: tc.value}}
			errs := spec.Check(env)
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected: %v", errs)
				}
				return
			}
			path := "spec.serviceAccount.annotations[" + tc.key + "]"
			if len(errs) != 1 || errs[0].Field != path || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("got %v, want one error at %s containing %q", errs, path, tc.want)
			}
		})
	}
}

// TestServiceAccountAnnotationsExitOne: annotations that once made the
// output invalid (exit 3, "a bug in prenv") are refused at the spec.
func TestServiceAccountAnnotationsRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		ann  map[string]string
		want string
	}{
		"over the API server's size": {map[string]string{"a.example.com/x": strings.Repeat("x", 300000)}, "spec.serviceAccount.annotations: Too long: may not be more than 261120 bytes"},
		"prenv's own sync wave":      {map[string]string{"argocd.argoproj.io/sync-wave": "5"}, "spec.serviceAccount.annotations[argocd.argoproj.io/sync-wave]: Forbidden: prenv sets the sync wave itself"},
		"large but within the limit": {map[string]string{"a.example.com/x": strings.Repeat("x", 200000)}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			env := testkit.ValidSpec()
			env.Spec.ServiceAccount = &spec.ServiceAccount{Annotations: tc.ann}
			errs := spec.Check(env)
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected: %v", errs)
				}
				if _, err := render.Render(t.Context(), env, 1, render.Options{}); err != nil {
					t.Fatal(err)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("got %v, want %q", errs, tc.want)
			}
		})
	}
}
