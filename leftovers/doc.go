// Package leftovers finds what prenv's per-pull-request environments left
// behind and should not be there any more: Kubernetes objects of closed
// pull requests, envs past their time-to-live, AWS resources whose env is
// gone, and folders of a `render sync` tree whose pull request is closed.
//
//	rep, err := leftovers.Find(ctx, leftovers.Options{
//		Specs: specs, OpenPRs: []int{12, 15}, Now: time.Now(),
//		Cluster: cl, AWS: aws, TreeDir: "envs",
//	})
//
// Find only reads. The cluster and AWS are reached through the [Cluster]
// and [AWS] interfaces; the kube and awsapi packages implement them with
// client-go and aws-sdk-go-v2, and tests substitute their own.
//
// Guaranteed: for the same input the [Report] is the same, its leftovers
// sorted by source, kind, namespace, name and ARN; every leftover names
// its [Reason]. Not guaranteed: the wording of [Leftover].Detail and of
// errors (match on [Reason] and on types).
package leftovers
