package plan

import (
	"strconv"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/spec"
)

// WaveBucket is the sync wave of the env's Buckets: with the Role and the
// tables, before the ConfigMap that names them and the app.
const WaveBucket = -3

// Argo CD's PreDelete hook (Argo CD docs, "Resource Hooks": "Executes
// before Application resources are deleted. Only runs when the entire
// Application is being deleted"; added in Argo CD v3.3, argoproj/argo-cd
// pull request #22288). Argo CD deletes the Application's resources only
// after every PreDelete hook has succeeded.
const HookPreDelete = "PreDelete"

// HookSucceeded deletes a hook's Job once it has succeeded.
const HookSucceeded = "HookSucceeded"

// BucketsEmptyImage runs the Job that empties the env's buckets before
// Argo CD deletes them: the AWS CLI's official image on Amazon ECR Public
// (AWS CLI User Guide, "Running the official Amazon ECR Public or Docker
// images for the AWS CLI"). The final checks keep the Job exactly as
// rendered (image included): mirror the image in the cluster's registry
// configuration.
const BucketsEmptyImage = "public.ecr.aws/aws-cli/aws-cli:2.27.0"

// BucketsEmptySeconds bounds how long the emptying Job's script runs: a
// PreDelete hook holds up the deletion of the whole env, and an app that
// filled its bucket with many objects would otherwise keep the env, and its
// pods, for as long as deleting them takes.
const BucketsEmptySeconds = 1800

// bucketsEmptyScript empties each bucket named in its arguments with the
// AWS CLI, trying three times, all within [BucketsEmptySeconds] (coreutils'
// timeout stops a try when the time is up). It never fails the hook: a
// failed PreDelete hook would stop Argo CD from deleting anything of the
// env, and what it leaves the buckets' expiration rule removes, after which
// ACK's next attempt deletes the bucket.
var bucketsEmptyScript = `end=$(($(date +%s) + ` + strconv.Itoa(BucketsEmptySeconds) + `))
for b in "$@"; do
  n=0
  while :; do
    left=$((end - $(date +%s)))
    if [ "$left" -le 0 ]; then echo "prenv: no time left to empty $b; its expiration rule will" >&2; break; fi
    if timeout "$left" aws s3 rm "s3://$b" --recursive --only-show-errors; then break; fi
    n=$((n+1))
    if [ "$n" -ge 3 ]; then echo "prenv: could not empty $b; its expiration rule will" >&2; break; fi
    sleep 5
  done
done
exit 0
`

// BucketModel is one ACK S3 Bucket.
type BucketModel struct {
	ObjectName string `json:"objectName"`
	Logical    string `json:"logical"`
	Name       string `json:"name"`
	ARN        string `json:"arn"`
	Access     string `json:"access"`
	// LocationConstraint is the region, except in us-east-1, where S3
	// refuses one (S3 API Reference, CreateBucket: "If you don't specify a
	// Region, the bucket is created in the US East (N. Virginia) Region
	// (us-east-1)").
	LocationConstraint string `json:"locationConstraint"`
	ExpirationDays     int    `json:"expirationDays"`
	// Annotations are the object's own annotations beyond prenv's
	// common ones: ACK's adoption annotations with deletionPolicy retain.
	Annotations map[string]string `json:"annotations"`
}

// BucketsEmptyModel is the PreDelete hook Job that empties the env's
// buckets when Argo CD deletes the env, under the env's ServiceAccount
// (its role may list the env's buckets and delete their objects, and
// nothing of any other bucket). It exists only with spec.deletionPolicy
// delete: retained buckets keep their objects.
type BucketsEmptyModel struct {
	Name           string   `json:"name"`
	ServiceAccount string   `json:"serviceAccount"`
	Image          string   `json:"image"`
	Script         string   `json:"script"`
	Buckets        []string `json:"buckets"`
	UID            int      `json:"uid"`
}

// BucketsEmptyName is the name of the Job that empties the env's buckets:
// <app>-s3-empty (at most 60 characters, the app having at most 50, so it
// fits the job-name label of its pods).
func BucketsEmptyName(app string) string { return app + "-s3-empty" }

