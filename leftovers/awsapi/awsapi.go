// Package awsapi reads an AWS account for the leftovers package, with
// aws-sdk-go-v2: the Resource Groups Tagging API for tagged resources and
// IAM's list calls for roles and customer managed policies.
//
//	cfg, err := config.LoadDefaultConfig(ctx) // the default credential chain
//	a := awsapi.New(cfg, []string{"eu-west-1"}, awsapi.Options{})
//	rep, err := leftovers.Find(ctx, leftovers.Options{AWS: a, ...})
//
// Every call only reads. Listings are paginated and bounded by
// [Options].MaxPages; ctx bounds the time.
package awsapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"prenv.dev/prenv/leftovers"
)

// DefaultMaxPages bounds each listing when [Options].MaxPages is 0: at 100
// resources a page (the tagging API's maximum ResourcesPerPage) or 1000
// IAM entities a page (IAM's maximum MaxItems), far more than an account
// holds (IAM User Guide, "IAM and AWS STS quotas": 1000 roles by default,
// at most 5000; 1500 customer managed policies by default, at most 5000).
const DefaultMaxPages = 1000

// Page sizes: the largest each API takes (Resource Groups Tagging API
// Reference, GetResources, ResourcesPerPage 1 to 100; IAM API Reference,
// ListRoles/ListPolicies/ListRoleTags/ListPolicyTags, MaxItems 1 to 1000).
const (
	taggingPageSize = 100
	iamPageSize     = 1000
)

// ErrTooManyPages is returned, wrapped, when a listing has more pages than
// [Options].MaxPages.
var ErrTooManyPages = errors.New("too many pages")

// TaggingAPI is the part of the Resource Groups Tagging API client that
// [Client] calls; *resourcegroupstaggingapi.Client implements it.
type TaggingAPI interface {
	GetResources(ctx context.Context, in *rgt.GetResourcesInput, optFns ...func(*rgt.Options)) (*rgt.GetResourcesOutput, error)
}

// IAMAPI is the part of the IAM client that [Client] calls; *iam.Client
// implements it.
type IAMAPI interface {
	ListRoles(ctx context.Context, in *iam.ListRolesInput, optFns ...func(*iam.Options)) (*iam.ListRolesOutput, error)
	ListPolicies(ctx context.Context, in *iam.ListPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListPoliciesOutput, error)
	ListRoleTags(ctx context.Context, in *iam.ListRoleTagsInput, optFns ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error)
	ListPolicyTags(ctx context.Context, in *iam.ListPolicyTagsInput, optFns ...func(*iam.Options)) (*iam.ListPolicyTagsOutput, error)
}

// Options tune [New].
type Options struct {
	// MaxPages bounds every listing; 0 means [DefaultMaxPages].
	MaxPages int
}

// Client implements [leftovers.AWS].
type Client struct {
	// Tagging has one tagging API client per region (the API is
	// regional), in region order.
	Tagging []TaggingAPI
	// Regions names the region of each Tagging client, for errors.
	Regions []string
	// IAM is global.
	IAM      IAMAPI
	MaxPages int
}

var _ leftovers.AWS = (*Client)(nil)

// New returns a Client for cfg (its credentials, endpoint and retry
// settings) that reads tagged resources in each of regions (sorted,
// without repeats; cfg.Region when regions is empty) and IAM.
func New(cfg aws.Config, regions []string, opts Options) *Client {
	regions = slices.Compact(slices.Sorted(slices.Values(regions)))
	if len(regions) == 0 {
		regions = []string{cfg.Region}
	}
	c := &Client{IAM: iam.NewFromConfig(cfg), Regions: regions, MaxPages: opts.MaxPages}
	for _, r := range regions {
		c.Tagging = append(c.Tagging, rgt.NewFromConfig(cfg, func(o *rgt.Options) { o.Region = r }))
	}
	return c
}

func (c *Client) maxPages() int {
	if c.MaxPages > 0 {
		return c.MaxPages
	}
	return DefaultMaxPages
}

