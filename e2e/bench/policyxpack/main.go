// Command policyxpack is the smallest useful Go policy pack built on sdk/v3's
// policyx: one resource policy. The harness (e2e/bench) copies it into a
// module of its own that requires only sdk/v3 and cold-builds it, to compare
// compile time and module download size with the pack's.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

func main() {
	err := policyx.Main(func(*pulumi.Context) (policyx.PolicyPack, error) {
		return policyx.NewPolicyPack("policyx-minimal", semver.MustParse("0.1.0"), policyx.EnforcementLevelMandatory,
			[]policyx.Policy{
				policyx.NewResourceValidationPolicy("no-service-account-keys", policyx.ResourceValidationPolicyArgs{
					Description:      "Service accounts have no user-managed keys",
					EnforcementLevel: policyx.EnforcementLevelMandatory,
					ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
						if args.Resource.Type == "gcp:serviceaccount/key:Key" {
							args.Manager.ReportViolation("creates a user-managed service account key", "")
						}
						return nil
					},
				}),
			})
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