// planBuckets adds the env's buckets, their ConfigMap keys and the
// emptying Job to m.
func planBuckets(m *Model, s *spec.Spec, sa string, data map[string]string) {
	m.Buckets = []BucketModel{}
	for _, b := range spec.Buckets(s) {
		name := awsrules.BucketName(m.EnvName, b.Name, m.Partition, m.AccountID, m.Region)
		bm := BucketModel{
			ObjectName:     b.Name,
			Logical:        b.Name,
			Name:           name,
			ARN:            awsrules.BucketARN(m.Partition, name),
			Access:         b.Access,
			ExpirationDays: spec.DefaultExpirationDays,
		}
		if b.ExpirationDays != nil {
			bm.ExpirationDays = *b.ExpirationDays
		}
		if bm.Access == "" {
			bm.Access = spec.DefaultBucketAccess
		}
		if m.Region != "us-east-1" {
			bm.LocationConstraint = m.Region
		}
		m.Buckets = append(m.Buckets, bm)
		k := "PRENV_BUCKET_" + envKey(b.Name)
		data[k+"_NAME"] = bm.Name
		data[k+"_ARN"] = bm.ARN
		data[k+"_REGION"] = m.Region
	}
	if len(m.Buckets) == 0 {
		return
	}
	m.Waves["bucket"] = strconv.Itoa(WaveBucket)
	if m.DeletionPolicy != "delete" {
		return
	}
	job := &BucketsEmptyModel{Name: BucketsEmptyName(m.App), ServiceAccount: sa, Image: BucketsEmptyImage, Script: bucketsEmptyScript, UID: nobodyUID}
	for _, b := range m.Buckets {
		job.Buckets = append(job.Buckets, b.Name)
	}
	m.BucketsEmpty = job
}

// bucketStatements grants each bucket's access on exactly the env's
// buckets, in the account of the env: per bucket, s3:ListBucket on the
// bucket and the access's object actions on its objects; then, when a
// bucket has read access, deleting its objects, so that the PreDelete
// Job can empty it. Every statement requires aws:ResourceAccount to be
// the env's account ([awsrules.ResourceAccountKey]).
func bucketStatements(m *Model, next func() string) []awsrules.PolicyStatement {
	var out []awsrules.PolicyStatement
	own := map[string]map[string]awsrules.PolicyConditionVal{"StringEquals": {awsrules.ResourceAccountKey: {m.AccountID}}}
	var readOnly []string
	for _, b := range m.Buckets {
		out = append(out,
			awsrules.PolicyStatement{Sid: next(), Effect: "Allow", Action: awsrules.BucketListActions(), Resource: []string{b.ARN}, Condition: own},
			awsrules.PolicyStatement{Sid: next(), Effect: "Allow", Action: awsrules.ObjectActions(b.Access), Resource: []string{b.ARN + "/*"}, Condition: own},
		)
		if b.Access == "read" {
			readOnly = append(readOnly, b.ARN+"/*")
		}
	}
	if len(readOnly) > 0 {
		out = append(out, awsrules.PolicyStatement{Sid: next(), Effect: "Allow", Action: awsrules.ObjectEmptyActions(), Resource: readOnly, Condition: own})
	}
	return out
}

// BucketSpec is the spec of b's ACK Bucket as prenv's template renders it,
// as JSON values (numbers as int64): the final checks compare a Bucket's
// spec with it, so that public access, encryption, ownership, versioning,
// lifecycle, policy, replication and tags stay prenv's.
func BucketSpec(m *Model, b BucketModel) map[string]any {
	tags := make([]any, 0, len(m.Tags))
	for _, t := range m.Tags {
		tags = append(tags, map[string]any{"key": t.Key, "value": t.Value})
	}
	out := map[string]any{
		"name": b.Name,
		"publicAccessBlock": map[string]any{
			"blockPublicACLs": true, "blockPublicPolicy": true, "ignorePublicACLs": true, "restrictPublicBuckets": true,
		},
		"ownershipControls": map[string]any{"rules": []any{map[string]any{"objectOwnership": "BucketOwnerEnforced"}}},
		"encryption": map[string]any{"rules": []any{map[string]any{
			"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"},
		}}},
		"lifecycle": map[string]any{"rules": []any{map[string]any{
			"id":                             "prenv-expiration",
			"status":                         "Enabled",
			"filter":                         map[string]any{"prefix": ""},
			"expiration":                     map[string]any{"days": int64(b.ExpirationDays)},
			"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": int64(1)},
		}}},
		"tagging": map[string]any{"tagSet": tags},
	}
	if b.LocationConstraint != "" {
		out["createBucketConfiguration"] = map[string]any{"locationConstraint": b.LocationConstraint}
	}
	return out
}
