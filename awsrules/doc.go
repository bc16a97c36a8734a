// Package awsrules holds AWS's rules that prenv renders and checks by, as
// pure functions and constants, each with the source of its facts: the names
// prenv gives (env, IAM role and policy, DynamoDB table, SQS queue) and
// their hash, S3 bucket names, EKS cluster names, ARNs and service
// endpoints, the IAM policy grammar (actions
// against a dated catalogue, condition operators, keys and values), policy
// documents (least-privilege statements, trust policies for IRSA and EKS
// Pod Identity, packing into
// managed policies of at most 6,144 characters) and regions.
//
//	env := awsrules.EnvName("pr", 123, "web")         // "pr-123-web"
//	table := awsrules.TableName(env, "orders")        // "pr-123-web_orders"
//	queue := awsrules.QueueName(env, "jobs", true, false) // "pr-123-web_jobs_dlq"
//
// Guaranteed: every function is deterministic and reads nothing but its
// arguments and the embedded action catalogue; names are injective as shown
// below. It imports no other stage of prenv (package spec imports it).
//
// # Names
//
// Envs of different apps share one AWS account and one cluster, and PR
// numbers are per repository, so two apps have a PR 5 at the same time.
// Their names must never meet. Every name prenv gives is a function of the
// tuple (prefix, PR, app, kind, logical name):
//
//	namespace, IAM role   <prefix>-<pr>-<app>                 [EnvName], [RoleName]
//	IAM managed policy    <env>, <env>_<n> for n >= 2          [PolicyName]
//	DynamoDB table        <env>_<table>                        [TableName]
//	SQS queue             <env>_<queue>[_dlq][.fifo]           [QueueName]
//	S3 bucket             <env>-<bucket>, cut, "--", hash      [BucketName]
//
// The map from tuple to name is injective within each namespace of names
// (tables, queues, roles, policies, namespaces), for the tuples [spec.Check]
// accepts:
//
//  1. Env names parse one way. A prefix is words of [a-z0-9] that each start
//     with a letter; the PR number is decimal without leading zeros; so the
//     first all-digit word of <prefix>-<pr>-<app> is the PR, what comes
//     before it is the prefix, and what comes after it is the app. Check
//     refuses prefix and app lengths whose env name could exceed 63
//     characters for some PR number up to [spec.MaxPR], so env names are never
//     shortened.
//  2. The other names join parts with '_', which no part contains: prefix,
//     app and logical names are lower-case DNS labels. So <env>_<logical>
//     splits at its only '_'; a queue's name has a third part only for a
//     dead-letter queue ("dlq"); ".fifo" cannot come from a logical name,
//     which has no '.'; a split policy's number follows the only '_'.
//     Different tuples give different full names.
//  3. A full name longer than its limit (only a queue name can be: its
//     limit is 80 characters) is shortened: cut, then "--", then [NameHash] of the full name,
//     then ".fifo" for a FIFO queue. spec.Check refuses "--" in prefixes, apps
//     and logical names, so a full name never contains "--" and a shortened
//     one always does: no shortened name equals a full one. Two shortened
//     names are equal only if their hashes are, that is, only for a
//     collision of SHA-256 cut to [HashBits] = 128 bits.
//  4. All names are lower case, so IAM's case-insensitive uniqueness of
//     role and policy names changes nothing.
//
// The hash is 128 bits of SHA-256, 26 characters of lower-case base32. To
// land on an existing env's shortened queue name an attacker needs a second
// preimage, about 2^128 hash evaluations; to find any two tuples whose
// shortened names collide, a birthday search needs about 2^64 (at ten
// billion SHA-256 evaluations a second, some 58 years of one such machine).
// The former 32-bit hash fell to a birthday search in seconds.
//
// # Bucket names
//
// S3 bucket names are global: one namespace for every account of the
// partition, not only the envs' account. A bucket name is therefore a
// function of the longer tuple (prefix, PR, app, logical name, partition,
// account, region): <env>-<logical> cut to 35 characters (without a
// trailing '-'), then "--", then [NameHash] of
// <env>_<logical>_<partition>_<account>_<region>. That joined string is
// injective by argument 2 (no part contains '_': partitions are words,
// accounts digits, regions [a-z0-9-]), so two different tuples give the
// same bucket name only for a collision of the 128-bit hash, as with
// shortened names; the same spec in two accounts or regions, two apps,
// two PRs never share a bucket. Every bucket name contains "--" followed by
// 26 characters of [a-z2-7], so it ends with a letter or digit and none of
// S3's reserved suffixes (all contain '-' or '.'), has no '.' and no IP
// form; its first 35 characters hold <prefix>-<pr>- and the app's first
// character (at most 33), so it starts like the env's other names
// ([ReachesEnvResources] relies on that). spec.Check refuses prefixes
// that make a bucket name start with a reserved prefix (sthree-,
// amzn-s3-demo-). A name is predictable, so another account can create it
// first: ACK's CreateBucket then fails (the env has no bucket, a denial of
// service), and prenv's grants on the env's buckets require
// aws:ResourceAccount to be the env's account, so the env's pods never
// write into such a bucket.
//
// Limits kept: namespace and env name 63 (a DNS label; with spec.dns, less
// the external-dns TXT registry's prefix, see [TXTRecordLabel]), IAM role 64,
// IAM policy 128, SQS queue 80 with ".fifo", DynamoDB table 3 to 255, S3
// bucket 3 to 63. Prefix,
// PR and at least the first 15 characters of the app are always visible
// (in a bucket name, at least the app's first character).
package awsrules
