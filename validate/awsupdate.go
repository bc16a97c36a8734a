package validate

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The ACK kinds whose updates are checked against AWS's rules. The field
// names are those of the upstream CRDs (dynamodb-controller v1.9.2,
// sqs-controller v1.6.1, iam-controller v1.8.1).
var (
	tableKind  = schema.GroupKind{Group: "dynamodb.services.k8s.aws", Kind: "Table"}
	queueKind  = schema.GroupKind{Group: "sqs.services.k8s.aws", Kind: "Queue"}
	roleKind   = schema.GroupKind{Group: "iam.services.k8s.aws", Kind: "Role"}
	policyKind = schema.GroupKind{Group: "iam.services.k8s.aws", Kind: "Policy"}
)

// awsUpdateErrors checks the update of an ACK object from old to obj (both
// as the API server holds them after decoding and defaulting) against the
// rules of the AWS service behind it: changes that AWS refuses, that the ACK
// controller cannot apply, or that replace the AWS resource instead of
// updating it. Each error is a field.Forbidden at the new object's field,
// saying the rule and the way out. An error at a path where the CRD's own
// rules (reported) already refused the update is left out, so that an
// immutable field is reported once.
//
// What cannot be seen in two renders is not checked: the time since the
// last change (DynamoDB's one-hour lock after a time-to-live change, the
// four switches to on-demand billing per 24 hours) and what happened in
// AWS outside the manifests.
func awsUpdateErrors(gk schema.GroupKind, obj, old map[string]interface{}, reported field.ErrorList) field.ErrorList {
	spec, oldSpec := mapAt(obj, "spec"), mapAt(old, "spec")
	if spec == nil || oldSpec == nil {
		return nil
	}
	p := field.NewPath("spec")
	var errs field.ErrorList
	switch gk {
	case tableKind:
		errs = tableUpdateErrors(p, spec, oldSpec)
	case queueKind:
		errs = queueUpdateErrors(p, spec, oldSpec)
	case roleKind:
		errs = append(roleUpdateErrors(p, spec, oldSpec), identitySwitchErrors(p, spec, oldSpec)...)
	case podIdentityKind:
		errs = podIdentityUpdateErrors(p, spec, oldSpec)
	case policyKind:
		errs = policyUpdateErrors(p, spec, oldSpec)
	default:
		return nil
	}
	done := make(map[string]bool, len(reported))
	for _, e := range reported {
		done[e.Field] = true
	}
	out := errs[:0]
	for _, e := range errs {
		if !done[e.Field] {
			out = append(out, e)
		}
	}
	return out
}

// replaceTable is the way out for a change that needs a new table.
const replaceTable = "to change it, add a new Table (new object name and tableName), copy the data, and remove this one in a later PR"

