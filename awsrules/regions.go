package awsrules

import (
	"fmt"
	"slices"
	"strings"
)

// RegionsAsOf is the date of [KnownRegions]: the regions AWS had opened by
// then in the three partitions prenv renders for.
const RegionsAsOf = "2026-11"

// KnownRegions lists, per partition, the regions whose names prenv
// accepts in spec.aws.region without spec.aws.allowUnknownRegion. Source:
// the "regions" of each partition in the AWS SDKs' partitions.json
// (aws-sdk-go-v2, internal/endpoints/awsrulesfn/partitions.json; botocore,
// data/endpoints.json) and the AWS General Reference, "AWS Regions", as of
// [RegionsAsOf]. Newer regions: add them here, or set
// spec.aws.allowUnknownRegion until prenv knows them.
func KnownRegions() map[string][]string {
	return map[string][]string{
		"aws": {
			"af-south-1",
			"ap-east-1", "ap-east-2",
			"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
			"ap-south-1", "ap-south-2",
			"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
			"ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
			"ca-central-1", "ca-west-1",
			"eu-central-1", "eu-central-2",
			"eu-north-1",
			"eu-south-1", "eu-south-2",
			"eu-west-1", "eu-west-2", "eu-west-3",
			"il-central-1",
			"me-central-1", "me-south-1",
			"mx-central-1",
			"sa-east-1",
			"us-east-1", "us-east-2",
			"us-west-1", "us-west-2",
		},
		"aws-cn":     {"cn-north-1", "cn-northwest-1"},
		"aws-us-gov": {"us-gov-east-1", "us-gov-west-1"},
	}
}

// UnknownRegion explains a region name that partition part does not have,
// or returns "" when it has it: a misspelling closest to one region gets
// "did you mean"; otherwise the partition's regions of the same area
// (eu-central-*) or geography (eu-*) are listed.
func UnknownRegion(part, region string) string {
	known := KnownRegions()[part]
	if slices.Contains(known, region) {
		return ""
	}
	msg := fmt.Sprintf("is not a region of partition %q (prenv's list as of %s)", part, RegionsAsOf)
	best, bestDist := []string(nil), 3 // at most two edits away
	for _, r := range known {
		switch d := levenshtein(region, r); {
		case d < bestDist:
			best, bestDist = []string{r}, d
		case d == bestDist:
			best = append(best, r)
		}
	}
	if len(best) == 1 {
		msg += fmt.Sprintf(": did you mean %q?", best[0])
	} else if near := nearbyRegions(known, region); len(near) > 0 {
		msg += "; its regions nearby are " + strings.Join(near, ", ")
	}
	return msg + "; for a region newer than this list, set spec.aws.allowUnknownRegion: true"
}

// nearbyRegions are the regions of known in region's area (the name
// without its number: eu-central), or else in its geography (eu).
func nearbyRegions(known []string, region string) []string {
	area := region[:strings.LastIndexByte(region, '-')+1]
	geo, _, _ := strings.Cut(region, "-")
	for _, prefix := range []string{area, geo + "-"} {
		var near []string
		for _, r := range known {
			if strings.HasPrefix(r, prefix) {
				near = append(near, r)
			}
		}
		if len(near) > 0 {
			return near
		}
	}
	return nil
}
