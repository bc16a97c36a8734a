package plan

import (
	"encoding/json"
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/spec"
)

// Plan checks the spec and computes the model of PR pr's environment: every
// name, ARN, URL, label and policy document. It returns an [*spec.InvalidError]
// listing every problem when the spec or pr breaks a rule.
func Plan(env *spec.PreviewEnvironment, pr int) (*Model, error) {
	errs := spec.Check(env)
	if pr < 1 || pr > spec.MaxPR {
		errs = append(errs, field.Invalid(field.NewPath("pr"), pr, fmt.Sprintf("the pull-request number must be between 1 and %d", spec.MaxPR)))
	}
	if len(errs) > 0 {
		return nil, &spec.InvalidError{Errs: errs}
	}
	m, errs := plan(env, pr)
	if len(errs) > 0 {
		return nil, &spec.InvalidError{Errs: errs}
	}
	return m, nil
}

// PlanChecked is [Plan] without [spec.Check], for a caller that already ran
// Check on env (render.Sync does, once per spec for all its PRs). A spec
// Check would refuse gives a model prenv would never render: call [Plan]
// unless Check has passed.
func PlanChecked(env *spec.PreviewEnvironment, pr int) (*Model, error) {
	if env == nil || pr < 1 || pr > spec.MaxPR {
		return Plan(env, pr)
	}
	m, errs := plan(env, pr)
	if len(errs) > 0 {
		return nil, &spec.InvalidError{Errs: errs}
	}
	return m, nil
}

