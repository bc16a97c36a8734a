package awsrules_test

import (
	"slices"
	"strings"
	"testing"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/spec"
)

// TestKnownRegionsPass: every region of the list passes Check in its
// partition, and each partition's list is sorted and without repeats.
func TestKnownRegionsPass(t *testing.T) {
	for part, regions := range awsrules.KnownRegions() {
		if !slices.IsSorted(regions) || len(slices.Compact(slices.Clone(regions))) != len(regions) {
			t.Errorf("%s: the list must be sorted and without repeats: %v", part, regions)
		}
		for _, r := range regions {
			env := loadMinimal(t)
			env.Spec.AWS.Partition, env.Spec.AWS.Region = part, r
			if errs := spec.Check(env); len(errs) > 0 {
				t.Errorf("%s %s: %v", part, r, errs)
			}
		}
	}
}

// TestAllowUnknownRegion: spec.aws.allowUnknownRegion lets a region that
// prenv's list lacks through, and nothing else: the name must still have a
// region's form and belong to the partition.
func TestAllowUnknownRegion(t *testing.T) {
	tests := map[string]struct {
		region string
		allow  bool
		want   string // "" for no error
	}{
		"unknown, refused":        {"eu-central-3", false, `spec.aws.region: Invalid value: "eu-central-3": is not a region of partition "aws" (prenv's list as of ` + awsrules.RegionsAsOf + `); its regions nearby are eu-central-1, eu-central-2`},
		"unknown, allowed":        {"eu-central-3", true, ""},
		"known, allowed too":      {"eu-west-1", true, ""},
		"not a region's form":     {"europe-3", true, `spec.aws.region: Invalid value: "europe-3": must be an AWS region name such as eu-west-1`},
		"another partition's":     {"us-gov-west-1", true, `spec.aws.region: Invalid value: "us-gov-west-1": is not a region of partition "aws"`},
		"misspelt, did you mean":  {"us-eastt-1", false, `spec.aws.region: Invalid value: "us-eastt-1": is not a region of partition "aws" (prenv's list as of ` + awsrules.RegionsAsOf + `): did you mean "us-east-1"?`},
		"two edits, did you mean": {"ap-southest-1", false, `did you mean "ap-southeast-1"?`},
		"a tie lists the area":    {"us-est-1", false, `; its regions nearby are us-east-1, us-east-2, us-west-1, us-west-2;`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := loadMinimal(t)
			env.Spec.AWS.Region, env.Spec.AWS.AllowUnknownRegion = tc.region, tc.allow
			errs := spec.Check(env)
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("got %v\nwant one error containing %s", errs, tc.want)
			}
		})
	}
}

func loadMinimal(t *testing.T) *spec.PreviewEnvironment {
	t.Helper()
	env, err := spec.Load([]byte(testkit.MinimalYAML))
	if err != nil {
		t.Fatal(err)
	}
	return env
}
