package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encryptedRole is an export made without --show-secrets whose IAM member's
// role is a secret: offline, nothing will ever show whether it is a basic role.
const encryptedRole = "../../testdata/stacks/encrypted-secret-role.json"

// iamMemberExport is an export with one project IAM member whose role input
// is the raw JSON role.
func iamMemberExport(role string) string {
	return `{"version": 3, "deployment": {"resources": [
		{"urn": "urn:pulumi:dev::etl::pulumi:pulumi:Stack::etl-dev", "type": "pulumi:pulumi:Stack"},
		{"urn": "urn:pulumi:dev::etl::gcp:projects/iAMMember:IAMMember::m", "type": "gcp:projects/iAMMember:IAMMember", "custom": true,
		 "inputs": {"project": "p", "member": "serviceAccount:etl@p.iam.gserviceaccount.com", "role": ` + role + `}}]}}`
}

const cipher = `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:AAAA:BBBB"}`

func TestCheckFailsOnAnEncryptedValueAMandatoryPolicyNeeds(t *testing.T) {
	r := run(t, "", "check", encryptedRole)
	assert.Equal(t, 1, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "  [mandatory] iam-no-primitive-roles (high)\n"+
		"    role: can't run policy 'iam-no-primitive-roles' from policy pack 'dataflow-guardrails@v0.1.0': "+
		"role is encrypted in this stack export; export the stack with `pulumi stack export --show-secrets` to check it\n")
	assert.NotContains(t, r.stdout, "fix: ", "the remediation of a violation does not apply")
	assert.NotContains(t, r.stdout, "during preview")
	assert.Contains(t, r.stdout, ": 3 mandatory, 0 advisory, 0 unknown")
	assert.Contains(t, r.stderr, "3 mandatory policy checks cannot run on values encrypted in this export: "+
		"export with `pulumi stack export --show-secrets`, or pass --allow-encrypted-secrets")
	assert.NotContains(t, r.stderr, "policy violations", "nothing was found to be wrong")
	assert.NotContains(t, r.stdout+r.stderr, "ZmFrZWNpcGhlcnRleHQ=", "the ciphertext is never printed")

	r = run(t, "", "check", "--format", "json", encryptedRole)
	assert.Equal(t, 1, r.code)
	var doc struct {
		Findings []struct {
			Policy, Kind, EnforcementLevel, Path, Message string
		}
		Summary map[string]int
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	require.Len(t, doc.Findings, 3)
	for _, f := range doc.Findings {
		assert.Equal(t, "unknown", f.Kind, f.Policy)
		assert.Equal(t, "mandatory", f.EnforcementLevel, f.Policy)
		assert.Equal(t, "role", f.Path)
		assert.Contains(t, f.Message, "--show-secrets")
	}
	assert.Equal(t, 3, doc.Summary["mandatory"], "CI reading the summary fails too")

	r = run(t, "", "check", "--format", "sarif", encryptedRole)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, `"level": "error"`)
}

func TestCheckAllowEncryptedSecretsKeepsThemAdvisory(t *testing.T) {
	r := run(t, "", "check", "--allow-encrypted-secrets", encryptedRole)
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "  [unknown] iam-no-primitive-roles (high)\n    role: can't run policy 'iam-no-primitive-roles'")
	assert.Contains(t, r.stdout, "--show-secrets", "the message still says how to check it")
	assert.Contains(t, r.stdout, ": 0 mandatory, 0 advisory, 3 unknown")
	assert.Contains(t, r.stderr, "warning: 2 secret values are encrypted in this export")

	r = run(t, "", "check", "--help")
	assert.Contains(t, r.stdout, "--allow-encrypted-secrets")
}

// TestCheckEncryptedOnlyWhereAPolicyNeedsIt: a value unknown for another
// reason, or an encrypted value no policy needs, keeps today's behaviour.
func TestCheckEncryptedOnlyWhereAPolicyNeedsIt(t *testing.T) {
	r := run(t, iamMemberExport(`"04da6b54-80e4-46f7-96ec-b56ff0331ba9"`), "check", "-")
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "  [unknown] iam-no-primitive-roles (high)\n"+
		"    role: can't run policy 'iam-no-primitive-roles' from policy pack 'dataflow-guardrails@v0.1.0' during preview: role can't be known during preview\n")
	assert.NotContains(t, r.stdout, "--show-secrets")

	r = run(t, iamMemberExport(`"roles/dataflow.worker"`), "check", "-")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	withSecret := strings.Replace(iamMemberExport(`"roles/dataflow.worker"`), `"project": "p"`, `"project": "p", "condition": {"title": "t", "description": `+cipher+`, "expression": "true"}`, 1)
	r = run(t, withSecret, "check", "-")
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, ": 0 mandatory, 0 advisory, 0 unknown")
	assert.Contains(t, r.stderr, "warning: 1 secret values are encrypted", "still said")

	// Excepted, it fails no more than an excepted violation.
	cfg := writeFile(t, "v2.json", `{"version": 2, "exceptions": {"EXC-1": {"reason": "role reviewed", "match": [
		{"policies": ["iam-no-primitive-roles", "iam-no-key-admin-roles", "iam-no-broad-impersonation"],
		 "targets": ["urn:pulumi:dev::etl::gcp:projects/iAMMember:IAMMember::m"]}]}}}`)
	r = run(t, iamMemberExport(cipher), "check", "--policy-pack-config", cfg, "-")
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "3 excepted")
}
