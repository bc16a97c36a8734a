package argocd

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// notificationsModel is argocd-notifications-cm as the kit prints it.
type notificationsModel struct {
	Namespace string            `json:"namespace"`
	Data      map[string]string `json:"data"`
}

// The notification templates' Go template text (notifications-engine
// executes each field over {app: <the Application>, ...}). envAction
// prints the env name: the Application's name, which selfCheck keeps equal
// to awsrules.EnvName.
const (
	envAction    = "{{ .app.metadata.name }}"
	envLenAction = "len .app.metadata.name"
	// commitAction prints the head commit's first 8 hex digits.
	commitAction = `{{ substr 0 8 (toString (index .app.metadata.annotations "` + AnnotationHeadSHA + `")) }}`
	// degradedRange ranges over the Application's resources whose health
	// is Degraded; Argo CD has them in status.resources[].health only with
	// controller.resource.health.persist true.
	degradedRange = `{{ range .app.status.resources }}{{ if and .health (eq (toString .health.status) "Degraded") }}`
	// healthElsewhere is true when Argo CD keeps resource health out of
	// the Application (resourceHealthSource appTree, Argo CD 3's default).
	healthElsewhere = `{{ if eq (toString .app.status.resourceHealthSource) "appTree" }}`
	// kindAction prints a resource's kind, letters and digits only.
	kindAction = `{{ regexReplaceAll "[^A-Za-z0-9]" (toString .kind) "" }}`
	// maxMessage is how much of a resource's health message the comment
	// shows, in characters.
	maxMessage = 1000
)

// codeAction prints the value of a template expression as a Markdown code
// span at notification time: control characters become spaces, backticks
// quotes, so the span's single backticks hold it, and every <!-- becomes
// <! -- (see [commentOpen]); the padding spaces are CommonMark's, which
// strips one on each side.
func codeAction(expr string) string {
	return "` {{ regexReplaceAll \"[[:cntrl:]]\" (toString " + expr + ") \" \" | replace \"`\" \"'\"" +
		" | replace " + strconv.Quote(commentOpen) + " " + strconv.Quote(commentOpenShown) + " | trunc " + strconv.Itoa(maxMessage) + " }} `"
}

// commentOpen starts an HTML comment, and with it the github service's
// comment tag line, <!-- argocd-notifications <commentTag> -->: the
// service edits the first comment of the pull request whose body contains
// that line (notifications-engine pkg/services/github.go). A name or
// message in the comment shows commentOpenShown instead, so that it
// cannot carry another comment's tag line and have that comment's
// notifications rewrite this one. One pass of strings.ReplaceAll leaves
// no <!--: the pattern cannot overlap itself, nor form anew across the
// replacement's edges.
const commentOpen, commentOpenShown = "<!--", "<! --"

// notifyTrigger is one condition of a trigger, as notifications-engine's
// triggers.Condition reads it.
type notifyTrigger struct {
	Description string   `json:"description"`
	When        string   `json:"when"`
	OncePer     string   `json:"oncePer"`
	Send        []string `json:"send"`
}

// notifyTemplate is a template as notifications-engine reads it
// (services.Notification, its github part services.GitHubNotification).
type notifyTemplate struct {
	Message string       `json:"message"`
	GitHub  notifyGitHub `json:"github"`
}

type notifyGitHub struct {
	RepoURLPath        string           `json:"repoURLPath"`
	RevisionPath       string           `json:"revisionPath"`
	Deployment         notifyDeployment `json:"deployment"`
	PullRequestComment notifyComment    `json:"pullRequestComment"`
}

type notifyDeployment struct {
	State          string `json:"state"`
	Environment    string `json:"environment"`
	EnvironmentURL string `json:"environmentURL,omitempty"`
	// TransientEnvironment: the env goes away when the pull request
	// closes (GitHub REST API, "Create a deployment",
	// transient_environment).
	TransientEnvironment bool `json:"transientEnvironment"`
	// AutoMerge false: GitHub must not try to merge the default branch
	// into the pull request's head (the engine's default is true).
	AutoMerge bool `json:"autoMerge"`
	// RequiredContexts empty: the deployment does not wait for the
	// commit's status checks (GitHub's default would check them all).
	RequiredContexts []string `json:"requiredContexts"`
}

type notifyComment struct {
	Content    string `json:"content"`
	CommentTag string `json:"commentTag"`
}

// The oncePer of the healthy and degraded triggers: once per head commit
// and health transition, so that a push, and a recovery after a failure,
// post again, and nothing else does.
const (
	oncePerState   = `(app.metadata.annotations?.['` + AnnotationHeadSHA + `'] ?? '') + ' ' + (app.status?.health?.lastTransitionTime ?? '')`
	oncePerDeleted = `app.metadata.uid`
	notDeleting    = `app.metadata.deletionTimestamp == nil`
)