func plan(env *spec.PreviewEnvironment, pr int) (*Model, field.ErrorList) {
	s := &env.Spec
	app := env.Metadata.Name
	part := s.AWS.Partition
	if part == "" {
		part = spec.DefaultPartition
	}
	region, account := s.AWS.Region, string(s.AWS.AccountID)
	envName := awsrules.EnvName(s.Prefix, pr, app)
	m := &Model{
		App:            app,
		PR:             pr,
		Prefix:         s.Prefix,
		EnvName:        envName,
		Namespace:      envName,
		Region:         region,
		Partition:      part,
		AccountID:      account,
		DeletionPolicy: s.DeletionPolicy,
		Tables:         []TableModel{},
		Queues:         []QueueModel{},
		Waves: map[string]string{
			"namespace":      wave(WaveNamespace),
			"policy":         wave(WavePolicy),
			"role":           wave(WaveRole),
			"table":          wave(WaveTable),
			"configMap":      wave(WaveConfigMap),
			"serviceAccount": wave(WaveServiceAccount),
			"resourceQuota":  wave(WaveResourceQuota),
			"limitRange":     wave(WaveLimitRange),
			"networkPolicy":  wave(WaveNetworkPolicy),
		},
	}
	if m.DeletionPolicy == "" {
		m.DeletionPolicy = "delete"
	}
	m.ACKAnnotations = map[string]string{spec.AnnotationRegion: region, spec.AnnotationDeletion: m.DeletionPolicy}
	if s.DNS != nil {
		m.Hostname = envName + "." + s.DNS.Zone
	}
	prs := strconv.Itoa(pr)
	m.Labels = map[string]string{spec.LabelManagedBy: spec.ManagedByValue, spec.LabelApp: app, spec.LabelPR: prs, spec.LabelEnv: envName}
	for k, v := range s.Labels {
		m.Labels[k] = v
	}
	tags := map[string]string{spec.LabelApp: app, spec.LabelPR: prs, spec.LabelEnv: envName}
	for k, v := range s.Tags {
		tags[k] = v
	}
	m.Tags = sortedTags(tags)

	data := map[string]string{
		"PRENV_APP":            app,
		"PRENV_PR":             prs,
		"PRENV_ENV_NAME":       envName,
		"PRENV_NAMESPACE":      envName,
		"PRENV_AWS_REGION":     region,
		"PRENV_AWS_ACCOUNT_ID": account,
		"PRENV_AWS_PARTITION":  part,
	}
	if m.Hostname != "" {
		data["PRENV_HOSTNAME"] = m.Hostname
		data["PRENV_URL"] = "https://" + m.Hostname
	}

	if s.DynamoDB != nil {
		for _, t := range s.DynamoDB.Tables {
			tm := planTable(&t, envName, part, region, account)
			m.Tables = append(m.Tables, tm)
			k := "PRENV_TABLE_" + envKey(t.Name)
			data[k+"_NAME"] = tm.Name
			data[k+"_ARN"] = tm.ARN
		}
	}
	if s.SQS != nil {
		for _, q := range s.SQS.Queues {
			qs := planQueue(&q, envName, part, region, account)
			m.Queues = append(m.Queues, qs...)
			for _, qm := range qs {
				k := "PRENV_QUEUE_" + envKey(q.Name)
				if qm.DeadLetter {
					k += "_DLQ"
				}
				data[k+"_NAME"] = qm.Name
				data[k+"_URL"] = qm.URL
				data[k+"_ARN"] = qm.ARN
			}
		}
	}

	planDatabases(m, s.Databases, data)
	saName := app
	if s.ServiceAccount != nil && s.ServiceAccount.Name != "" {
		saName = s.ServiceAccount.Name
	}
	planBuckets(m, s, saName, data)

	var errs field.ErrorList

	// IAM: derived statements first, then the user's, packed into as few
	// managed policies as IAM's size limit allows.
	stmts := derivedStatements(m, s)
	for _, st := range spec.UserStatements(s.IAM) {
		// A statement over the size of one policy is split by resources;
		// Check has refused those that cannot be.
		parts, _ := awsrules.SplitStatement(st)
		stmts = append(stmts, parts...)
	}
	docs, err := awsrules.PackPolicies(stmts)
	if err != nil {
		errs = append(errs, field.Invalid(field.NewPath("spec", "iam", "statements"), field.OmitValueType{}, err.Error()))
	}
	roleName := awsrules.RoleName(envName)
	if !awsrules.ValidRoleName(roleName) {
		errs = append(errs, field.Invalid(field.NewPath("spec", "prefix"), s.Prefix, "gives an IAM role name outside [A-Za-z0-9+=,.@_-]"))
	}
	role := RoleModel{
		ObjectName:         app,
		Name:               roleName,
		ARN:                awsrules.ARN(part, "iam", "", account, "role/"+roleName),
		Description:        "prenv: role of " + envName + " for ServiceAccount " + envName + "/" + saName,
		MaxSessionDuration: spec.DefaultSessionSecs,
		PolicyARNs:         []string{},
		PolicyRefs:         []string{},
	}
	if s.IAM != nil {
		if s.IAM.MaxSessionDuration != 0 {
			role.MaxSessionDuration = s.IAM.MaxSessionDuration
		}
		role.PermissionsBoundary = s.IAM.PermissionsBoundaryARN
		role.PolicyARNs = append(role.PolicyARNs, s.IAM.ManagedPolicyARNs...)
	}
	m.Policies = []PolicyModel{}
	for i, d := range docs {
		objName, name := app, envName
		if i > 0 {
			objName = app + "-" + strconv.Itoa(i+1)
			name = awsrules.PolicyName(envName, i+1)
		}
		doc, err := awsrules.DocumentJSON(d)
		if err != nil {
			errs = append(errs, field.InternalError(field.NewPath("spec", "iam"), err))
			continue
		}
		m.Policies = append(m.Policies, PolicyModel{
			ObjectName: objName,
			Name:       name,
			ARN:        awsrules.ARN(part, "iam", "", account, "policy/"+name),
			// IAM cannot change a policy's description, so it must not
			// depend on how many parts there are.
			Description: fmt.Sprintf("prenv: permissions of %s, part %d", envName, i+1),
			Document:    doc,
		})
		role.PolicyRefs = append(role.PolicyRefs, objName)
	}
	quota := s.IAM.PolicyQuota()
	if n := len(role.PolicyARNs) + len(role.PolicyRefs); n > quota {
		// Say which part is too large: the user's ARNs when prenv's own
		// policies leave room for some, else the permissions themselves.
		if room := quota - len(role.PolicyRefs); room > 0 && len(role.PolicyARNs) > 0 {
			errs = append(errs, field.TooMany(field.NewPath("spec", "iam", "managedPolicyARNs"), len(role.PolicyARNs), room))
		} else {
			errs = append(errs, field.Invalid(field.NewPath("spec"), field.OmitValueType{}, fmt.Sprintf(
				"the env's permissions (its tables, queues and spec.iam.statements) need %d managed policies of %d characters and spec.iam.managedPolicyARNs lists %d more, over the account's quota of %d per role (spec.iam.managedPoliciesPerRole); grant fewer resources, or merge statements",
				len(role.PolicyRefs), awsrules.MaxManagedPolicySize, len(role.PolicyARNs), quota)))
		}
	}
	m.Role = role
	data["PRENV_ROLE_ARN"] = role.ARN

	m.ServiceAccount = SAModel{Name: saName, Annotations: map[string]string{}}
	if s.ServiceAccount != nil {
		for k, v := range s.ServiceAccount.Annotations {
			m.ServiceAccount.Annotations[k] = v
		}
	}
	m.ConfigMap = ConfigMapModel{Name: app + "-prenv", Data: data}
	setAdoption(m)
	planBounds(m, s)
	if err := planIdentity(m, s, awsrules.OIDCHost(s.AWS.OIDCProviderURL)); err != nil {
		errs = append(errs, field.InternalError(field.NewPath("spec", "aws"), err))
	}
	errs = append(errs, planOwnResources(m)...)
	errs = append(errs, checkDatabasesFit(m)...)
	return m, errs
}