// tableUpdateErrors checks a DynamoDB Table update. Sources: the DynamoDB
// API reference (UpdateTable, UpdateTimeToLive), the DynamoDB Developer
// Guide ("Considerations when switching capacity modes"), and the ACK
// dynamodb-controller's update code (pkg/resource/table/hooks.go,
// hooks_global_secondary_indexes.go, hooks_ttl.go).
func tableUpdateErrors(p *field.Path, spec, old map[string]interface{}) field.ErrorList {
	var errs field.ErrorList

	// ACK finds a table by spec.tableName (DescribeTable); under a new name
	// it finds none and creates it, and the old table is left in AWS.
	if o, n := str(old, "tableName"), str(spec, "tableName"); o != "" && n != "" && o != n {
		errs = append(errs, field.Forbidden(p.Child("tableName"), fmt.Sprintf(
			"a DynamoDB table cannot be renamed: the ACK controller looks the table up by tableName, so it creates a new, empty table %q and leaves %q with its data in AWS, no longer managed; keep tableName %q, or add a new Table (new object name), copy the data, and remove this one in a later PR", n, o, o)))
	}

	// The key schema and the types of key attributes are fixed at creation.
	oldKeys, newKeys := keySchemaOf(list(old, "keySchema")), keySchemaOf(list(spec, "keySchema"))
	if len(oldKeys.byName) > 0 && len(newKeys.byName) > 0 && !oldKeys.equal(newKeys) {
		errs = append(errs, field.Forbidden(p.Child("keySchema"), fmt.Sprintf(
			"DynamoDB fixes a table's key schema at creation (%s before, %s now); %s", oldKeys, newKeys, replaceTable)))
	}

	oldGSIs, newGSIs := indexesOf(list(old, "globalSecondaryIndexes")), indexesOf(list(spec, "globalSecondaryIndexes"))
	oldLSIs, newLSIs := indexesOf(list(old, "localSecondaryIndexes")), indexesOf(list(spec, "localSecondaryIndexes"))
	errs = append(errs, keyAttributeTypeErrors(p, spec, old, oldKeys, oldLSIs, oldGSIs, newGSIs)...)

	// Local secondary indexes can only be created with the table
	// (CreateTable); UpdateTable has no way to add, drop or change one.
	if d := diffIndexes(oldLSIs, newLSIs); !d.empty() {
		errs = append(errs, field.Forbidden(p.Child("localSecondaryIndexes"), fmt.Sprintf(
			"DynamoDB fixes a table's local secondary indexes at creation (%s); %s", d, replaceTable)))
	}

	// UpdateTable creates or deletes one global secondary index per call
	// (API reference: "You can create or delete only one global secondary
	// index per UpdateTable operation"), and changes only the throughput of
	// an existing one. The ACK controller sends several changes one call at
	// a time, but each call carries the new object's whole
	// attributeDefinitions, keys of indexes not created yet included, which
	// DynamoDB refuses when they are unused ("Some AttributeDefinitions are
	// not used"); one creation or deletion per update is the safe path.
	d := diffIndexes(oldGSIs, newGSIs)
	if n := len(d.added) + len(d.removed); n > 1 {
		errs = append(errs, field.Forbidden(p.Child("globalSecondaryIndexes"), fmt.Sprintf(
			"DynamoDB creates or deletes one global secondary index per UpdateTable, and this update makes %d such changes (%s); create or delete one index per PR", n, d)))
	}
	for _, name := range d.changed {
		o, n := oldGSIs.byName[name], newGSIs.byName[name]
		ip := p.Child("globalSecondaryIndexes").Index(n.pos)
		wayOut := fmt.Sprintf("create the new index under a new name in one PR, delete %q in the next", name)
		if !o.keys.equal(n.keys) {
			errs = append(errs, field.Forbidden(ip.Child("keySchema"), fmt.Sprintf(
				"DynamoDB cannot change the key schema of global secondary index %q (%s before, %s now): UpdateTable changes only an index's throughput; %s", name, o.keys, n.keys, wayOut)))
		}
		if o.projection != n.projection {
			errs = append(errs, field.Forbidden(ip.Child("projection"), fmt.Sprintf(
				"DynamoDB cannot change the projection of global secondary index %q (%s before, %s now): UpdateTable changes only an index's throughput; %s", name, o.projection, n.projection, wayOut)))
		}
	}

	errs = append(errs, streamUpdateErrors(p.Child("streamSpecification"), mapAt(spec, "streamSpecification"), mapAt(old, "streamSpecification"))...)

	// An enabled time to live cannot move to another attribute: it must be
	// disabled first, and each UpdateTimeToLive locks the setting for up to
	// an hour (UpdateTimeToLive; CloudFormation's TimeToLiveSpecification:
	// "you must first disable TTL and then enable TTL with the new
	// attribute name"). Disabling and enabling again within the hour is not
	// visible in two renders.
	oldTTL, newTTL := mapAt(old, "timeToLive"), mapAt(spec, "timeToLive")
	if boolean(oldTTL, "enabled") && boolean(newTTL, "enabled") {
		if o, n := str(oldTTL, "attributeName"), str(newTTL, "attributeName"); o != "" && n != "" && o != n {
			errs = append(errs, field.Forbidden(p.Child("timeToLive", "attributeName"), fmt.Sprintf(
				"time to live is enabled on attribute %q and DynamoDB does not move an enabled time to live to another attribute (UpdateTimeToLive is refused; each change also locks the setting for up to an hour); disable time to live in one PR (enabled: false, or no timeToLive), enable it on %q in a later PR at least an hour after", o, n)))
		}
	}

	// Billing mode. AWS allows switching from provisioned to on-demand up to
	// four times in a 24-hour rolling window, and from on-demand to
	// provisioned at any time (DynamoDB Developer Guide, "Considerations when
	// switching capacity modes in DynamoDB"): one update holds at most one
	// switch, so the count is not visible offline. What is visible: a switch
	// to PROVISIONED of a table with global secondary indexes needs each
	// index's throughput in the same UpdateTable ("ProvisionedThroughput
	// must be specified for index"), and the ACK controller sends only the
	// table's (newUpdateTablePayload), so DynamoDB refuses the switch. A
	// missing billingMode is PROVISIONED (CreateTable's default; ACK
	// compares it so).
	if billingMode(old) == "PAY_PER_REQUEST" && billingMode(spec) == "PROVISIONED" && len(oldGSIs.order) > 0 {
		errs = append(errs, field.Forbidden(p.Child("billingMode"), fmt.Sprintf(
			"switching from PAY_PER_REQUEST to PROVISIONED needs the provisioned throughput of every global secondary index (%s) in the same UpdateTable, which the ACK controller does not send, so DynamoDB refuses the switch; delete the indexes (one per PR), switch, and create them again (one per PR), or %s",
			strings.Join(quoteAll(oldGSIs.order), ", "), strings.TrimPrefix(replaceTable, "to change it, "))))
	}
	return errs
}

