package plan

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"prenv.dev/prenv/internal/placeholders"
	"prenv.dev/prenv/spec"
)

// Sync waves of the databases: the Secret writer's access (ServiceAccount,
// Role, RoleBinding) after the Namespace, the Job that writes the
// passwords, then the databases (Argo CD waits until each StatefulSet is
// ready), then the migrations Jobs (Argo CD waits until they complete),
// and only then the app (wave 0). The migrations get their connection
// settings as environment variables, not from the ConfigMap, so they do not
// depend on wave [WaveConfigMap].
const (
	WaveDatabaseSecretsAccess = -4
	WaveDatabaseSecrets       = -3
	WaveDatabase              = -2
	WaveMigrations            = -1
)

// Argo CD resource hook annotations (Argo CD docs, "Resource Hooks"): a
// Sync hook runs in the sync phase, in its wave, and Argo CD waits for it to
// complete; BeforeHookCreation deletes the previous run's Job when the next
// sync creates it again.
const (
	AnnotationHook             = "argocd.argoproj.io/hook"
	AnnotationHookDeletePolicy = "argocd.argoproj.io/hook-delete-policy"
	HookSync                   = "Sync"
	HookBeforeHookCreation     = "BeforeHookCreation"
)

// LabelDatabase selects a database's pods.
const LabelDatabase = "prenv.dev/database"

// DatabaseUser is the user the app connects as; the Secret's "password"
// key holds its password ("root-password" MySQL's root password).
const DatabaseUser = "app"

// Secret keys the password Job writes.
const (
	SecretKeyPassword     = "password"
	SecretKeyRootPassword = "root-password"
)

// DatabaseSecretsImage runs the Job that creates each database's Secret
// with random passwords when it is absent: the official python image
// (Docker Hub "python"), whose standard library has a TLS HTTP client and a
// cryptographic random source, so the Job needs no shell and no kubectl.
// The final checks keep its Job exactly as rendered (the image included):
// mirror it in the cluster's registry configuration.
const DatabaseSecretsImage = "python:3.14-slim"

// databaseUID is the user and group ID of the official images: mysql and
// postgres (Debian variants) both create their user with uid/gid 999
// (docker-library/mysql 9.7/Dockerfile.oracle "useradd --system --uid 999";
// docker-library/postgres 18/trixie/Dockerfile "useradd -r -g postgres
// --uid=999"). The Alpine variants of postgres use 70, which is why
// versions with a variant suffix are refused.
const databaseUID = 999

// nobodyUID runs the password Job (the python image needs no user of its
// own) and the migrations Jobs.
const nobodyUID = 65534

// enginePorts are the engines' standard ports.
var enginePorts = map[string]int{spec.EngineMySQL: 3306, spec.EnginePostgres: 5432}

// DatabaseModel is one database of the env, as the templates render it.
type DatabaseModel struct {
	Logical string `json:"logical"`
	Engine  string `json:"engine"`
	Version string `json:"version"`
	Image   string `json:"image"`
	// StatefulSet is also the ClusterIP Service's and the Secret's name.
	StatefulSet     string            `json:"statefulSet"`
	HeadlessService string            `json:"headlessService"`
	Secret          string            `json:"secret"`
	Port            int               `json:"port"`
	PortName        string            `json:"portName"`
	Host            string            `json:"host"`
	DatabaseName    string            `json:"databaseName"`
	User            string            `json:"user"`
	URL             string            `json:"url"`
	SelectorLabels  map[string]string `json:"selectorLabels"`
	PodLabels       map[string]string `json:"podLabels"`
	// ClaimLabels label the data volume's claim: prenv's labels of the env
	// and the database's, never spec.labels, because a StatefulSet's
	// volumeClaimTemplates cannot change once it exists.
	ClaimLabels   map[string]string `json:"claimLabels"`
	Args          []string          `json:"args"`
	Env           []EnvVarModel     `json:"env"`
	DataMountPath string            `json:"dataMountPath"`
	// Probe is the command of the startup, readiness and liveness probes.
	Probe            []string                `json:"probe"`
	Storage          string                  `json:"storage"`
	StorageClassName string                  `json:"storageClassName"`
	Resources        spec.ContainerResources `json:"resources"`
	// SeedResources are the seed image's init container's.
	SeedResources spec.ContainerResources `json:"seedResources"`
	SeedConfigMap string                  `json:"seedConfigMap"`
	SeedImage     string                  `json:"seedImage"`
	Migrations    *MigrationsModel        `json:"migrations"`
	UID           int                     `json:"uid"`
	ConnectionEnv []EnvVarModel           `json:"connectionEnv"`
}

