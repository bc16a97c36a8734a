package argocd

import (
	"cmp"
	"context"
	"maps"
	"slices"

	"prenv.dev/prenv/internal/placeholders"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// model is what the Argo CD kit's templates see as .Values (its JSON form).
// Go computes every name, pattern and placeholder; the templates only shape
// YAML and print every string through toJson.
type model struct {
	App     string       `json:"app"`
	AppSet  appSetModel  `json:"appSet"`
	Project projectModel `json:"project"`
	Health  *healthModel `json:"health"`
	// Notifications is argocd-notifications-cm, nil without
	// spec.argocd.notifications.
	Notifications *notificationsModel `json:"notifications"`
	Plugin        *pluginModel        `json:"plugin"`
	Sidecar       *sidecarModel       `json:"sidecar"`
}

type appSetModel struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	Labels            map[string]string `json:"labels"`
	GoTemplateOptions []string          `json:"goTemplateOptions"`
	// Generator is the pullRequest generator, as Argo CD's CRD spells it.
	Generator map[string]any `json:"generator"`
	Template  templateModel  `json:"template"`
}

// templateModel is the ApplicationSet's template. Strings here are goTemplate
// text that Argo CD executes for each pull request.
type templateModel struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
	// Annotations: the notifications' subscriptions, head commit and app
	// repository; nil without spec.argocd.notifications.
	Annotations map[string]string `json:"annotations"`
	Finalizers  []string          `json:"finalizers"`
	Project     string            `json:"project"`
	Source      map[string]any    `json:"source"`
	Destination map[string]string `json:"destination"`
	SyncPolicy  map[string]any    `json:"syncPolicy"`
	Info        []infoModel       `json:"info"`
}

type infoModel struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type projectModel struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels"`
	Description string            `json:"description"`
	SourceRepos []string          `json:"sourceRepos"`
	// Destinations: one per namespace pattern.
	Destinations []map[string]string `json:"destinations"`
	// ClusterResources: the env's Namespace, by name pattern.
	ClusterResources []map[string]string `json:"clusterResources"`
	// NamespaceResources: the kinds prenv emits and the app's own.
	NamespaceResources []spec.GroupKind `json:"namespaceResources"`
}

type healthModel struct {
	Namespace string            `json:"namespace"`
	Checks    map[string]string `json:"checks"`
}

type pluginModel struct {
	Name          string `json:"name"`
	Namespace     string `json:"namespace"`
	ConfigMapName string `json:"configMapName"`
	// Config is plugin.yaml, the ConfigManagementPlugin.
	Config map[string]any `json:"config"`
}

type sidecarModel struct {
	Namespace     string `json:"namespace"`
	Container     string `json:"container"`
	Image         string `json:"image"`
	ConfigMapName string `json:"configMapName"`
	ConfigVolume  string `json:"configVolume"`
	TmpVolume     string `json:"tmpVolume"`
}