// streamUpdateErrors checks a table's streamSpecification. DynamoDB refuses
// to change the view type of an enabled stream (UpdateTable: "Table already
// has an enabled stream"); it must be disabled and enabled again. The ACK
// controller sends a stream change only from streamSpecification
// (newUpdateTablePayload), so leaving it out does not disable a stream.
func streamUpdateErrors(p *field.Path, spec, old map[string]interface{}) field.ErrorList {
	if !boolean(old, "streamEnabled") {
		return nil
	}
	oldView := str(old, "streamViewType")
	if spec == nil {
		return field.ErrorList{field.Forbidden(p, fmt.Sprintf(
			"the stream is enabled (%s) and leaving streamSpecification out does not disable it: the ACK controller sends a stream change only from streamSpecification; set streamSpecification.streamEnabled: false to disable the stream", oldView))}
	}
	newView := str(spec, "streamViewType")
	if !boolean(spec, "streamEnabled") || oldView == "" || newView == "" || oldView == newView {
		return nil
	}
	return field.ErrorList{field.Forbidden(p.Child("streamViewType"), fmt.Sprintf(
		"DynamoDB cannot change the view type of an enabled stream (%s to %s; UpdateTable: \"Table already has an enabled stream\"); disable the stream in one PR (streamEnabled: false), enable the new view in the next", oldView, newView))}
}

// keyAttributeTypeErrors reports a changed attributeType of an attribute
// that is a key of the table, of a local secondary index, or of a global
// secondary index kept by the update: DynamoDB fixes it with the key.
func keyAttributeTypeErrors(p *field.Path, spec, old map[string]interface{}, tableKeys keySchema, oldLSIs, oldGSIs, newGSIs indexSet) field.ErrorList {
	// usedBy says what makes each key attribute fixed; the table (or an
	// LSI, which lives and dies with it) wins over a GSI, whose key can go
	// with the index.
	type use struct{ what, gsi string }
	usedBy := map[string]use{}
	for name := range tableKeys.byName {
		usedBy[name] = use{what: "the table"}
	}
	for _, ix := range oldLSIs.order {
		for name := range oldLSIs.byName[ix].keys.byName {
			if _, ok := usedBy[name]; !ok {
				usedBy[name] = use{what: fmt.Sprintf("local secondary index %q", ix)}
			}
		}
	}
	for _, ix := range oldGSIs.order {
		if _, kept := newGSIs.byName[ix]; !kept {
			continue
		}
		for name := range oldGSIs.byName[ix].keys.byName {
			if _, ok := usedBy[name]; !ok {
				usedBy[name] = use{what: fmt.Sprintf("global secondary index %q", ix), gsi: ix}
			}
		}
	}
	oldTypes := map[string]string{}
	for _, a := range list(old, "attributeDefinitions") {
		m, _ := a.(map[string]interface{})
		if n, t := str(m, "attributeName"), str(m, "attributeType"); n != "" && t != "" {
			oldTypes[n] = t
		}
	}
	var errs field.ErrorList
	for i, a := range list(spec, "attributeDefinitions") {
		m, _ := a.(map[string]interface{})
		name, typ := str(m, "attributeName"), str(m, "attributeType")
		by, isKey := usedBy[name]
		if !isKey || typ == "" || oldTypes[name] == "" || oldTypes[name] == typ {
			continue
		}
		wayOut := replaceTable
		if by.gsi != "" {
			wayOut = fmt.Sprintf("delete index %q in one PR, create it with the new type in the next", by.gsi)
		}
		errs = append(errs, field.Forbidden(p.Child("attributeDefinitions").Index(i).Child("attributeType"), fmt.Sprintf(
			"attribute %q is a key of %s and DynamoDB fixes the type of a key attribute with the key (%s before, %s now); %s", name, by.what, oldTypes[name], typ, wayOut)))
	}
	return errs
}