// EnvVarModel is a container environment variable: a value, or a key of
// the database's Secret.
type EnvVarModel struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	SecretKey string `json:"secretKey"`
}

// MigrationsModel is a database's migrations Job.
type MigrationsModel struct {
	Job   string `json:"job"`
	Image string `json:"image"`
	// PasswordEnv is the variable that holds the password,
	// PRENV_DB_<NAME>_PASSWORD, from the Secret.
	PasswordEnv string   `json:"passwordEnv"`
	Command     []string `json:"command"`
	Args        []string `json:"args"`
	// Resources are the Job's container's requests and limits.
	Resources spec.ContainerResources `json:"resources"`
	// UID runs the Job as a user that is not root, as Pod Security
	// restricted wants ([nobodyUID]: the image's own user may be a name,
	// which the kubelet cannot check against runAsNonRoot). The image's
	// files must be readable by any user.
	UID int `json:"uid"`
}

// DatabaseSecretsModel is the Job, with its ServiceAccount, Role and
// RoleBinding, that creates each database's Secret when it is absent.
type DatabaseSecretsModel struct {
	Name    string   `json:"name"`
	Image   string   `json:"image"`
	Script  string   `json:"script"`
	Secrets []string `json:"secrets"`
	// SecretLabels are the labels of the Secrets it creates, as JSON.
	SecretLabels string `json:"secretLabels"`
	UID          int    `json:"uid"`
	// Resources are the Job's container's requests and limits.
	Resources spec.ContainerResources `json:"resources"`
	// PodLabels are the Job's pod's own labels beyond the env's:
	// [LabelKubeAPIClient], which NetworkPolicyKubeAPI selects.
	PodLabels map[string]string `json:"podLabels"`
}

// planDatabases adds the env's databases to m and their keys to the
// ConfigMap's data.
func planDatabases(m *Model, dbs []spec.Database, data map[string]string) {
	m.Databases = []DatabaseModel{}
	if len(dbs) == 0 {
		return
	}
	secrets := make([]string, 0, len(dbs))
	for i := range dbs {
		dm := planDatabase(m, &dbs[i])
		m.Databases = append(m.Databases, dm)
		secrets = append(secrets, dm.Secret)
		for _, e := range dm.ConnectionEnv {
			data[e.Name] = e.Value
		}
		data["PRENV_DB_"+envKey(dm.Logical)+"_SECRET"] = dm.Secret
	}
	// The Secrets carry prenv's own labels only: spec.labels could hold
	// Argo CD's tracking label, which would make Argo CD prune them.
	labels, _ := json.Marshal(map[string]string{spec.LabelManagedBy: spec.ManagedByValue, spec.LabelApp: m.App, spec.LabelPR: strconv.Itoa(m.PR), spec.LabelEnv: m.EnvName})
	m.DatabaseSecrets = &DatabaseSecretsModel{
		Name:         spec.DatabaseSecretsName(m.App),
		Image:        DatabaseSecretsImage,
		Script:       secretScript,
		Secrets:      secrets,
		SecretLabels: string(labels),
		UID:          nobodyUID,
		PodLabels:    map[string]string{LabelKubeAPIClient: "true"},
	}
	m.Waves["databaseSecretsAccess"] = wave(WaveDatabaseSecretsAccess)
	m.Waves["databaseSecrets"] = wave(WaveDatabaseSecrets)
	m.Waves["database"] = wave(WaveDatabase)
	m.Waves["migrations"] = wave(WaveMigrations)
}