// TaggedResources calls GetResources in every region with a tag filter on
// tagKey (any value), page by page.
func (c *Client) TaggedResources(ctx context.Context, tagKey string) ([]leftovers.Resource, error) {
	var out []leftovers.Resource
	for i, t := range c.Tagging {
		region := ""
		if i < len(c.Regions) {
			region = c.Regions[i]
		}
		in := &rgt.GetResourcesInput{
			TagFilters:       []rgttypes.TagFilter{{Key: aws.String(tagKey)}},
			ResourcesPerPage: aws.Int32(taggingPageSize),
		}
		for page := 0; ; page++ {
			if page == c.maxPages() {
				return out, fmt.Errorf("GetResources in %s: %w (more than %d)", region, ErrTooManyPages, c.maxPages())
			}
			res, err := t.GetResources(ctx, in)
			if err != nil {
				return out, fmt.Errorf("GetResources in %s: %w", region, err)
			}
			for _, m := range res.ResourceTagMappingList {
				tags := map[string]string{}
				for _, tg := range m.Tags {
					tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
				}
				out = append(out, leftovers.Resource{ARN: aws.ToString(m.ResourceARN), Tags: tags})
			}
			if aws.ToString(res.PaginationToken) == "" {
				break
			}
			in.PaginationToken = res.PaginationToken
		}
	}
	return out, nil
}

// IAMRoles lists every role (ListRoles), and reads the tags (ListRoleTags)
// of those keep keeps.
func (c *Client) IAMRoles(ctx context.Context, keep func(path, name string) bool) ([]leftovers.Resource, error) {
	var roles []iamtypes.Role
	in := &iam.ListRolesInput{MaxItems: aws.Int32(iamPageSize)}
	for page := 0; ; page++ {
		if page == c.maxPages() {
			return nil, fmt.Errorf("ListRoles: %w (more than %d)", ErrTooManyPages, c.maxPages())
		}
		res, err := c.IAM.ListRoles(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("ListRoles: %w", err)
		}
		roles = append(roles, res.Roles...)
		if !res.IsTruncated {
			break
		}
		in.Marker = res.Marker
	}
	var out []leftovers.Resource
	for _, r := range roles {
		if !keep(aws.ToString(r.Path), aws.ToString(r.RoleName)) {
			continue
		}
		tags, err := c.tags(func(marker *string) ([]iamtypes.Tag, *string, bool, error) {
			res, err := c.IAM.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: r.RoleName, Marker: marker, MaxItems: aws.Int32(iamPageSize)})
			if err != nil {
				return nil, nil, false, err
			}
			return res.Tags, res.Marker, res.IsTruncated, nil
		})
		if err != nil {
			return out, fmt.Errorf("ListRoleTags %s: %w", aws.ToString(r.RoleName), err)
		}
		out = append(out, leftovers.Resource{ARN: aws.ToString(r.Arn), Tags: tags})
	}
	return out, nil
}

// IAMPolicies lists the customer managed policies (ListPolicies with
// Scope=Local: AWS managed policies are not the account's), and reads the
// tags (ListPolicyTags) of those keep keeps.
func (c *Client) IAMPolicies(ctx context.Context, keep func(path, name string) bool) ([]leftovers.Resource, error) {
	var policies []iamtypes.Policy
	in := &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal, MaxItems: aws.Int32(iamPageSize)}
	for page := 0; ; page++ {
		if page == c.maxPages() {
			return nil, fmt.Errorf("ListPolicies: %w (more than %d)", ErrTooManyPages, c.maxPages())
		}
		res, err := c.IAM.ListPolicies(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("ListPolicies: %w", err)
		}
		policies = append(policies, res.Policies...)
		if !res.IsTruncated {
			break
		}
		in.Marker = res.Marker
	}
	var out []leftovers.Resource
	for _, p := range policies {
		if !keep(aws.ToString(p.Path), aws.ToString(p.PolicyName)) {
			continue
		}
		tags, err := c.tags(func(marker *string) ([]iamtypes.Tag, *string, bool, error) {
			res, err := c.IAM.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: p.Arn, Marker: marker, MaxItems: aws.Int32(iamPageSize)})
			if err != nil {
				return nil, nil, false, err
			}
			return res.Tags, res.Marker, res.IsTruncated, nil
		})
		if err != nil {
			return out, fmt.Errorf("ListPolicyTags %s: %w", aws.ToString(p.Arn), err)
		}
		out = append(out, leftovers.Resource{ARN: aws.ToString(p.Arn), Tags: tags})
	}
	return out, nil
}

// tags reads every page of an IAM tag listing.
func (c *Client) tags(list func(marker *string) ([]iamtypes.Tag, *string, bool, error)) (map[string]string, error) {
	tags := map[string]string{}
	var marker *string
	for page := 0; ; page++ {
		if page == c.maxPages() {
			return nil, fmt.Errorf("%w (more than %d)", ErrTooManyPages, c.maxPages())
		}
		ts, next, truncated, err := list(marker)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if !truncated || strings.TrimSpace(aws.ToString(next)) == "" {
			return tags, nil
		}
		marker = next
	}
}