func newModel(ctx context.Context, env *spec.PreviewEnvironment) (*model, error) {
	a := env.Spec.ArgoCD
	app, prefix := env.Metadata.Name, env.Spec.Prefix
	ns := a.Namespace
	if ns == "" {
		ns = spec.DefaultArgoCDNamespace
	}
	name := NameTemplate(prefix, app)
	project := ProjectName(env)

	labels := map[string]string{}
	maps.Copy(labels, a.Labels)
	labels[spec.LabelManagedBy] = spec.ManagedByValue
	labels[spec.LabelApp] = app

	appLabels := maps.Clone(labels)
	appLabels[spec.LabelPR] = "{{ .number }}"
	appLabels[spec.LabelEnv] = name

	dest := map[string]string{"namespace": name}
	switch {
	case a.Destination != nil && a.Destination.Name != "":
		dest["name"] = literal(a.Destination.Name)
	case a.Destination != nil && a.Destination.Server != "":
		dest["server"] = literal(a.Destination.Server)
	default:
		dest["server"] = spec.DefaultArgoCDServer
	}

	base := ""
	if a.Source.Plugin != nil {
		b, err := PluginBase(env)
		if err != nil {
			return nil, err
		}
		base = b
	}
	source, err := sourceModel(a.Source, base)
	if err != nil {
		return nil, err
	}

	m := &model{
		App: app,
		AppSet: appSetModel{
			Name:              AppSetName(prefix, app),
			Namespace:         ns,
			Labels:            labels,
			GoTemplateOptions: slices.Clone(GoTemplateOptions),
			Generator:         generatorModel(a.PullRequests),
			Template: templateModel{
				Name:        name,
				Labels:      appLabels,
				Finalizers:  []string{ResourcesFinalizer},
				Project:     literal(project),
				Source:      source,
				Destination: dest,
				SyncPolicy:  syncPolicyModel(a.SyncPolicy),
				Info: []infoModel{
					{Name: "Pull request", Value: "#{{ .number }}: {{ .title }}"},
					{Name: "Branch", Value: "{{ .branch }}"},
					{Name: "Head", Value: "{{ .head_short_sha }}"},
					{Name: "Author", Value: "{{ .author }}"},
				},
			},
		},
	}

	kinds, err := emittedKinds(ctx, env)
	if err != nil {
		return nil, err
	}
	appKinds := a.AppResources
	if appKinds == nil {
		appKinds = spec.DefaultAppResources()
	}
	for _, gk := range appKinds {
		if !slices.Contains(kinds, gk) {
			kinds = append(kinds, gk)
		}
	}
	slices.SortFunc(kinds, func(x, y spec.GroupKind) int {
		return cmp.Or(cmp.Compare(x.Group, y.Group), cmp.Compare(x.Kind, y.Kind))
	})
	patterns := NamespacePatterns(prefix, app)
	p := projectModel{
		Name:               project,
		Namespace:          ns,
		Labels:             maps.Clone(labels),
		Description:        "prenv previews of " + app + ": the namespaces " + prefix + "-<pr>-" + app + " only",
		SourceRepos:        []string{a.Source.RepoURL},
		NamespaceResources: kinds,
	}
	for _, pat := range patterns {
		d := map[string]string{"namespace": pat}
		if a.Destination != nil && a.Destination.Name != "" {
			d["name"] = a.Destination.Name
		} else {
			d["server"] = destServer(a)
		}
		p.Destinations = append(p.Destinations, d)
		p.ClusterResources = append(p.ClusterResources, map[string]string{"group": "", "kind": "Namespace", "name": pat})
	}
	m.Project = p

	if a.Notifications != nil {
		m.AppSet.Template.Annotations = notificationAnnotations(env)
		if m.Notifications, err = newNotifications(env); err != nil {
			return nil, err
		}
	}
	if a.HealthChecks == nil || *a.HealthChecks {
		m.Health = &healthModel{Namespace: ns, Checks: HealthChecks(a.AppResources)}
	}
	if pl := a.Source.Plugin; pl != nil {
		pn := pluginName(pl)
		cm := pn + "-cmp"
		m.Plugin = &pluginModel{Name: pn, Namespace: ns, ConfigMapName: cm, Config: pluginConfig(pn)}
		if pl.Image != "" {
			m.Sidecar = &sidecarModel{
				Namespace:     ns,
				Container:     pn + "-cmp",
				Image:         pl.Image,
				ConfigMapName: cm,
				ConfigVolume:  pn + "-cmp-config",
				TmpVolume:     pn + "-cmp-tmp",
			}
		}
	}
	return m, nil
}

func destServer(a *spec.ArgoCD) string {
	if a.Destination != nil && a.Destination.Server != "" {
		return a.Destination.Server
	}
	return spec.DefaultArgoCDServer
}

// emittedKinds are the namespaced kinds render env emits for the spec
// (the Namespace aside), found by rendering a probe pull request with the
// embedded kit.
func emittedKinds(_ context.Context, env *spec.PreviewEnvironment) ([]spec.GroupKind, error) {
	m, err := plan.Plan(env, 1)
	if err != nil {
		return nil, err
	}
	return plan.EnvKinds(m), nil
}

// sourceModel is the Application's source for the manifest flow or the
// plugin flow, placeholders in their goTemplate form; base is the plugin
// env PRENV_BASE ([PluginBase]).
func sourceModel(s *spec.AppSource, base string) (map[string]any, error) {
	expand := placeholders.Expand
	src := map[string]any{"repoURL": literal(s.RepoURL)}
	path, err := expand(s.Path)
	if err != nil {
		return nil, err
	}
	rev := s.TargetRevision
	if rev == "" {
		rev = spec.DefaultManifestRevision
		if s.Plugin != nil {
			rev = spec.DefaultPluginRevision
		}
	}
	if rev, err = expand(rev); err != nil {
		return nil, err
	}
	src["targetRevision"] = rev
	if s.Plugin == nil {
		src["path"] = path
		return src, nil
	}
	if path == "" {
		path = "."
	}
	src["path"] = path
	pl := s.Plugin
	file := pl.File
	if file == "" {
		file = spec.DefaultPluginFile
	}
	envs := []any{
		map[string]any{"name": PluginEnvPR, "value": "{{ .number }}"},
		map[string]any{"name": PluginEnvFile, "value": literal(file)},
	}
	if pl.Chart != "" {
		envs = append(envs, map[string]any{"name": PluginEnvChart, "value": literal(pl.Chart)})
	}
	envs = append(envs, map[string]any{"name": PluginEnvBase, "value": base})
	plugin := map[string]any{"name": pluginName(pl), "env": envs}
	if len(pl.Values) > 0 {
		vals := make([]any, len(pl.Values))
		for i, v := range pl.Values {
			vals[i] = literal(v)
		}
		plugin["parameters"] = []any{map[string]any{"name": PluginValuesArg, "array": vals}}
	}
	src["plugin"] = plugin
	return src, nil
}