// newNotifications computes argocd-notifications-cm's data for the app:
// prenv's github service, and a trigger and a template per state.
func newNotifications(env *spec.PreviewEnvironment) (*notificationsModel, error) {
	a := env.Spec.ArgoCD
	ns := a.Namespace
	if ns == "" {
		ns = spec.DefaultArgoCDNamespace
	}
	gh := a.Notifications.GitHub
	svc := map[string]string{"appID": gh.AppID, "installationID": gh.InstallationID, "privateKey": gh.PrivateKey}
	if gh.EnterpriseBaseURL != "" {
		svc["enterpriseBaseURL"] = gh.EnterpriseBaseURL
	}
	data := map[string]string{}
	if err := putYAML(data, "service.github."+NotificationService, svc); err != nil {
		return nil, err
	}
	summary, err := summaryTemplate(env)
	if err != nil {
		return nil, err
	}
	prefix, app := env.Spec.Prefix, env.Metadata.Name
	envURL := ""
	if env.Spec.DNS != nil {
		envURL = "https://" + envAction + templateText("."+env.Spec.DNS.Zone)
	}
	gone := "the AWS Controllers for Kubernetes delete its AWS resources"
	if env.Spec.DeletionPolicy == "retain" {
		gone = "its AWS resources are kept (deletionPolicy retain), for the env of the pull request reopened to adopt"
	}
	heading := func(state string) string {
		return "### prenv: env `" + envAction + "` is " + state + "\n\n"
	}
	firstFailing := degradedRange + ": {{ .kind }} {{ .name }}{{ with .health.message }}: {{ . }}{{ end }}{{ break }}{{ end }}{{ end }}"
	failing := healthElsewhere + "- Argo CD keeps each resource's health out of the Application (`controller.resource.health.persist` is not `true`): see the Application in Argo CD.\n" +
		"{{ else }}" + degradedRange + "- " + kindAction + " " + codeAction(".name") + "{{ with .health.message }}: " + codeAction(".") + "{{ end }}\n{{ end }}{{ end }}{{ end }}"
	type stateSpec struct {
		name, when, oncePer, description, deployState, message, content string
		url                                                             bool
	}
	states := []stateSpec{
		{
			name: StateHealthy, when: notDeleting + ` and app.status?.sync?.status == 'Synced' and app.status?.health?.status == 'Healthy'`, oncePer: oncePerState,
			description: "prenv: the env is Synced and Healthy; once per head commit and health transition",
			deployState: "success", url: true,
			message: "prenv: " + envAction + " is ready" + ifURL(envURL, " at "+envURL),
			content: heading("ready") + "Commit `" + commitAction + "` is synced and healthy" + ifURL(envURL, ": <"+envURL+">") + ".\n\n" + summary,
		},
		{
			name: StateDegraded, when: notDeleting + ` and app.status?.health?.status == 'Degraded'`, oncePer: oncePerState,
			description: "prenv: the env is Degraded; once per head commit and health transition",
			deployState: "failure", url: true,
			message: "prenv: " + envAction + " is degraded" + firstFailing,
			content: heading("degraded") + "Commit `" + commitAction + "` is deployed, and these resources of the env are failing:\n\n" + failing + "\n" + summary,
		},
		{
			name: StateDeleted, when: `app.metadata.deletionTimestamp != nil`, oncePer: oncePerDeleted,
			description: "prenv: the env's Application is being deleted; once per Application",
			deployState: "inactive",
			message:     "prenv: " + envAction + " is deleted",
			content:     heading("deleted") + "The pull request's env is going away: Argo CD deletes its namespace and objects, and " + gone + ".\n",
		},
	}
	for _, st := range states {
		name := NotificationTrigger(prefix, app, st.name)
		trig := []notifyTrigger{{Description: st.description, When: st.when, OncePer: st.oncePer, Send: []string{name}}}
		if err := putYAML(data, "trigger."+name, trig); err != nil {
			return nil, err
		}
		t := notifyTemplate{
			Message: st.message,
			GitHub: notifyGitHub{
				RepoURLPath:  `{{ index .app.metadata.annotations "` + AnnotationRepoURL + `" }}`,
				RevisionPath: `{{ index .app.metadata.annotations "` + AnnotationHeadSHA + `" }}`,
				Deployment: notifyDeployment{
					State: st.deployState, Environment: envAction, TransientEnvironment: true, RequiredContexts: []string{},
				},
				PullRequestComment: notifyComment{Content: st.content, CommentTag: CommentTag(prefix, app)},
			},
		}
		if st.url {
			t.GitHub.Deployment.EnvironmentURL = envURL
		}
		if err := putYAML(data, "template."+name, t); err != nil {
			return nil, err
		}
	}
	return &notificationsModel{Namespace: ns, Data: data}, nil
}