func planDatabase(m *Model, d *spec.Database) DatabaseModel {
	name := spec.DatabaseObjectName(d.Name)
	port := enginePorts[d.Engine]
	host := name + "." + m.Namespace + ".svc"
	dm := DatabaseModel{
		Logical:          d.Name,
		Engine:           d.Engine,
		Version:          d.Version,
		Image:            d.Engine + ":" + d.Version,
		StatefulSet:      name,
		HeadlessService:  name + spec.HeadlessSuffix,
		Secret:           name,
		Port:             port,
		PortName:         d.Engine,
		Host:             host,
		DatabaseName:     d.DatabaseName,
		User:             DatabaseUser,
		SelectorLabels:   map[string]string{spec.LabelEnv: m.EnvName, LabelDatabase: d.Name},
		PodLabels:        map[string]string{},
		Args:             []string{},
		Storage:          canonicalQuantity(d.Storage),
		StorageClassName: d.StorageClassName,
		Resources:        spec.EffectiveResources(d),
		UID:              databaseUID,
	}
	for k, v := range m.Labels {
		dm.PodLabels[k] = v
	}
	dm.PodLabels[LabelDatabase] = d.Name
	dm.ClaimLabels = map[string]string{spec.LabelManagedBy: spec.ManagedByValue, spec.LabelApp: m.App, spec.LabelPR: strconv.Itoa(m.PR), spec.LabelEnv: m.EnvName, LabelDatabase: d.Name}
	scheme := "mysql"
	switch d.Engine {
	case spec.EngineMySQL:
		// The data directory is a folder of the volume: the volume's root
		// may hold lost+found, and mysqld --initialize refuses a data
		// directory that is not empty (MySQL Reference Manual,
		// "Initializing the Data Directory"). The entrypoint passes the
		// arguments to mysqld and creates the folder.
		dm.DataMountPath = "/var/lib/mysql"
		dm.Args = []string{"mysqld", "--datadir=/var/lib/mysql/data"}
		dm.Env = []EnvVarModel{
			{Name: "MYSQL_DATABASE", Value: d.DatabaseName},
			{Name: "MYSQL_USER", Value: DatabaseUser},
			{Name: "MYSQL_PASSWORD", SecretKey: SecretKeyPassword},
			{Name: "MYSQL_ROOT_PASSWORD", SecretKey: SecretKeyRootPassword},
		}
		// mysqladmin ping exits 0 when the server answers, even with
		// "Access denied" (MySQL Reference Manual, "mysqladmin"); over
		// TCP it fails while the entrypoint's first-start server runs
		// with networking off.
		dm.Probe = []string{"mysqladmin", "ping", "--host=127.0.0.1", "--port=" + strconv.Itoa(port), "--silent"}
	case spec.EnginePostgres:
		// PGDATA in a folder of the volume, as postgres 18+ lays it out
		// (/var/lib/postgresql/<major>/docker, docker-library/postgres
		// 18 Dockerfile), for every major: the volume's root may hold
		// lost+found, which initdb refuses.
		scheme = "postgresql"
		major, _, _ := strings.Cut(d.Version, ".")
		dm.DataMountPath = "/var/lib/postgresql"
		dm.Env = []EnvVarModel{
			{Name: "POSTGRES_DB", Value: d.DatabaseName},
			{Name: "POSTGRES_USER", Value: DatabaseUser},
			{Name: "POSTGRES_PASSWORD", SecretKey: SecretKeyPassword},
			{Name: "PGDATA", Value: "/var/lib/postgresql/" + major + "/docker"},
		}
		// pg_isready over TCP fails while the entrypoint's first-start
		// server listens on its socket only.
		dm.Probe = []string{"pg_isready", "--host=127.0.0.1", "--port=" + strconv.Itoa(port), "--username=" + DatabaseUser, "--dbname=" + d.DatabaseName}
	}
	dm.URL = scheme + "://" + DatabaseUser + "@" + host + ":" + strconv.Itoa(port) + "/" + d.DatabaseName
	k := "PRENV_DB_" + envKey(d.Name)
	dm.ConnectionEnv = []EnvVarModel{
		{Name: k + "_ENGINE", Value: d.Engine},
		{Name: k + "_HOST", Value: host},
		{Name: k + "_NAME", Value: d.DatabaseName},
		{Name: k + "_PORT", Value: strconv.Itoa(port)},
		{Name: k + "_URL", Value: dm.URL},
		{Name: k + "_USER", Value: DatabaseUser},
	}
	if s := d.Seed; s != nil {
		if s.ConfigMap != nil {
			dm.SeedConfigMap = s.ConfigMap.Name
		}
		dm.SeedImage = s.Image
	}
	if mg := d.Migrations; mg != nil {
		dm.Migrations = &MigrationsModel{
			Job:         name + spec.MigrationsSuffix,
			PasswordEnv: k + "_PASSWORD",
			Image:       placeholders.Fill(mg.Image, strconv.Itoa(m.PR)),
			Command:     slices.Clone(mg.Command),
			Args:        slices.Clone(mg.Args),
			UID:         nobodyUID,
		}
		if dm.Migrations.Command == nil {
			dm.Migrations.Command = []string{}
		}
		if dm.Migrations.Args == nil {
			dm.Migrations.Args = []string{}
		}
	}
	return dm
}

