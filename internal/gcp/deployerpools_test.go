package gcp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// poolRes is a pool of project number 1 as its outputs show it.
func poolRes(id string) *gcp.Resource {
	return idRes(gcp.WorkloadIdentityPoolResource, id, map[string]any{"workloadIdentityPoolId": id, "project": idProject,
		"name": "projects/1/locations/global/workloadIdentityPools/" + id})
}

func providerRes(name, pool string, oidcIssuer any) *gcp.Resource {
	kv := map[string]any{"workloadIdentityPoolId": pool, "project": idProject,
		"name": "projects/1/locations/global/workloadIdentityPools/" + pool + "/providers/" + name}
	switch iss := oidcIssuer.(type) {
	case string:
		kv["oidc"] = map[string]any{"issuerUri": iss}
	case nil:
		kv["aws"] = map[string]any{"accountId": "111122223333"}
	}
	return idRes(gcp.WorkloadIdentityPoolProviderResource, name, kv)
}

func principalOf(pool string) string {
	return "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/" + pool + "/*"
}

func TestDeployerPools(t *testing.T) {
	cfg := &gcp.DeployerPools{
		CIIssuers: []string{"https://token.actions.githubusercontent.com", "https://oidc.circleci.com/org"},
		Deployers: []string{"projects/1/locations/global/workloadIdentityPools/farm"},
		Workloads: []string{"partner", "farm"},
	}
	s := idStack(
		poolRes("github"), providerRes("gh", "github", "https://token.actions.githubusercontent.com/"),
		poolRes("ghe"), providerRes("ghe", "ghe", "https://token.actions.githubusercontent.com/acme"),
		poolRes("circle"), providerRes("circle", "circle", "https://oidc.circleci.com/org/0b9c"),
		poolRes("lookalike"), providerRes("evil", "lookalike", "https://token.actions.githubusercontent.com.evil.example"),
		poolRes("aws"), providerRes("aws", "aws", nil),
		poolRes("mixed"), providerRes("mixed-aws", "mixed", nil), providerRes("mixed-gh", "mixed", "https://token.actions.githubusercontent.com"),
		poolRes("farm"), providerRes("farm", "farm", nil),
		poolRes("empty"),
		poolRes("pending"), providerRes("pending", "pending", "?"),
		idRes(gcp.WorkloadIdentityPoolResource, "new", map[string]any{"workloadIdentityPoolId": "new", "project": idProject, "name": "?"}),
		idRes(gcp.WorkloadIdentityPoolProviderResource, "new-aws", map[string]any{"workloadIdentityPoolId": "new", "project": idProject,
			"name": "?", "aws": map[string]any{"accountId": "111122223333"}}),
		idRes(gcp.WorkloadIdentityPoolResource, "spoofed", map[string]any{"workloadIdentityPoolId": "spoofed", "project": "other",
			"name": "projects/2/locations/global/workloadIdentityPools/spoofed"}),
		idRes(gcp.WorkloadIdentityPoolProviderResource, "spoofed-aws", map[string]any{"workloadIdentityPoolId": "spoofed", "project": "other",
			"name": "projects/2/locations/global/workloadIdentityPools/spoofed/providers/aws", "aws": map[string]any{"accountId": "111122223333"}}),
	)
	set := gcp.DeployerIdentitiesOf(s, cfg)
	for pool, want := range map[string]gcp.MemberMatch{
		"github":    gcp.IsMember,
		"ghe":       gcp.IsMember,
		"circle":    gcp.IsMember,
		"lookalike": gcp.NotMember, // not below the CI issuer: wif-provider-oidc-only judges it
		"aws":       gcp.NotMember,
		"mixed":     gcp.IsMember,
		"farm":      gcp.IsMember, // deployerPools wins over workloadPools
		"partner":   gcp.NotMember,
		"empty":     gcp.IsMember, // no provider in the stack: fail closed
		"elsewhere": gcp.IsMember,
		"pending":   gcp.MaybeMember,
		"new":       gcp.MaybeMember, // created in this preview: its project number is not known yet
		"spoofed":   gcp.IsMember,    // an AWS pool of the same ID in another project does not stand in for it
	} {
		r := idRes("gcp:projects/iAMMember:IAMMember", "g", map[string]any{"member": principalOf(pool)})
		got, id := set.Match(r, r.Get("member"))
		assert.Equal(t, want, got, pool)
		if got == gcp.IsMember {
			require.NotNil(t, id, pool)
			assert.True(t, id.Principal, pool)
			assert.NotEmpty(t, id.PoolReason, pool)
		}
		if got == gcp.MaybeMember {
			require.NotNil(t, id.Pending, pool)
			want := map[string]string{"pending": "oidc.issuerUri", "new": "name"}[pool]
			assert.Equal(t, want, id.Pending.Value.Path(), pool)
		}
	}
	// GKE workload identity is never a deployer, in either spelling.
	for _, m := range []string{"serviceAccount:" + idProject + ".svc.id.goog[ns/app]",
		"principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/" + idProject + ".svc.id.goog/subject/ns/ns/sa/app"} {
		r := idRes("gcp:projects/iAMMember:IAMMember", "g", map[string]any{"member": m})
		got, _ := set.Match(r, r.Get("member"))
		assert.Equal(t, gcp.NotMember, got, m)
	}
}

func TestDeployerPoolsImpersonation(t *testing.T) {
	cfg := &gcp.DeployerPools{CIIssuers: []string{"https://token.actions.githubusercontent.com"}}
	deployer := idAccount("etl-deployer", idDeployer)
	saRef := "projects/" + idProject + "/serviceAccounts/" + idDeployer
	onSA := func(member string) *gcp.Resource {
		return idMember("wif", "gcp:serviceaccount/iAMMember:IAMMember", gcp.RoleWorkloadIdentityUser, member,
			map[string]any{"serviceAccountId": saRef})
	}
	probe := idRes("gcp:projects/iAMMember:IAMMember", "probe", map[string]any{"member": "serviceAccount:" + idDeployer})
	for _, tc := range []struct {
		name string
		rs   []*gcp.Resource
		want gcp.MemberMatch
	}{
		{"a CI pool impersonates", []*gcp.Resource{poolRes("github"), providerRes("gh", "github", "https://token.actions.githubusercontent.com"), onSA(principalOf("github"))}, gcp.IsMember},
		{"a workload pool impersonates", []*gcp.Resource{poolRes("aws"), providerRes("aws", "aws", nil), onSA(principalOf("aws"))}, gcp.NotMember},
		{"member computed from a workload pool", func() []*gcp.Resource {
			p := poolRes("aws")
			return []*gcp.Resource{p, providerRes("aws", "aws", nil), idDeps(onSA("?"), "member", p)}
		}(), gcp.NotMember},
		{"member computed from a CI pool", func() []*gcp.Resource {
			p := poolRes("github")
			return []*gcp.Resource{p, providerRes("gh", "github", "https://token.actions.githubusercontent.com"), idDeps(onSA("?"), "member", p)}
		}(), gcp.IsMember},
		{"member computed from elsewhere", []*gcp.Resource{onSA("?")}, gcp.MaybeMember},
	} {
		set := gcp.DeployerIdentitiesOf(idStack(append([]*gcp.Resource{deployer}, tc.rs...)...), cfg)
		got, _ := set.Match(probe, probe.Get("member"))
		assert.Equal(t, tc.want, got, tc.name)
	}
}