// generatorModel is the pullRequest generator as the ApplicationSet CRD
// spells it.
func generatorModel(pr *spec.PullRequests) map[string]any {
	g := map[string]any{}
	tokenRef := func(s *spec.SecretKey) map[string]any {
		return map[string]any{"secretName": s.Name, "key": s.Key}
	}
	labels := func(m map[string]any, l []string) {
		if len(l) > 0 {
			m["labels"] = slices.Clone(l)
		}
	}
	set := func(m map[string]any, k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	bitbucketAuth := func(m map[string]any, user string, password, token *spec.SecretKey) {
		switch {
		case token != nil:
			m["bearerToken"] = map[string]any{"tokenRef": tokenRef(token)}
		case password != nil:
			m["basicAuth"] = map[string]any{"username": user, "passwordRef": tokenRef(password)}
		}
	}
	switch {
	case pr.GitHub != nil:
		p := pr.GitHub
		m := map[string]any{"owner": p.Owner, "repo": p.Repo}
		set(m, "api", p.API)
		set(m, "appSecretName", p.AppSecretName)
		labels(m, p.Labels)
		if p.TokenSecret != nil {
			m["tokenRef"] = tokenRef(p.TokenSecret)
		}
		g["github"] = m
	case pr.GitLab != nil:
		p := pr.GitLab
		m := map[string]any{"project": p.Project}
		set(m, "api", p.API)
		set(m, "pullRequestState", p.PullRequestState)
		labels(m, p.Labels)
		if p.TokenSecret != nil {
			m["tokenRef"] = tokenRef(p.TokenSecret)
		}
		if p.Insecure {
			m["insecure"] = true
		}
		g["gitlab"] = m
	case pr.Gitea != nil:
		p := pr.Gitea
		m := map[string]any{"owner": p.Owner, "repo": p.Repo, "api": p.API}
		labels(m, p.Labels)
		if p.TokenSecret != nil {
			m["tokenRef"] = tokenRef(p.TokenSecret)
		}
		if p.Insecure {
			m["insecure"] = true
		}
		g["gitea"] = m
	case pr.BitbucketServer != nil:
		p := pr.BitbucketServer
		m := map[string]any{"project": p.Project, "repo": p.Repo, "api": p.API}
		bitbucketAuth(m, p.Username, p.PasswordSecret, p.TokenSecret)
		if p.Insecure {
			m["insecure"] = true
		}
		g["bitbucketServer"] = m
	case pr.Bitbucket != nil:
		p := pr.Bitbucket
		m := map[string]any{"owner": p.Owner, "repo": p.Repo}
		set(m, "api", p.API)
		bitbucketAuth(m, p.Username, p.PasswordSecret, p.TokenSecret)
		g["bitbucket"] = m
	case pr.AzureDevOps != nil:
		p := pr.AzureDevOps
		m := map[string]any{"organization": p.Organization, "project": p.Project, "repo": p.Repo}
		set(m, "api", p.API)
		labels(m, p.Labels)
		if p.TokenSecret != nil {
			m["tokenRef"] = tokenRef(p.TokenSecret)
		}
		g["azuredevops"] = m
	}
	if len(pr.Filters) > 0 {
		var fs []any
		for _, f := range pr.Filters {
			m := map[string]any{}
			set(m, "branchMatch", f.BranchMatch)
			set(m, "targetBranchMatch", f.TargetBranchMatch)
			set(m, "titleMatch", f.TitleMatch)
			fs = append(fs, m)
		}
		g["filters"] = fs
	}
	requeue := int64(spec.DefaultRequeueAfterSeconds)
	if pr.RequeueAfterSeconds != nil {
		requeue = *pr.RequeueAfterSeconds
	}
	g["requeueAfterSeconds"] = requeue
	return g
}

// syncPolicyModel is the Applications' sync policy: automated (prune and
// self-heal unless turned off), prenv's sync options, and retries while
// AWS catches up.
func syncPolicyModel(sp *spec.SyncPolicy) map[string]any {
	prune, selfHeal := true, true
	opts := slices.Clone(DefaultSyncOptions)
	if sp != nil {
		if sp.Prune != nil {
			prune = *sp.Prune
		}
		if sp.SelfHeal != nil {
			selfHeal = *sp.SelfHeal
		}
		if len(sp.SyncOptions) > 0 {
			opts = slices.Clone(sp.SyncOptions)
		}
	}
	// Argo CD's SyncPolicyAutomated marshals prune and selfHeal with
	// omitempty (argo-cd v3.2.12, pkg/apis/application/v1alpha1/types.go),
	// so the controller writes a false one as absent: leave it out here
	// too, and the Application render apps prints is the one stored.
	automated := map[string]any{}
	if prune {
		automated["prune"] = true
	}
	if selfHeal {
		automated["selfHeal"] = true
	}
	return map[string]any{
		"automated":   automated,
		"syncOptions": opts,
		"retry": map[string]any{
			"limit":   5,
			"backoff": map[string]any{"duration": "15s", "factor": 2, "maxDuration": "5m"},
		},
	}
}
