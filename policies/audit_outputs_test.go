package policies_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// Audit policy groups and Insights scans hand resource policies a resource's
// state, the outputs pulumi-gcp reports, instead of the program's inputs.
// Every resource policy must reach the same verdict on both: this test
// derives realistic outputs from each fixture's inputs and compares, per
// resource, the kinds of findings.
func TestAuditVerdictsOnOutputs(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	readFile := policy.LocalFilesUnder(root)
	for _, p := range policies.All() {
		if p.IsStack() {
			continue
		}
		dir := filepath.Join(root, "testdata", p.Name)
		for _, name := range fixtureFiles(t, dir) {
			t.Run(p.Name+"/"+name, func(t *testing.T) {
				pack, err := policies.NewPack("0.0.0-test", "test")
				require.NoError(t, err)
				if f := fixtureConfig(t, dir, name); f != nil {
					_, err := pack.Apply(f.Policies)
					require.NoError(t, err)
				}
				dep, err := stackfile.ReadFile(filepath.Join(dir, name))
				require.NoError(t, err)
				opts := policy.DeploymentOptions{Only: map[string]bool{p.Name: true}, ReadFile: readFile}
				onInputs := pack.Evaluate(context.Background(), dep, opts)
				onState := pack.Evaluate(context.Background(), asState(dep), opts)
				assert.Equal(t, verdicts(onInputs), verdicts(onState),
					"verdicts on inputs (first) and on the outputs pulumi-gcp reports (second) differ:\ninputs: %s\noutputs: %s",
					messages(onInputs), messages(onState))
			})
		}
	}
}

// The comparison is not vacuous: the derived state says more than the inputs.
func TestAuditStateSaysMore(t *testing.T) {
	dep, err := stackfile.ReadFile(filepath.Join(testdata, "dataflow-dedicated-worker-service-account", "bad_missing.json"))
	require.NoError(t, err)
	filled := false
	for _, r := range asState(dep).Inputs {
		if r.Type == gcp.DataflowJob {
			email, _ := r.Get("serviceAccountEmail").String()
			filled = filled || strings.HasSuffix(email, "-compute@developer.gserviceaccount.com")
		}
	}
	assert.True(t, filled, "no job got the Compute Engine default account")
	dep, err = stackfile.ReadFile(filepath.Join(testdata, "required-labels", "good_provider_default_labels.json"))
	require.NoError(t, err)
	labelled := false
	for _, r := range asState(dep).Inputs {
		labelled = labelled || r.Get("effectiveLabels").Has(gcp.AttributionLabel)
	}
	assert.True(t, labelled, "no resource got effectiveLabels")
}

// verdicts is, per resource, the kinds of finding it got.
func verdicts(fs []policy.Finding) []string {
	seen := map[string]bool{}
	for _, f := range fs {
		seen[f.URN+" "+string(f.Kind)] = true
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func messages(fs []policy.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s %s", f.URN, describe(f))
	}
	return b.String()
}

// asState is the deployment as an audit group sees it: every pulumi-gcp
// resource's inputs replaced by the outputs the provider would report.
func asState(dep *stackfile.Deployment) *stackfile.Deployment {
	state := *dep
	state.Inputs = make([]*gcp.Resource, len(dep.Inputs))
	for i, r := range dep.Inputs {
		state.Inputs[i] = stateOf(r)
	}
	return &state
}

// testProjectNumber stands for the project number in the Compute Engine
// default service account's email.
const testProjectNumber = "123456789012"

// stateOf derives a resource's outputs from its inputs the way pulumi-gcp
// v9 fills them in, for what can be cited:
//   - pulumiLabels (terraform_labels) are the provider's defaultLabels, the
//     goog-pulumi-provisioned attribution label and the resource's labels,
//     these last winning; effectiveLabels hold the same (nothing else was set
//     outside Pulumi); both are secret outputs (AdditionalSecretOutputs in
//     the SDK). terraform-provider-google tpgresource.SetLabelsDiff.
//   - a Dataflow Job or FlexTemplateJob without serviceAccountEmail reads it
//     back from the job's pipeline options (resourceDataflowJobRead), where
//     Dataflow records the worker account it used: the Compute Engine default
//     service account when none was named
//     (https://cloud.google.com/dataflow/docs/concepts/security-and-permissions#default-worker-service-account).
//   - a Data Pipeline's schedulerServiceAccountEmail is computed: "If not
//     specified, the default compute engine service account will be used"
//     (pulumi-gcp dataflow.Pipeline).
//   - project is computed from the provider's project when not set.
//
// A resource with unknown inputs is left as it is: it has no state yet (a
// preview), and its unknown fixtures keep their advisory.
func stateOf(r *gcp.Resource) *gcp.Resource {
	if !strings.HasPrefix(r.Type, "gcp:") || r.Props.HasComputed() {
		return r
	}
	out := *r
	props := r.Props
	if path, ok := gcp.LabelFieldPaths()[r.Type]; ok {
		props = withDerivedLabels(r, props, path)
	}
	defaultSA := property.New(testProjectNumber + "-compute@developer.gserviceaccount.com")
	switch r.Type {
	case gcp.DataflowJob, gcp.DataflowFlexTemplateJob:
		if _, ok := props.GetOk("serviceAccountEmail"); !ok {
			props = props.Set("serviceAccountEmail", defaultSA)
		}
	case gcp.DataflowPipeline:
		if _, ok := props.GetOk("schedulerServiceAccountEmail"); !ok {
			props = props.Set("schedulerServiceAccountEmail", defaultSA)
		}
	}
	if _, ok := props.GetOk("project"); !ok && r.Provider != nil {
		if project, ok := r.Provider.Props.GetOk("project"); ok {
			props = props.Set("project", project)
		}
	}
	out.Props = props
	return &out
}

// withDerivedLabels sets pulumiLabels and effectiveLabels beside the labels
// input at path (at any depth), when the object holding it is present.
func withDerivedLabels(r *gcp.Resource, props property.Map, path []string) property.Map {
	sets := gcp.Labels(r)
	if len(sets) != 1 {
		return props
	}
	set := sets[0]
	var merged property.Value
	switch {
	case set.Defaults != nil && set.Defaults.Value.IsUnknown():
		merged = property.New(property.Computed)
	default:
		m := map[string]property.Value{}
		if set.Defaults != nil {
			for _, e := range set.Defaults.Value.Entries() {
				m[e.Key] = e.Value.Raw()
			}
		}
		if set.Attribution {
			m[gcp.AttributionLabel] = property.New("true")
		}
		for _, e := range set.Own.Entries() {
			m[e.Key] = e.Value.Raw()
		}
		merged = property.New(property.NewMap(m))
	}
	merged = merged.WithSecret(true)
	return setBeside(props, path, map[string]property.Value{"pulumiLabels": merged, "effectiveLabels": merged})
}

// setBeside sets keys in the object that holds path's last key; nothing when
// that object is absent or not a map.
func setBeside(props property.Map, path []string, values map[string]property.Value) property.Map {
	if len(path) == 1 {
		for k, v := range values {
			props = props.Set(k, v)
		}
		return props
	}
	child, ok := props.GetOk(path[0])
	if !ok || !child.IsMap() {
		return props
	}
	inner := setBeside(child.AsMap(), path[1:], values)
	return props.Set(path[0], property.New(inner).WithSecret(child.Secret()))
}
