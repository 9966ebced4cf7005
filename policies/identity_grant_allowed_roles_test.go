package policies

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// deployer-grant-allowed-roles judges the same roles as deployer-least-privilege by default.
func TestDeployerGrantRolesFollowDeployerPolicy(t *testing.T) {
	assert.Equal(t, DeployerLeastPrivilege().Defaults()["allowedRoles"], DeployerGrantAllowedRoles().Defaults()["allowedRoles"])
	assert.Equal(t, DataflowWorkerLeastPrivilege().Defaults()["allowedRoles"], DataflowWorkerGrantAllowedRoles().Defaults()["allowedRoles"])
}

// Every stack policy says why it needs the stack, and nothing else does.
func TestStackNeedsCoverStackPolicies(t *testing.T) {
	stack := map[string]bool{}
	for _, p := range All() {
		if p.IsStack() {
			stack[p.Name] = true
			assert.NotEmpty(t, StackNeeds(p.Name), "stack policy %s does not say why it needs the stack", p.Name)
		}
	}
	for name := range stackNeeds {
		assert.True(t, stack[name], "%s is not a stack policy", name)
	}
}