// setAdoption gives every ACK object its own annotations: with
// deletionPolicy retain, ACK's adopt-or-create adoption, so that a reopened
// pull request adopts the AWS resources its earlier run left behind instead
// of failing with "already exists". The adoption fields are each resource's
// identifier as its ACK controller reads it (ACK code generator: the ReadOne
// operation's primary identifier, or "arn" for resources identified by ARN):
// tableName for a Table, queueURL for a Queue, name for a Role, arn for a
// Policy, name for a Bucket. Names are unique per env (see the package documentation), so
// adoption can only find the env's own resources.
func setAdoption(m *Model) {
	adopt := func(field, value string) map[string]string {
		if m.DeletionPolicy != "retain" {
			return map[string]string{}
		}
		fields, _ := json.Marshal(map[string]string{field: value})
		return map[string]string{spec.AnnotationAdoptionPolicy: spec.AdoptOrCreate, spec.AnnotationAdoptionFields: string(fields)}
	}
	for i := range m.Policies {
		m.Policies[i].Annotations = adopt("arn", m.Policies[i].ARN)
	}
	m.Role.Annotations = adopt("name", m.Role.Name)
	for i := range m.Tables {
		m.Tables[i].Annotations = adopt("tableName", m.Tables[i].Name)
	}
	for i := range m.Queues {
		m.Queues[i].Annotations = adopt("queueURL", m.Queues[i].URL)
	}
	for i := range m.Buckets {
		m.Buckets[i].Annotations = adopt("name", m.Buckets[i].Name)
	}
}

