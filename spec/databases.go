package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/placeholders"
)

// Database engines.
const (
	EngineMySQL    = "mysql"
	EnginePostgres = "postgres"
)

// engineVersions are the supported majors of each engine's official image,
// the image directories of docker-library/mysql and docker-library/postgres
// (which drop a major at its end of life):
//   - mysql: 8.4 and 9.7, the LTS series (docker-library/mysql master of
//     2026-08-19: 8.4/, 9.7/ and innovation/; 8.0 reached end of life in
//     April 2026). The innovation series changes every quarter and its
//     old tags stop being updated, so it is not offered.
//   - postgres: 15 to 18 (PostgreSQL versioning policy: 14 ended on
//     2026-11-12; 19 was a beta in docker-library/postgres at the time of
//     writing).
var engineVersions = map[string][]string{
	EngineMySQL:    {"8.4", "9.7"},
	EnginePostgres: {"15", "16", "17", "18"},
}

// engines lists the engines in the order messages name them.
var engines = []string{EngineMySQL, EnginePostgres}

// Database name limits: MySQL Reference Manual, "Schema Object Names"
// (database names at most 64 characters) and PostgreSQL documentation,
// "Identifiers and Key Words" (NAMEDATALEN-1 = 63 bytes). prenv takes the
// characters both accept unquoted: letters, digits and _, not starting with
// a digit ([A-Za-z_][A-Za-z0-9_]*; MySQL also allows $, PostgreSQL folds
// unquoted names to lower case, so prenv takes lower case only).
var databaseNameLimits = map[string]int{EngineMySQL: 64, EnginePostgres: 63}

var databaseNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Default resources of a database container.
var (
	defaultDatabaseRequests = map[string]ResourceQuantities{
		EngineMySQL:    {CPU: "100m", Memory: "512Mi"},
		EnginePostgres: {CPU: "100m", Memory: "256Mi"},
	}
	defaultDatabaseLimits = ResourceQuantities{Memory: "1Gi"}
)

// Names derived from a database's logical name, and why they fit. A
// logical name has at most maxLogicalNameLen (40) characters, so:
//   - the StatefulSet db-<name> has at most 43: the StatefulSet controller
//     labels each pod controller-revision-hash=<statefulset>-<hash of up
//     to 10 characters>, a label value of at most 63, so a StatefulSet name
//     may have at most 52; its pod db-<name>-0 (45) is the pod's hostname,
//     a DNS label, and its volume claim data-db-<name>-0 (50) is a DNS
//     subdomain;
//   - the Services db-<name> (43) and db-<name>-headless (52) are DNS-1035
//     labels of at most 63;
//   - the migrations Job db-<name>-migrations (57) is the value of its
//     pods' job-name label, at most 63.
//
// TestDatabaseNameLimits checks these with apimachinery's validation.
const (
	databasePrefix     = "db-"
	HeadlessSuffix     = "-headless"
	MigrationsSuffix   = "-migrations"
	dataVolumeName     = "data"
	seedVolumeName     = "seed"
	initdbDir          = "/docker-entrypoint-initdb.d"
	maxStatefulSetName = 52
)

// DatabaseObjectName is the StatefulSet, ClusterIP Service and Secret name
// of the database called logical: db-<logical>.
func DatabaseObjectName(logical string) string { return databasePrefix + logical }

// DatabaseSecretsName is the name of the ServiceAccount, Role, RoleBinding
// and Job that write the env's database Secrets: <app>-db-secrets (at most
// 60 characters, the app having at most 50).
func DatabaseSecretsName(app string) string { return app + "-db-secrets" }

// MaxDatabases bounds an env's databases: each is a server with its own
// volume in the env's namespace, and the password Job's Role names every
// Secret; more than this is a mistake, not a preview.
const MaxDatabases = 16

