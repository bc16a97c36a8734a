package spec

// Database is one database server of the env: a StatefulSet of one replica
// running the official mysql or postgres image, with its own volume, in the
// env's namespace. Deleting the env (its namespace) deletes the data.
type Database struct {
	// Name is the logical name (a DNS-1035 label, at most 40 characters).
	// The StatefulSet and its ClusterIP Service are db-<name>, the headless
	// Service db-<name>-headless, the Secret holding the password db-<name>,
	// the migrations Job db-<name>-migrations; the ConfigMap keys are
	// PRENV_DB_<NAME>_*.
	Name string `json:"name"`
	// Engine is mysql or postgres.
	Engine string `json:"engine" jsonschema:"enum=mysql,enum=postgres"`
	// Version is the tag of the engine's official image, a supported major
	// with an optional minor and patch: mysql 8.4 or 9.7 (8.4.6, 9.7.2);
	// postgres 15 to 18 (17, 17.6). Variants (-alpine, -bookworm) are
	// refused: their user IDs differ from the security context prenv sets.
	Version string `json:"version"`
	// Storage is the size of the data volume, a Kubernetes quantity such as
	// 5Gi.
	Storage string `json:"storage"`
	// StorageClassName is the PersistentVolumeClaim's storage class; the
	// cluster's default class when empty.
	StorageClassName string `json:"storageClassName,omitempty"`
	// Resources of the database container; see [DatabaseResources] for the
	// defaults.
	Resources *DatabaseResources `json:"resources,omitempty"`
	// DatabaseName is the database created at first start: MySQL at most
	// 64 characters, PostgreSQL at most 63, both of letters, digits and _,
	// not starting with a digit.
	DatabaseName string `json:"databaseName"`
	// Seed loads data once, when the database is first created.
	Seed *DatabaseSeed `json:"seed,omitempty"`
	// Migrations runs the app's migrations after the database is ready and
	// before the app's own objects sync.
	Migrations *DatabaseMigrations `json:"migrations,omitempty"`
}

// DatabaseResources are the database container's requests and limits. A
// quantity left out takes its default: requests cpu 100m and memory 256Mi
// (512Mi for mysql), limits memory 1Gi and no cpu limit.
type DatabaseResources struct {
	Requests *ResourceQuantities `json:"requests,omitempty"`
	Limits   *ResourceQuantities `json:"limits,omitempty"`
}

// ResourceQuantities are Kubernetes quantities of cpu (250m, 1) and memory
// (512Mi, 1Gi).
type ResourceQuantities struct {
	// CPU is a quantity of CPU cores ("250m", "1").
	CPU string `json:"cpu,omitempty"`
	// Memory is a quantity of bytes ("512Mi", "1Gi").
	Memory string `json:"memory,omitempty"`
}

// DatabaseSeed is one of: a ConfigMap of SQL files, or an image that writes
// its snapshot's files. Both images run *.sql, *.sql.gz and *.sh files of
// /docker-entrypoint-initdb.d once, when the data directory is empty.
type DatabaseSeed struct {
	// ConfigMap is mounted at /docker-entrypoint-initdb.d. It must be in
	// the env's namespace and sync before the database (sync wave below
	// the database's).
	ConfigMap *LocalObjectName `json:"configMap,omitempty"`
	// Image runs as an init container with an empty
	// /docker-entrypoint-initdb.d, where its own command must write the
	// snapshot's files (for example a dump.sql.gz).
	Image string `json:"image,omitempty"`
}

// LocalObjectName names an object in the env's namespace.
type LocalObjectName struct {
	// Name is the object's name in the env's namespace.
	Name string `json:"name"`
}

// DatabaseMigrations is the Job that migrates the database's schema.
type DatabaseMigrations struct {
	// Image is the migrations' image; {{number}} is replaced by the
	// pull-request number (render env knows no other placeholder).
	Image string `json:"image"`
	// Command replaces the image's entrypoint; the image's own when empty.
	Command []string `json:"command,omitempty"`
	// Args are the command's arguments.
	Args []string `json:"args,omitempty"`
}