func planTable(t *spec.Table, envName, part, region, account string) TableModel {
	name := awsrules.TableName(envName, t.Name)
	tm := TableModel{
		ObjectName:    t.Name,
		Logical:       t.Name,
		Name:          name,
		ARN:           awsrules.ARN(part, "dynamodb", region, account, "table/"+name),
		BillingMode:   t.BillingMode,
		Capacity:      t.Capacity,
		StreamView:    t.Stream,
		TTLAttribute:  t.TTLAttribute,
		PITR:          t.PointInTimeRecovery,
		Attributes:    []AttributeModel{},
		GlobalIndexes: []IndexModel{},
		LocalIndexes:  []IndexModel{},
	}
	if tm.BillingMode == "" {
		tm.BillingMode = spec.DefaultBillingMode
	}
	for _, a := range t.Attributes {
		tm.Attributes = append(tm.Attributes, AttributeModel{Name: a.Name, Type: a.Type})
	}
	tm.KeySchema = keySchema(t.HashKey, t.RangeKey)
	index := func(ix spec.Index, global bool) IndexModel {
		im := IndexModel{Name: ix.Name, KeySchema: keySchema(ix.HashKey, ix.RangeKey), Projection: ix.Projection, NonKeyAttributes: append([]string{}, ix.NonKeyAttributes...), Capacity: ix.Capacity}
		if im.Projection == "" {
			im.Projection = "ALL"
		}
		if global && im.Capacity == nil && tm.BillingMode == "PROVISIONED" {
			im.Capacity = t.Capacity
		}
		return im
	}
	for _, ix := range t.GlobalIndexes {
		tm.GlobalIndexes = append(tm.GlobalIndexes, index(ix, true))
	}
	for _, ix := range t.LocalIndexes {
		tm.LocalIndexes = append(tm.LocalIndexes, index(ix, false))
	}
	return tm
}

func keySchema(hash, rng string) []KeyModel {
	ks := []KeyModel{{Name: hash, Type: "HASH"}}
	if rng != "" {
		ks = append(ks, KeyModel{Name: rng, Type: "RANGE"})
	}
	return ks
}

// planQueue returns the queue and, when it has one, its dead-letter queue
// (dead-letter queue first).
func planQueue(q *spec.Queue, envName, part, region, account string) []QueueModel {
	mk := func(logicalSuffix string) QueueModel {
		name := awsrules.QueueName(envName, q.Name, logicalSuffix != "", q.FIFO)
		qm := QueueModel{
			ObjectName: q.Name + logicalSuffix,
			Logical:    q.Name,
			Name:       name,
			URL:        awsrules.QueueURL(part, region, account, name),
			ARN:        awsrules.ARN(part, "sqs", region, account, name),
			Attributes: map[string]string{},
		}
		if q.FIFO {
			qm.Attributes["fifoQueue"] = "true"
		}
		return qm
	}
	main := mk("")
	main.Wave = wave(WaveQueue)
	setInt := func(key string, v *int64) {
		if v != nil {
			main.Attributes[key] = strconv.FormatInt(*v, 10)
		}
	}
	setInt("visibilityTimeout", q.VisibilityTimeoutSeconds)
	setInt("messageRetentionPeriod", q.MessageRetentionSeconds)
	setInt("delaySeconds", q.DelaySeconds)
	setInt("receiveMessageWaitTimeSeconds", q.ReceiveWaitTimeSeconds)
	setInt("maximumMessageSize", q.MaxMessageSizeBytes)
	if q.ContentBasedDeduplication {
		main.Attributes["contentBasedDeduplication"] = "true"
	}
	if q.DeadLetter == nil {
		return []QueueModel{main}
	}
	dlq := mk("-dlq")
	dlq.DeadLetter = true
	dlq.Wave = wave(WaveDeadLetter)
	retention := int64(spec.DefaultDLQRetention)
	if q.DeadLetter.MessageRetentionSeconds != nil {
		retention = *q.DeadLetter.MessageRetentionSeconds
	}
	dlq.Attributes["messageRetentionPeriod"] = strconv.FormatInt(retention, 10)
	// AWS returns both policies as compact JSON in this key order; matching it
	// keeps ACK from seeing a difference where there is none.
	dlq.Attributes["redriveAllowPolicy"] = `{"redrivePermission":"byQueue","sourceQueueArns":["` + main.ARN + `"]}`
	main.Attributes["redrivePolicy"] = `{"deadLetterTargetArn":"` + dlq.ARN + `","maxReceiveCount":` + strconv.FormatInt(q.DeadLetter.MaxReceiveCount, 10) + `}`
	return []QueueModel{dlq, main}
}
