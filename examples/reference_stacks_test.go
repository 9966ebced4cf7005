package examples_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The reference stacks are whole platforms built the way Google documents a
// secure Dataflow setup (testdata/stacks/README.md says which documents). A
// finding of any kind on one of them is a false positive: the pack would
// block, warn about or leave undecided a correct deployment.
var referenceStacks = []string{
	"reference-streaming-pubsub-bigquery.json",
	"reference-batch-flex-pipelines.json",
	"reference-bootstrap-github.json",
	"reference-bootstrap-gitlab.json",
}

type checkReport struct {
	Findings []struct {
		Policy, URN, Kind, Message string
		Level                      string `json:"enforcementLevel"`
	}
	Summary struct{ Resources int }
}

func checkJSON(t *testing.T, path string) checkReport {
	t.Helper()
	r := run(t, "check", "--format", "json", path)
	var rep checkReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), "stderr: %s", r.stderr)
	assert.NotContains(t, r.stderr, "warning")
	return rep
}

func TestReferenceStacksHaveNoFinding(t *testing.T) {
	for _, name := range referenceStacks {
		t.Run(name, func(t *testing.T) {
			rep := checkJSON(t, filepath.Join(repoRoot, "testdata", "stacks", name))
			assert.GreaterOrEqual(t, rep.Summary.Resources, 25, "a reference stack is a whole platform")
			for _, f := range rep.Findings {
				t.Errorf("false positive: %s (%s %s) on %s: %s", f.Policy, f.Level, f.Kind, f.URN, f.Message)
			}
		})
	}
}

// TestReferenceStacksAreJudged keeps the precision test honest: the nearest
// wrong form of a few of each stack's resources is caught, so a clean result
// means the pack read the stack, not that it skipped it.
func TestReferenceStacksAreJudged(t *testing.T) {
	cases := []struct {
		stack, resource string
		path            []string
		value           any
		policy          string
	}{
		{"reference-streaming-pubsub-bigquery.json", "events-to-bigquery", []string{"ipConfiguration"}, "WORKER_IP_PUBLIC", "dataflow-private-ips"},
		{"reference-streaming-pubsub-bigquery.json", "events-to-bigquery", []string{"kmsKeyName"},
			"projects/etl-prod-1234/locations/us-central1/keyRings/dataflow-us-central1/cryptoKeys/events", "dataflow-cmek"},
		{"reference-streaming-pubsub-bigquery.json", "worker-writes-analytics", []string{"role"}, "roles/bigquery.admin", "dataflow-worker-least-privilege"},
		{"reference-streaming-pubsub-bigquery.json", "dataflow-not-in-global-default", []string{"filter"}, `severity<WARNING`, "logging-no-dataflow-exclusions"},
		{"reference-streaming-pubsub-bigquery.json", "dataflow-temp", []string{"publicAccessPrevention"}, "inherited", "dataflow-staging-bucket-hardening"},
		{"reference-batch-flex-pipelines.json", "orders-nightly", []string{"schedulerServiceAccountEmail"}, nil, "dataflow-dedicated-worker-service-account"},
		{"reference-batch-flex-pipelines.json", "orders-backfill", []string{"subnetwork"}, nil, "dataflow-explicit-subnetwork"},
		{"reference-batch-flex-pipelines.json", "orders-nightly",
			[]string{"workload", "dataflowFlexTemplateRequest", "launchParameter", "environment", "additionalUserLabels"}, map[string]any{}, "required-labels"},
		{"reference-bootstrap-github.json", "github-actions", []string{"attributeCondition"},
			"// assertion.repository_owner_id == '4242424'\ntrue", "wif-provider-attribute-condition"},
		{"reference-bootstrap-github.json", "deployer-datapipelines-admin", []string{"role"}, "roles/storage.admin", "deployer-least-privilege"},
		{"reference-bootstrap-github.json", "org-audit-storage", []string{"auditLogConfigs"},
			[]any{map[string]any{"logType": "ADMIN_READ"}}, "dataflow-audit-logging"},
		{"reference-bootstrap-gitlab.json", "folder-no-hmac", []string{"spec", "rules"},
			[]any{map[string]any{"allowAll": "TRUE"}}, "org-policy-guardrails-not-relaxed"},
		{"reference-bootstrap-gitlab.json", "folder-wif-providers-ci-only", []string{"spec", "rules"},
			[]any{map[string]any{"values": map[string]any{"allowedValues": []any{"https://idp.example.com"}}}}, "org-policy-guardrails-not-relaxed"},
		{"reference-bootstrap-gitlab.json", "gitlab-com", []string{"attributeCondition"}, "true", "wif-provider-attribute-condition"},
	}
	for _, c := range cases {
		t.Run(c.stack+"/"+c.resource+"/"+strings.Join(c.path, "."), func(t *testing.T) {
			path := mutateStack(t, c.stack, c.resource, c.path, c.value)
			rep := checkJSON(t, path)
			var policies []string
			for _, f := range rep.Findings {
				policies = append(policies, f.Policy)
			}
			assert.Contains(t, policies, c.policy)
		})
	}
}

// mutateStack writes a copy of a reference stack in which one property of
// one resource (inputs and outputs alike) is set, or removed when value is
// nil.
func mutateStack(t *testing.T, stack, resource string, path []string, value any) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "stacks", stack))
	require.NoError(t, err)
	var doc struct {
		Version    int `json:"version"`
		Deployment struct {
			Manifest  any              `json:"manifest"`
			Resources []map[string]any `json:"resources"`
		} `json:"deployment"`
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	found := false
	for _, r := range doc.Deployment.Resources {
		if !strings.HasSuffix(r["urn"].(string), "::"+resource) {
			continue
		}
		found = true
		for _, side := range []string{"inputs", "outputs"} {
			m, _ := r[side].(map[string]any)
			for _, k := range path[:len(path)-1] {
				next, ok := m[k].(map[string]any)
				require.True(t, ok, "%s has no %s", resource, k)
				m = next
			}
			if value == nil {
				delete(m, path[len(path)-1])
			} else {
				m[path[len(path)-1]] = value
			}
		}
	}
	require.True(t, found, "no resource %s in %s", resource, stack)
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), stack)
	require.NoError(t, os.WriteFile(p, out, 0o600))
	return p
}