// checkDatabases checks spec.databases.
func checkDatabases(dbs []Database, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(dbs) > MaxDatabases {
		errs = append(errs, field.TooMany(p, len(dbs), MaxDatabases))
	}
	// Logical names are unique lower-case DNS labels, so their keys
	// PRENV_DB_<NAME>_* differ: envKey only upper-cases and turns '-'
	// into '_', which no logical name holds; the suffixes are one word
	// each, so <a>_<suffix> never equals <a-word>_<suffix>
	// (TestDatabaseEnvKeys).
	seen := sets.New[string]()
	for i := range dbs {
		d := &dbs[i]
		dp := p.Index(i)
		nameErrs := checkLogical(d.Name, dp.Child("name"), seen)
		errs = append(errs, nameErrs...)
		if d.Name != "" && len(nameErrs) == 0 {
			for _, msg := range validation.IsDNS1035Label(DatabaseObjectName(d.Name) + HeadlessSuffix) {
				errs = append(errs, field.Invalid(dp.Child("name"), d.Name, "the headless Service name "+msg))
			}
		}
		errs = append(errs, checkEngineVersion(d, dp)...)
		errs = append(errs, checkStorage(d, dp)...)
		errs = append(errs, checkDatabaseResources(d, dp.Child("resources"))...)
		errs = append(errs, checkDatabaseName(d, dp.Child("databaseName"))...)
		if s := d.Seed; s != nil {
			sp := dp.Child("seed")
			switch {
			case s.ConfigMap == nil && s.Image == "":
				errs = append(errs, field.Required(sp, "one of configMap or image"))
			case s.ConfigMap != nil && s.Image != "":
				errs = append(errs, field.Invalid(sp, field.OmitValueType{}, "only one of configMap or image may be given"))
			case s.ConfigMap != nil:
				cp := sp.Child("configMap", "name")
				if s.ConfigMap.Name == "" {
					errs = append(errs, field.Required(cp, "the ConfigMap of SQL files, in the env's namespace"))
					break
				}
				for _, msg := range validation.IsDNS1123Subdomain(s.ConfigMap.Name) {
					errs = append(errs, field.Invalid(cp, s.ConfigMap.Name, msg))
				}
			default:
				errs = append(errs, checkImage(s.Image, sp.Child("image"), false)...)
			}
		}
		if mg := d.Migrations; mg != nil {
			mp := dp.Child("migrations")
			errs = append(errs, checkImage(mg.Image, mp.Child("image"), true)...)
			for j, c := range mg.Command {
				if c == "" {
					errs = append(errs, field.Required(mp.Child("command").Index(j), "an empty word runs nothing"))
				}
			}
		}
	}
	return errs
}

// checkDatabaseNamesInEnv refuses names that would give two of prenv's own
// objects one name, or deadlock the sync: a database named like another's
// headless Service (<a>-headless), the app's ServiceAccount named like the
// password writer's, and a seed ConfigMap that is prenv's own env
// ConfigMap (created in a later wave than the database that mounts it).
func checkDatabaseNamesInEnv(env *PreviewEnvironment) field.ErrorList {
	dbs := env.Spec.Databases
	if len(dbs) == 0 {
		return nil
	}
	var errs field.ErrorList
	p := field.NewPath("spec", "databases")
	names := sets.New[string]()
	for _, d := range dbs {
		names.Insert(d.Name)
	}
	app := env.Metadata.Name
	for i, d := range dbs {
		if base, ok := strings.CutSuffix(d.Name, HeadlessSuffix); ok && names.Has(base) {
			errs = append(errs, field.Invalid(p.Index(i).Child("name"), d.Name, fmt.Sprintf(
				"its Service %s would be database %q's headless Service; choose another name", DatabaseObjectName(d.Name), base)))
		}
		if s := d.Seed; s != nil && s.ConfigMap != nil && s.ConfigMap.Name == app+"-prenv" {
			errs = append(errs, field.Invalid(p.Index(i).Child("seed", "configMap", "name"), s.ConfigMap.Name,
				"is prenv's own ConfigMap of the env, which syncs after the databases; name a ConfigMap of SQL files"))
		}
	}
	if n := env.Spec.NetworkPolicy; n != nil && Enabled(n.Enabled) && n.Egress != nil && len(n.Egress) == 0 {
		errs = append(errs, field.Invalid(field.NewPath("spec", "networkPolicy", "egress"), "[]",
			"allows no egress, so the databases' password Job cannot reach the Kubernetes API server (TCP 443) to create their Secrets; allow the API server's addresses on 443"))
	}
	if sa := env.Spec.ServiceAccount; sa != nil && sa.Name == DatabaseSecretsName(app) {
		errs = append(errs, field.Invalid(field.NewPath("spec", "serviceAccount", "name"), sa.Name,
			"is the ServiceAccount of prenv's database password Job; choose another name"))
	}
	return errs
}