// ifURL is s when the env has a URL, else nothing.
func ifURL(envURL, s string) string {
	if envURL == "" {
		return ""
	}
	return s
}

func putYAML(data map[string]string, key string, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	data[key] = string(b)
	return nil
}

// templateText writes literal text into a Go template: as it is, or, when
// it has a brace (which could start or end an action next to one), as a
// quoted Go string that the template prints.
func templateText(s string) string {
	if !strings.ContainsAny(s, "{}") {
		return s
	}
	return "{{ " + strconv.Quote(s) + " }}"
}

// substituteEnv turns text computed for the env name envName into a
// template that prints it for the Application's env: every envName
// becomes envAction, the rest is [templateText].
func substituteEnv(text, envName string) string {
	parts := strings.Split(text, envName)
	for i, p := range parts {
		parts[i] = templateText(p)
	}
	return strings.Join(parts, envAction)
}

// probeNumber is the pull-request number whose env the summary is
// computed for, per number of digits: the largest with that many.
func probeNumber(digits int) int {
	if digits >= awsrules.MaxPRDigits {
		return spec.MaxPR
	}
	return int(math.Pow10(digits)) - 1
}

// summaryTemplate returns the template that prints [EnvSummary] of the
// Application's env for any pull request. The summary is computed for one
// pull request per number of digits, its env name turned into envAction;
// where those differ (a name shortened with a hash for long numbers only),
// the template picks by the length of the env name. It is then executed for
// the smallest and largest numbers of each length and the probe pull
// requests and compared with the summary computed for each: an error says
// the summary cannot be templated (a name that holds the env name
// elsewhere, such as a DNS zone that repeats it).
func summaryTemplate(env *spec.PreviewEnvironment) (string, error) {
	type variant struct {
		maxLen int
		tmpl   string
	}
	var vs []variant
	for d := 1; d <= awsrules.MaxPRDigits; d++ {
		m, err := plan.PlanChecked(env, probeNumber(d))
		if err != nil {
			return "", err
		}
		t := substituteEnv(EnvSummary(m), m.EnvName)
		if len(vs) > 0 && vs[len(vs)-1].tmpl == t {
			vs[len(vs)-1].maxLen = len(m.EnvName)
			continue
		}
		vs = append(vs, variant{len(m.EnvName), t})
	}
	out := vs[0].tmpl
	if len(vs) > 1 {
		var b strings.Builder
		for i, v := range vs {
			switch {
			case i == 0:
				fmt.Fprintf(&b, "{{ if le (%s) %d }}", envLenAction, v.maxLen)
			case i == len(vs)-1:
				b.WriteString("{{ else }}")
			default:
				fmt.Fprintf(&b, "{{ else if le (%s) %d }}", envLenAction, v.maxLen)
			}
			b.WriteString(v.tmpl)
		}
		b.WriteString("{{ end }}")
		out = b.String()
	}
	return out, checkSummaryTemplate(env, out)
}

// checkSummaryTemplate executes the summary template as the notifications
// controller does (text/template with sprig's functions but env and
// expandenv) for pull requests of every length and compares.
func checkSummaryTemplate(env *spec.PreviewEnvironment, tmpl string) error {
	t, err := template.New("summary").Funcs(NotificationFuncMap()).Parse(tmpl)
	if err != nil {
		return fmt.Errorf("the env summary's notification template: %w", err)
	}
	prs := append([]int{}, probePRs...)
	for d := 1; d <= awsrules.MaxPRDigits; d++ {
		prs = append(prs, int(math.Pow10(d-1)), probeNumber(d))
	}
	for _, n := range prs {
		m, err := plan.PlanChecked(env, n)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		vars := map[string]any{"app": map[string]any{"metadata": map[string]any{"name": m.EnvName}}}
		if err := t.Execute(&b, vars); err != nil {
			return fmt.Errorf("the env summary's notification template, for pull request %d: %w", n, err)
		}
		if want := EnvSummary(m); b.String() != want {
			return fmt.Errorf("the env summary's notification template prints, for pull request %d, another summary than the env's:\n%s\nwant:\n%s", n, b.String(), want)
		}
	}
	return nil
}

// NotificationFuncMap returns the functions Argo CD's notifications
// controller gives its templates: sprig's text functions without env and
// expandenv (notifications-engine, pkg/templates). Each call returns a new
// map.
func NotificationFuncMap() template.FuncMap {
	fm := sprig.TxtFuncMap()
	delete(fm, "env")
	delete(fm, "expandenv")
	return fm
}