// databaseKinds are the kinds the env's databases add to [EnvKinds].
var databaseKinds = []spec.GroupKind{
	{Group: "apps", Kind: "StatefulSet"},
	{Group: "", Kind: "Service"},
	{Group: "batch", Kind: "Job"},
	{Group: "rbac.authorization.k8s.io", Kind: "Role"},
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"},
}

// secretScript is the password Job's program, run by python3 -c with the
// Secrets' names as arguments. For each, it reads the Secret through the
// API server with the Job's ServiceAccount token; when the Secret is
// absent (404) it creates it with random passwords (Python's secrets
// module, 32 bytes each) for the keys password and root-password, with no
// owner, so that Argo CD never prunes it and only the namespace's deletion
// deletes it. An existing Secret is never changed, so a second sync keeps
// the passwords; 409 (created meanwhile) counts as done. The passwords
// exist only in the cluster: the rendered output never holds one.
const secretScript = `import base64, json, os, secrets, ssl, sys, urllib.error, urllib.request
sa = "/var/run/secrets/kubernetes.io/serviceaccount/"
host = os.environ["KUBERNETES_SERVICE_HOST"]
if ":" in host:
    host = "[" + host + "]"
with open(sa + "namespace") as f:
    ns = f.read().strip()
with open(sa + "token") as f:
    token = f.read().strip()
tls = ssl.create_default_context(cafile=sa + "ca.crt")
base = "https://" + host + ":" + os.environ["KUBERNETES_SERVICE_PORT"] + "/api/v1/namespaces/" + ns + "/secrets"
def call(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method, headers={"Authorization": "Bearer " + token, "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, context=tls, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
labels = json.loads(os.environ["PRENV_SECRET_LABELS"])
for name in sys.argv[1:]:
    status = call("GET", base + "/" + name)
    if status == 200:
        print(name + ": exists, unchanged")
        continue
    if status != 404:
        sys.exit(name + ": reading the Secret returned HTTP " + str(status))
    data = {k: base64.b64encode(secrets.token_urlsafe(32).encode()).decode() for k in ("password", "root-password")}
    body = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "labels": labels}, "type": "Opaque", "data": data}).encode()
    status = call("POST", base, body)
    if status == 409:
        print(name + ": created meanwhile, unchanged")
    elif status == 201:
        print(name + ": created")
    else:
        sys.exit(name + ": creating the Secret returned HTTP " + str(status))
`

// canonicalQuantity writes a quantity as the API server stores it (0.5Gi is
// 512Mi), so that Argo CD sees no difference; v is checked before.
func canonicalQuantity(v string) string {
	q, err := resource.ParseQuantity(v)
	if err != nil {
		return v
	}
	return q.String()
}
