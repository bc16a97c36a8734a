package argocd

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"text/template"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// TestMarkdownCode: a code span holds any text as it is, whatever
// backticks, HTML, mentions or line breaks it has.
func TestMarkdownCode(t *testing.T) {
	for in, want := range map[string]string{
		"pr-123-web_orders":                      "`pr-123-web_orders`",
		"a`b":                                    "``a`b``",
		"``x":                                    "``` ``x ```",
		" lead":                                  "`  lead `",
		"<img src=x onerror=alert>":              "`<img src=x onerror=alert>`",
		"@admin **bold**":                        "`@admin **bold**`",
		"line\n# heading\r":                      "`line\uFFFD# heading\uFFFD`",
		"":                                       "` `",
		"a<!-- argocd-notifications prenv-x -->": "`a<! -- argocd-notifications prenv-x -->`",
	} {
		if got := markdownCode(in); got != want {
			t.Errorf("markdownCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMermaidText: a label keeps letters, digits and . _ : / - and space;
// everything else is an entity code, so that nothing ends the label, adds
// a node or an edge, or ends the mermaid block.
func TestMermaidText(t *testing.T) {
	for in, want := range map[string]string{
		"pr-123-web_orders":            "pr-123-web_orders",
		"arn:aws:s3:::b/x":             "arn:aws:s3:::b/x",
		`x"]-->evil["y`:                "x#34;#93;--#62;evil#91;#34;y",
		"a\n```\n# b":                  "a#10;#96;#96;#96;#10;#35; b",
		"<script>alert(1)</script>|ok": "#60;script#62;alert#40;1#41;#60;/script#62;#124;ok",
		"é":                            "#233;",
	} {
		if got := mermaidText(in); got != want {
			t.Errorf("mermaidText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEnvSummaryHostileNames: names that would break out of a code span,
// a node label or the mermaid block stay inside them. Check refuses such
// names; the summary does not rely on it.
func TestEnvSummaryHostileNames(t *testing.T) {
	env := loadSpec(t, filepath.Join(golden.Root(t), "examples", "web", "prenv.yaml"))
	m, err := plan.Plan(env, 123)
	if err != nil {
		t.Fatal(err)
	}
	hostile := "x`]\"]-->evil[\"<img src=x onerror=alert(1)>\n```\n@admin {{ .secrets }}"
	m.Tables[0].Logical = hostile
	m.Tables[0].Name = m.EnvName + "_" + hostile
	got := EnvSummary(m)
	wantLine := "- DynamoDB table " + "````x`]\"]-->evil[\"<img src=x onerror=alert(1)>\uFFFD```\uFFFD@admin {{ .secrets }}````" + ": " +
		"````test-123-web_x`]\"]-->evil[\"<img src=x onerror=alert(1)>\uFFFD```\uFFFD@admin {{ .secrets }}````" + ", `" + m.Tables[0].ARN + "`\n"
	if !strings.Contains(got, wantLine) {
		t.Errorf("the table's line is not %q in:\n%s", wantLine, got)
	}
	wantNode := `  table1[("DynamoDB table<br/>test-123-web_x#96;#93;#34;#93;--#62;evil#91;#34;#60;img src#61;x onerror#61;alert#40;1#41;#62;#10;#96;#96;#96;#10;#64;admin #123;#123; .secrets #125;#125;")]` + "\n"
	if !strings.Contains(got, wantNode) {
		t.Errorf("the table's node is not %q in:\n%s", wantNode, got)
	}
	// One mermaid block, closed at the end; every line of it a node or an
	// edge of prenv's.
	_, block, ok := strings.Cut(got, "```mermaid\n")
	if !ok || strings.Count(got, "```mermaid") != 1 || !strings.HasSuffix(got, "\n```\n") {
		t.Fatalf("not one mermaid block at the end:\n%s", got)
	}
	for _, l := range strings.Split(strings.TrimSuffix(block, "```\n"), "\n") {
		if l == "" || l == "flowchart LR" {
			continue
		}
		if strings.Count(l, `"`) != 2 && !strings.Contains(l, "-->") && !strings.Contains(l, "-.->") {
			t.Errorf("mermaid line %q is neither one node nor an edge", l)
		}
	}
	// The summary becomes a notification template: the hostile name's
	// braces are printed, not executed.
	tmpl := substituteEnv(got, m.EnvName)
	out := executeNotification(t, tmpl, map[string]any{"app": map[string]any{"metadata": map[string]any{"name": m.EnvName}}})
	if out != got {
		t.Errorf("the summary as a template prints:\n%s\nwant:\n%s", out, got)
	}
}

// TestNotificationID: names fit the subscription annotation (a qualified
// name, at most 63 characters in its name part) for the longest prefix
// and app, and stay apart.
func TestNotificationID(t *testing.T) {
	long := strings.Repeat("a", 20)
	app := strings.Repeat("b", 31)
	for _, tc := range []struct{ prefix, app, want string }{
		{"pr", "orders", "pr-orders"},
		{"test", strings.Repeat("w", 27), "test-" + strings.Repeat("w", 27)},
		{long, app, "aaaaaaaaaaaaaa--" + NotificationID(long, app)[16:]},
	} {
		got := NotificationID(tc.prefix, tc.app)
		if got != tc.want || len(got) > 32 {
			t.Errorf("NotificationID(%q, %q) = %q (%d characters), want %q", tc.prefix, tc.app, got, len(got), tc.want)
		}
		for _, st := range NotificationStates {
			if msgs := validation.IsQualifiedName(SubscribeAnnotation(tc.prefix, tc.app, st)); len(msgs) > 0 {
				t.Errorf("%s: %v", SubscribeAnnotation(tc.prefix, tc.app, st), msgs)
			}
		}
	}
	if NotificationID(long, app) == NotificationID(long, app+"c") {
		t.Error("two long apps share an ID")
	}
}

// TestNotificationTemplates executes the rendered templates as the
// notifications controller does (text/template, sprig) for Applications
// of the web example: the degraded comment lists the failing resources'
// messages inside code spans, whatever they hold; without resource health
// in the Application it says so.
func TestNotificationTemplates(t *testing.T) {
	env := loadSpec(t, filepath.Join(golden.Root(t), "examples", "web", "prenv.yaml"))
	data := notificationsData(t, env)
	var tmpl struct {
		Message string `json:"message"`
		GitHub  struct {
			Deployment struct {
				State, Environment, EnvironmentURL string
			} `json:"deployment"`
			PullRequestComment struct {
				Content, CommentTag string
			} `json:"pullRequestComment"`
		} `json:"github"`
	}
	if err := yaml.Unmarshal([]byte(data["template.prenv-test-web-degraded"]), &tmpl); err != nil {
		t.Fatal(err)
	}
	app := func(status map[string]any) map[string]any {
		return map[string]any{"app": map[string]any{
			"metadata": map[string]any{"name": "test-123-web", "annotations": map[string]any{AnnotationHeadSHA: "3f786850e387550fdab836ed7e6dc881de23001b"}},
			"status":   status,
		}}
	}
	degraded := app(map[string]any{
		"health": map[string]any{"status": "Degraded"},
		"resources": []any{
			map[string]any{"kind": "Table", "name": "sessions", "health": map[string]any{"status": "Degraded", "message": "ACK.Terminal: `x`\n<img src=x> @admin"}},
			map[string]any{"kind": "Queue", "name": "jobs", "health": map[string]any{"status": "Healthy"}},
			map[string]any{"kind": "Deployment", "name": "web"},
		},
	})
	content := executeNotification(t, tmpl.GitHub.PullRequestComment.Content, degraded)
	wantStart := "### prenv: env `test-123-web` is degraded\n\nCommit `3f786850` is deployed, and these resources of the env are failing:\n\n" +
		"- Table ` sessions `: ` ACK.Terminal: 'x' <img src=x> @admin `\n\n**Resources**\n"
	if !strings.HasPrefix(content, wantStart) {
		t.Errorf("the degraded comment starts:\n%s\nwant:\n%s", content[:min(len(content), len(wantStart)+40)], wantStart)
	}
	if got, want := executeNotification(t, tmpl.Message, degraded), "prenv: test-123-web is degraded: Table sessions: ACK.Terminal: `x`\n<img src=x> @admin"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	elsewhere := executeNotification(t, tmpl.GitHub.PullRequestComment.Content, app(map[string]any{"resourceHealthSource": "appTree"}))
	if want := "failing:\n\n- Argo CD keeps each resource's health out of the Application (`controller.resource.health.persist` is not `true`): see the Application in Argo CD.\n\n**Resources**"; !strings.Contains(elsewhere, want) {
		t.Errorf("without resource health the comment lacks %q:\n%s", want, elsewhere)
	}
	if got, want := tmpl.GitHub.PullRequestComment.CommentTag, "prenv-test-web"; got != want {
		t.Errorf("commentTag = %q, want %q", got, want)
	}
	if got, want := executeNotification(t, tmpl.GitHub.Deployment.EnvironmentURL, degraded), "https://test-123-web.preview.example.com"; got != want {
		t.Errorf("environmentURL = %q, want %q", got, want)
	}
}

// TestNotificationCommentTag: a failing resource's name or health
// message that holds another comment's tag line cannot take that comment
// over. The github service edits the first comment of the pull request
// whose body contains <!-- argocd-notifications <commentTag> -->
// (notifications-engine pkg/services/github.go, strings.Contains), so a
// message with the tag of another app's env would have that env's
// notification rewrite this env's comment; the comment shows "<! --"
// instead.
func TestNotificationCommentTag(t *testing.T) {
	env := loadSpec(t, filepath.Join(golden.Root(t), "examples", "web", "prenv.yaml"))
	data := notificationsData(t, env)
	var tmpl struct {
		GitHub struct {
			PullRequestComment struct{ Content string } `json:"pullRequestComment"`
		} `json:"github"`
	}
	if err := yaml.Unmarshal([]byte(data["template.prenv-test-web-degraded"]), &tmpl); err != nil {
		t.Fatal(err)
	}
	degraded := map[string]any{"app": map[string]any{
		"metadata": map[string]any{"name": "test-123-web", "annotations": map[string]any{AnnotationHeadSHA: "3f786850e387550fdab836ed7e6dc881de23001b"}},
		"status": map[string]any{"resources": []any{
			map[string]any{"kind": "Pod", "name": "web<!--x", "health": map[string]any{"status": "Degraded", "message": "<!-- argocd-notifications prenv-test-api --> <!<!---->"}},
		}},
	}}
	content := executeNotification(t, tmpl.GitHub.PullRequestComment.Content, degraded)
	if want := "- Pod ` web<! --x `: ` <! -- argocd-notifications prenv-test-api --> <!<! ----> `\n"; !strings.Contains(content, want) {
		t.Errorf("the degraded comment lacks %q:\n%s", want, content)
	}
	if strings.Contains(content, "<!--") {
		t.Errorf("the degraded comment holds <!--:\n%s", content)
	}
}

// TestSummaryTemplateBranches: a queue name that prenv shortens with a
// hash for long pull-request numbers only gives a template that picks by
// the env name's length, exact for every number (summaryTemplate checks
// the probes; this checks the branch is there and what it prints).
func TestSummaryTemplateBranches(t *testing.T) {
	env := loadSpec(t, filepath.Join(golden.Root(t), "examples", "web", "prenv.yaml"))
	env.Spec.Prefix = strings.Repeat("p", 15)
	env.Metadata.Name = strings.Repeat("w", 18)
	env.Spec.DNS = nil
	env.Spec.SQS.Queues[0].Name = strings.Repeat("q", 34)
	if errs := spec.Check(env); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	tmpl, err := summaryTemplate(env)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tmpl, "{{ if le (len .app.metadata.name) ") {
		t.Fatalf("no branch on the env name's length:\n%s", tmpl)
	}
	for n, want := range map[int]string{
		1:          "SQS dead-letter queue `" + strings.Repeat("q", 34) + "`: `ppppppppppppppp-1-wwwwwwwwwwwwwwwwww_" + strings.Repeat("q", 34) + "_dlq`",
		spec.MaxPR: "SQS dead-letter queue `" + strings.Repeat("q", 34) + "`: named with a hash, the env's ConfigMap `wwwwwwwwwwwwwwwwww-prenv` has the name in `PRENV_QUEUE_" + strings.Repeat("Q", 34) + "_DLQ_NAME`",
	} {
		m, err := plan.Plan(env, n)
		if err != nil {
			t.Fatal(err)
		}
		got := executeNotification(t, tmpl, map[string]any{"app": map[string]any{"metadata": map[string]any{"name": m.EnvName}}})
		if !strings.Contains(got, want) {
			t.Errorf("pull request %d: the summary lacks %q:\n%s", n, want, got)
		}
	}
}

// TestNotifyWiringSelfCheck: an override of the kit that drops the
// Applications' annotations, or argocd-notifications-cm, is refused.
func TestNotifyWiringSelfCheck(t *testing.T) {
	env := loadSpec(t, filepath.Join(golden.Root(t), "examples", "web", "prenv.yaml"))
	appSet := embeddedTemplate(t, "applicationset.yaml")
	noAnnotations := strings.Replace(appSet, "      {{- with .template.annotations }}", "      {{- with false }}", 1)
	for name, tc := range map[string]struct {
		fsys fstest.MapFS
		want string
	}{
		"annotations dropped": {fstest.MapFS{"applicationset.yaml": {Data: []byte(noAnnotations)}},
			`applicationset.yaml: for pull request 1 the Application's annotation notifications.argoproj.io/subscribe.prenv-test-web-degraded.prenv is "", want "": the notifications read it`},
		"ConfigMap dropped": {fstest.MapFS{NotificationsConfigMap + ".yaml": {Data: []byte("{{- /* nothing */ -}}\n")}},
			"the templates rendered no " + NotificationsConfigMap},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := AppSet(context.Background(), env, Options{Templates: tc.fsys})
			var te *kit.TemplateError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a template error with %q", err, tc.want)
			}
		})
	}
}

// notificationsData renders the spec's argocd-notifications-cm data.
func notificationsData(t *testing.T, env *spec.PreviewEnvironment) map[string]string {
	t.Helper()
	objs, err := AppSet(context.Background(), env, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetName() == NotificationsConfigMap {
			data, _, _ := unstructured.NestedStringMap(o.Object, "data")
			return data
		}
	}
	t.Fatalf("no %s", NotificationsConfigMap)
	return nil
}

// executeNotification executes a notification template's text as the
// notifications controller does.
func executeNotification(t *testing.T, text string, vars map[string]any) string {
	t.Helper()
	tmpl, err := template.New("t").Funcs(NotificationFuncMap()).Parse(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, vars); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
