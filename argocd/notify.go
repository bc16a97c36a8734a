package argocd

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/spec"
)

// The notifications wiring (spec.argocd.notifications): what render appset
// writes into Argo CD's argocd-notifications-cm and onto every generated
// Application, so that Argo CD's notifications controller posts each env's
// state to its pull request through its github service. See
// docs/feedback.md.
const (
	// NotificationsConfigMap is the notifications controller's ConfigMap
	// in Argo CD's namespace.
	NotificationsConfigMap = "argocd-notifications-cm"
	// NotificationService is the name of prenv's github service: the key
	// service.github.prenv of NotificationsConfigMap, and the last part
	// of the subscription annotations. Every app that enables
	// notifications renders the same settings under it.
	NotificationService = "prenv"
	// AnnotationHeadSHA, on each generated Application, is the pull
	// request's head commit ({{ .head_sha }}): the github service's
	// revisionPath reads it, so that the statuses and the comment name the
	// app repository's commit, not the manifests repository's revision.
	AnnotationHeadSHA = "prenv.dev/head-sha"
	// AnnotationRepoURL, on each generated Application, is the app
	// repository (pullRequests.github's), which the github service's
	// repoURLPath reads: the owner and name are taken from its path.
	AnnotationRepoURL = "prenv.dev/repo-url"
	// SubscribeAnnotationPrefix starts a subscription annotation,
	// notifications.argoproj.io/subscribe.<trigger>.<service>
	// (notifications-engine, pkg/subscriptions).
	SubscribeAnnotationPrefix = "notifications.argoproj.io/subscribe."
)

// The env states prenv's triggers fire on, the last part of their names.
const (
	// StateHealthy: Synced and Healthy; deployment status success with
	// the env's URL, and the comment with the env's resources.
	StateHealthy = "healthy"
	// StateDegraded: health Degraded; deployment status failure, and the
	// comment with the failing resources' messages.
	StateDegraded = "degraded"
	// StateDeleted: the Application is being deleted; deployment status
	// inactive, and the comment says so.
	StateDeleted = "deleted"
)

// NotificationStates are the states in the order render appset writes
// them.
var NotificationStates = []string{StateHealthy, StateDegraded, StateDeleted}

// maxNotificationID is the longest app part of a trigger name: the
// subscription annotation's name, subscribe.prenv-<id>-degraded.prenv, is
// at most 63 characters (a qualified name's name part).
const maxNotificationID = 63 - len("subscribe.prenv--degraded.") - len(NotificationService)

// notificationHashLen is how much of awsrules.NameHash a shortened ID
// keeps: 16 characters, 80 bits.
const notificationHashLen = 16

// NotificationID is the app's part of its trigger, template and comment
// tag names: the ApplicationSet's name, <prefix>-<app>, or, when that is
// longer than 32 characters, its first characters, "--" and 16 characters
// of its awsrules.NameHash.
func NotificationID(prefix, app string) string {
	id := AppSetName(prefix, app)
	if len(id) <= maxNotificationID {
		return id
	}
	keep := maxNotificationID - len(awsrules.ShortMark) - notificationHashLen
	return strings.TrimRight(id[:keep], "-") + awsrules.ShortMark + awsrules.NameHash(id)[:notificationHashLen]
}

// NotificationTrigger is the name of the app's trigger for a state, and
// of the template it sends: prenv-<id>-<state> (see [NotificationID]).
func NotificationTrigger(prefix, app, state string) string {
	return "prenv-" + NotificationID(prefix, app) + "-" + state
}

// CommentTag is the github service's commentTag of the app's comment:
// prenv-<id>. The service finds the comment to update by it, so each env
// of a pull request (one per app) has its own comment.
func CommentTag(prefix, app string) string { return "prenv-" + NotificationID(prefix, app) }

// SubscribeAnnotation is the annotation that subscribes an Application to
// the app's trigger for a state with prenv's github service.
func SubscribeAnnotation(prefix, app, state string) string {
	return SubscribeAnnotationPrefix + NotificationTrigger(prefix, app, state) + "." + NotificationService
}

// notificationAnnotations are the annotations of the ApplicationSet's
// template: the subscriptions, the head commit and the app repository.
func notificationAnnotations(env *spec.PreviewEnvironment) map[string]string {
	a := env.Spec.ArgoCD
	prefix, app := env.Spec.Prefix, env.Metadata.Name
	out := map[string]string{
		AnnotationHeadSHA: "{{ .head_sha }}",
		AnnotationRepoURL: literal(appRepoURL(a)),
	}
	for _, st := range NotificationStates {
		out[SubscribeAnnotation(prefix, app, st)] = ""
	}
	return out
}

// appRepoURL is the web URL of the pull requests' repository: on
// github.com, or on the host of enterpriseBaseURL. The github service
// reads the owner and name from its path (its API URL is the service's).
func appRepoURL(a *spec.ArgoCD) string {
	gh := a.PullRequests.GitHub
	host := "https://github.com"
	if base := a.Notifications.GitHub.EnterpriseBaseURL; base != "" {
		if u, err := url.Parse(base); err == nil {
			host = u.Scheme + "://" + u.Host
		}
	}
	return host + "/" + gh.Owner + "/" + gh.Repo
}

// checkNotifyWiring checks, with spec.argocd.notifications, that the
// Application generated for a probe pull request carries the
// subscriptions, its head commit and the app repository as the
// notification templates read them, and that the templates rendered
// argocd-notifications-cm with every trigger and template: an override
// of a template file cannot drop the wiring unnoticed.
func checkNotifyWiring(env *spec.PreviewEnvironment, objs []*unstructured.Unstructured, app *unstructured.Unstructured, pr PullRequest) error {
	a := env.Spec.ArgoCD
	if a.Notifications == nil {
		return nil
	}
	fail := func(tmpl, format string, args ...any) error {
		return &kit.TemplateError{Template: tmpl, Err: fmt.Errorf(format, args...)}
	}
	want := notificationAnnotations(env)
	want[AnnotationHeadSHA] = pr.HeadSHA
	want[AnnotationRepoURL] = appRepoURL(a)
	got := app.GetAnnotations()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if v, ok := got[k]; !ok || v != want[k] {
			return fail("applicationset.yaml", "for pull request %d the Application's annotation %s is %q, want %q: the notifications read it", pr.Number, k, v, want[k])
		}
	}
	var cm *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "ConfigMap" && o.GetName() == NotificationsConfigMap {
			cm = o
		}
	}
	if cm == nil {
		return fail("", "the templates rendered no %s", NotificationsConfigMap)
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	keys := []string{"service.github." + NotificationService}
	for _, st := range NotificationStates {
		name := NotificationTrigger(env.Spec.Prefix, env.Metadata.Name, st)
		keys = append(keys, "trigger."+name, "template."+name)
	}
	for _, k := range keys {
		if data[k] == "" {
			return fail(NotificationsConfigMap+".yaml", "%s has no %s", NotificationsConfigMap, k)
		}
	}
	return nil
}