// queueUpdateErrors checks an SQS Queue update. Sources: the SQS API
// reference (CreateQueue: FifoQueue "can be provided only during queue
// creation"; a FIFO queue's name ends in .fifo) and the absence of any
// rename in the SQS API.
func queueUpdateErrors(p *field.Path, spec, old map[string]interface{}) field.ErrorList {
	var errs field.ErrorList
	if o, n := isFIFO(old), isFIFO(spec); o != n {
		errs = append(errs, field.Forbidden(p.Child("fifoQueue"), fmt.Sprintf(
			"SQS fixes a queue's type at creation (%s before, %s now: FifoQueue can be set only by CreateQueue, and a FIFO queue's name ends in .fifo); add a new Queue (new object name and queueName) and remove this one in a later PR, once it is drained", queueType(o), queueType(n))))
	}
	if o, n := str(old, "queueName"), str(spec, "queueName"); o != "" && n != "" && o != n {
		errs = append(errs, field.Forbidden(p.Child("queueName"), fmt.Sprintf(
			"SQS cannot rename a queue: %q would be a new, empty queue and the messages of %q stay behind; keep queueName %q, or add a new Queue (new object name) and remove this one in a later PR, once it is drained", n, o, o)))
	}
	return errs
}

// roleUpdateErrors checks an IAM Role update. IAM has no rename, and
// UpdateRole changes only the description and the maximum session duration
// (the trust policy, permissions boundary, policies and tags have their own
// calls); CloudFormation documents RoleName and Path as "Replacement". The
// ACK controller looks a role up by spec.name (GetRole), so a new name makes
// it create a new role and leave the old one in AWS.
func roleUpdateErrors(p *field.Path, spec, old map[string]interface{}) field.ErrorList {
	var errs field.ErrorList
	if o, n := str(old, "name"), str(spec, "name"); o != "" && n != "" && o != n {
		errs = append(errs, field.Forbidden(p.Child("name"), fmt.Sprintf(
			"IAM cannot rename a role: the ACK controller looks the role up by name, so it creates a new role %q and leaves %q, with its policies, in AWS, no longer managed; keep name %q, or add a new Role (new object name) and remove this one in a later PR", n, o, o)))
	}
	if o, n := iamPath(old), iamPath(spec); o != n {
		errs = append(errs, field.Forbidden(p.Child("path"), fmt.Sprintf(
			"IAM cannot change a role's path (%q before, %q now): UpdateRole has no path, so the change is never applied; keep path %q, or add a new Role (new object name and name) and remove this one in a later PR", o, n, o)))
	}
	return errs
}

// policyUpdateErrors checks an IAM managed Policy update. IAM changes a
// managed policy only through new policy versions (CreatePolicyVersion) and
// tags: its name and path are fixed, and CreatePolicy says "The policy
// description is immutable". The ACK controller finds the policy by its ARN
// and applies only policyDocument and tags (customUpdatePolicy), reporting
// the Policy synced while AWS keeps the old values.
func policyUpdateErrors(p *field.Path, spec, old map[string]interface{}) field.ErrorList {
	wayOut := "add a new Policy (new object name) and remove this one in a later PR"
	var errs field.ErrorList
	if o, n := str(old, "name"), str(spec, "name"); o != "" && n != "" && o != n {
		errs = append(errs, field.Forbidden(p.Child("name"), fmt.Sprintf(
			"IAM cannot rename a managed policy (%q before, %q now) and the ACK controller ignores the change; keep name %q, or %s", o, n, o, wayOut)))
	}
	if o, n := iamPath(old), iamPath(spec); o != n {
		errs = append(errs, field.Forbidden(p.Child("path"), fmt.Sprintf(
			"IAM cannot change a managed policy's path (%q before, %q now) and the ACK controller ignores the change; keep path %q, or %s", o, n, o, wayOut)))
	}
	if o, n := str(old, "description"), str(spec, "description"); o != n {
		errs = append(errs, field.Forbidden(p.Child("description"), fmt.Sprintf(
			"IAM fixes a managed policy's description at creation (%q before, %q now) and the ACK controller ignores the change; keep the description, or %s", o, n, wayOut)))
	}
	return errs
}

// keySchema is a key schema by attribute name (HASH or RANGE).
type keySchema struct {
	byName map[string]string
	order  []string
}

func keySchemaOf(l []interface{}) keySchema {
	k := keySchema{byName: map[string]string{}}
	for _, e := range l {
		m, _ := e.(map[string]interface{})
		name := str(m, "attributeName")
		if name == "" {
			continue
		}
		if _, dup := k.byName[name]; !dup {
			k.order = append(k.order, name)
		}
		k.byName[name] = str(m, "keyType")
	}
	return k
}