// versionRE is a version tag without a variant: a major ("17"), a series
// ("8.4"), or one with more numbers ("8.4.6", "17.6").
var versionRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+){0,2}$`)

func checkEngineVersion(d *Database, p *field.Path) field.ErrorList {
	supported, ok := engineVersions[d.Engine]
	if !ok {
		return field.ErrorList{field.NotSupported(p.Child("engine"), d.Engine, engines)}
	}
	vp := p.Child("version")
	switch {
	case d.Version == "":
		return field.ErrorList{field.Required(vp, fmt.Sprintf("a tag of the official %s image: %s", d.Engine, strings.Join(supported, ", ")))}
	case !versionRE.MatchString(d.Version):
		return field.ErrorList{field.Invalid(vp, d.Version, fmt.Sprintf("must be a version tag of the official %s image without a variant, such as %s or %s.1: variants run as other users", d.Engine, supported[len(supported)-1], supported[len(supported)-1]))}
	case engineSeries(d.Engine, d.Version) == "":
		return field.ErrorList{field.NotSupported(vp, d.Version, supported)}
	}
	return nil
}

// engineSeries returns the supported series version belongs to, or "".
func engineSeries(engine, version string) string {
	for _, s := range engineVersions[engine] {
		if version == s || strings.HasPrefix(version, s+".") {
			return s
		}
	}
	return ""
}

func checkStorage(d *Database, p *field.Path) field.ErrorList {
	sp := p.Child("storage")
	var errs field.ErrorList
	if d.Storage == "" {
		errs = append(errs, field.Required(sp, "the size of the data volume, such as 5Gi"))
	} else if q, err := resource.ParseQuantity(d.Storage); err != nil {
		errs = append(errs, field.Invalid(sp, d.Storage, "must be a Kubernetes quantity such as 5Gi: "+err.Error()))
	} else if q.Sign() <= 0 {
		errs = append(errs, field.Invalid(sp, d.Storage, "must be greater than zero"))
	}
	if c := d.StorageClassName; c != "" {
		for _, msg := range validation.IsDNS1123Subdomain(c) {
			errs = append(errs, field.Invalid(p.Child("storageClassName"), c, msg))
		}
	}
	return errs
}

func checkDatabaseResources(d *Database, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	var req, lim ResourceQuantities
	if r := d.Resources; r != nil {
		if r.Requests != nil {
			req = *r.Requests
		}
		if r.Limits != nil {
			lim = *r.Limits
		}
	}
	eff := EffectiveResources(d)
	// quantity parses the spec's value (reporting a problem) or, when the
	// spec leaves it out, the default.
	quantity := func(fp *field.Path, v, def string) (resource.Quantity, bool) {
		if v == "" {
			q, err := resource.ParseQuantity(def)
			return q, def != "" && err == nil
		}
		q, err := resource.ParseQuantity(v)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(fp, v, "must be a Kubernetes quantity such as 250m or 512Mi: "+err.Error()))
			return q, false
		case q.Sign() <= 0:
			errs = append(errs, field.Invalid(fp, v, "must be greater than zero"))
			return q, false
		}
		return q, true
	}
	rc, rcOK := quantity(p.Child("requests", "cpu"), req.CPU, eff.Requests["cpu"])
	rm, rmOK := quantity(p.Child("requests", "memory"), req.Memory, eff.Requests["memory"])
	lc, lcOK := quantity(p.Child("limits", "cpu"), lim.CPU, eff.Limits["cpu"])
	lm, lmOK := quantity(p.Child("limits", "memory"), lim.Memory, eff.Limits["memory"])
	// A request above its limit is refused by the API server, defaults
	// included.
	if rcOK && lcOK && rc.Cmp(lc) > 0 {
		errs = append(errs, field.Invalid(p.Child("requests", "cpu"), rc.String(), "must be less than or equal to the cpu limit "+lc.String()))
	}
	if rmOK && lmOK && rm.Cmp(lm) > 0 {
		errs = append(errs, field.Invalid(p.Child("requests", "memory"), rm.String(), "must be less than or equal to the memory limit "+lm.String()))
	}
	return errs
}

func checkDatabaseName(d *Database, p *field.Path) field.ErrorList {
	n := d.DatabaseName
	limit, ok := databaseNameLimits[d.Engine]
	switch {
	case n == "":
		return field.ErrorList{field.Required(p, "the database created at first start")}
	case ok && len(n) > limit:
		return field.ErrorList{field.TooLong(p, n, limit)}
	case !databaseNameRE.MatchString(n):
		return field.ErrorList{field.Invalid(p, n, "must be lower-case letters, digits and '_', not starting with a digit (regex "+databaseNameRE.String()+"), a name both engines take unquoted")}
	}
	return nil
}

// checkImage checks an image reference with the distribution project's
// grammar (github.com/distribution/reference, what Docker and containerd
// parse), as the kubelet pulls it: a name with an optional tag or digest.
// With numbered, {{number}} may stand for the pull-request number.
func checkImage(image string, p *field.Path, numbered bool) field.ErrorList {
	if image == "" {
		return field.ErrorList{field.Required(p, "an image reference such as registry.example/app:1.2")}
	}
	ref := image
	if numbered {
		for _, name := range placeholders.Names(image) {
			if name != "number" {
				return field.ErrorList{field.Invalid(p, image, fmt.Sprintf("the placeholder {{%s}} is unknown: render env knows the pull-request number only, {{number}}; set other values with --set", name))}
			}
		}
		// The longest PR number, so that a tag within its 128
		// characters for PR 1 cannot outgrow them for PR 2147483647.
		ref = placeholders.Fill(image, strconv.Itoa(MaxPR))
	}
	if strings.Contains(ref, "{{") || strings.Contains(ref, "}}") {
		if !numbered {
			return field.ErrorList{field.Invalid(p, image, "takes no placeholder: the seed is the same for every pull request")}
		}
		return field.ErrorList{field.Invalid(p, image, "only the placeholder {{number}} may appear between {{ and }}")}
	}
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return field.ErrorList{field.Invalid(p, image, "must be an image reference, [registry/]name[:tag][@digest]: "+err.Error())}
	}
	return nil
}

// ContainerResources is a container's requests and limits.
type ContainerResources struct {
	Requests map[string]string `json:"requests"`
	Limits   map[string]string `json:"limits"`
}

// EffectiveResources fills in the defaults.
func EffectiveResources(d *Database) ContainerResources {
	if d == nil {
		d = &Database{}
	}
	req := defaultDatabaseRequests[d.Engine]
	lim := defaultDatabaseLimits
	if r := d.Resources; r != nil {
		if r.Requests != nil {
			req.CPU = cmpOr(r.Requests.CPU, req.CPU)
			req.Memory = cmpOr(r.Requests.Memory, req.Memory)
		}
		if r.Limits != nil {
			lim.CPU = cmpOr(r.Limits.CPU, lim.CPU)
			lim.Memory = cmpOr(r.Limits.Memory, lim.Memory)
		}
	}
	out := ContainerResources{Requests: map[string]string{}, Limits: map[string]string{}}
	put := func(m map[string]string, k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put(out.Requests, "cpu", req.CPU)
	put(out.Requests, "memory", req.Memory)
	put(out.Limits, "cpu", lim.CPU)
	put(out.Limits, "memory", lim.Memory)
	return out
}

func cmpOr(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