// equal compares two key schemas as DynamoDB does: by attribute and key
// type, not by list order.
func (k keySchema) equal(o keySchema) bool {
	if len(k.byName) != len(o.byName) {
		return false
	}
	for name, t := range k.byName {
		if ot, ok := o.byName[name]; !ok || ot != t {
			return false
		}
	}
	return true
}

// String is "HASH id, RANGE sk".
func (k keySchema) String() string {
	parts := make([]string, 0, len(k.order))
	for _, name := range k.order {
		parts = append(parts, strings.TrimSpace(k.byName[name]+" "+name))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// index is a secondary index as far as its update rules go.
type index struct {
	pos        int // position in its list
	keys       keySchema
	projection string // "ALL", "KEYS_ONLY", "INCLUDE a b"
}

type indexSet struct {
	byName map[string]index
	order  []string
}

func indexesOf(l []interface{}) indexSet {
	s := indexSet{byName: map[string]index{}}
	for i, e := range l {
		m, _ := e.(map[string]interface{})
		name := str(m, "indexName")
		if name == "" {
			continue
		}
		if _, dup := s.byName[name]; dup {
			continue
		}
		s.order = append(s.order, name)
		s.byName[name] = index{pos: i, keys: keySchemaOf(list(m, "keySchema")), projection: projectionOf(mapAt(m, "projection"))}
	}
	return s
}

// projectionOf writes a projection with its non-key attributes sorted, as
// DynamoDB treats them as a set.
func projectionOf(m map[string]interface{}) string {
	var attrs []string
	for _, a := range list(m, "nonKeyAttributes") {
		if s, ok := a.(string); ok {
			attrs = append(attrs, s)
		}
	}
	sort.Strings(attrs)
	t := str(m, "projectionType")
	if t == "" {
		t = "none"
	}
	return strings.Join(append([]string{t}, attrs...), " ")
}

// indexDiff is what an update does to a list of secondary indexes.
type indexDiff struct {
	added, removed, changed []string
}

func diffIndexes(old, cur indexSet) indexDiff {
	var d indexDiff
	for _, name := range cur.order {
		o, ok := old.byName[name]
		switch {
		case !ok:
			d.added = append(d.added, name)
		case !o.keys.equal(cur.byName[name].keys) || o.projection != cur.byName[name].projection:
			d.changed = append(d.changed, name)
		}
	}
	for _, name := range old.order {
		if _, ok := cur.byName[name]; !ok {
			d.removed = append(d.removed, name)
		}
	}
	return d
}

func (d indexDiff) empty() bool { return len(d.added)+len(d.removed)+len(d.changed) == 0 }

// String is "created: "a", "b"; deleted: "c"; changed: "d"".
func (d indexDiff) String() string {
	var parts []string
	for _, g := range []struct {
		what  string
		names []string
	}{{"created", d.added}, {"deleted", d.removed}, {"changed", d.changed}} {
		if len(g.names) > 0 {
			parts = append(parts, g.what+": "+strings.Join(quoteAll(g.names), ", "))
		}
	}
	return strings.Join(parts, "; ")
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

func billingMode(spec map[string]interface{}) string {
	if m := str(spec, "billingMode"); m != "" {
		return m
	}
	return "PROVISIONED"
}

// isFIFO reads a queue's type: the FifoQueue attribute, or a name that
// only a FIFO queue may have.
func isFIFO(spec map[string]interface{}) bool {
	return strings.EqualFold(str(spec, "fifoQueue"), "true") || strings.HasSuffix(str(spec, "queueName"), ".fifo")
}

func queueType(fifo bool) string {
	if fifo {
		return "FIFO"
	}
	return "standard"
}

// iamPath is an IAM path with IAM's default, "/".
func iamPath(spec map[string]interface{}) string {
	if s := str(spec, "path"); s != "" {
		return s
	}
	return "/"
}

// mapAt, list, str and boolean read one level of a decoded JSON object;
// a missing key or another type reads as the zero value.
func mapAt(m map[string]interface{}, key string) map[string]interface{} {
	v, _ := m[key].(map[string]interface{})
	return v
}

func list(m map[string]interface{}, key string) []interface{} {
	v, _ := m[key].([]interface{})
	return v
}

func str(m map[string]interface{}, key string) string {
	v, _ := m[key].(string)
	return v
}

func boolean(m map[string]interface{}, key string) bool {
	v, _ := m[key].(bool)
	return v
}
