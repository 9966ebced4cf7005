package engine

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/harness"
)

// Resource types, exactly as the pulumi-gcp SDK registers them.
const (
	tJob           = "gcp:dataflow/job:Job"
	tFlexJob       = "gcp:dataflow/flexTemplateJob:FlexTemplateJob"
	tPipeline      = "gcp:dataflow/pipeline:Pipeline"
	tAccount       = "gcp:serviceaccount/account:Account"
	tKey           = "gcp:serviceaccount/key:Key"
	tSAIAMMember   = "gcp:serviceaccount/iAMMember:IAMMember"
	tProjIAMMember = "gcp:projects/iAMMember:IAMMember"
	tAuditConfig   = "gcp:projects/iAMAuditConfig:IAMAuditConfig"
	tPool          = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool"
	tPoolProvider  = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
	tKeyRing       = "gcp:kms/keyRing:KeyRing"
	tCryptoKey     = "gcp:kms/cryptoKey:CryptoKey"
	tKeyIAMMember  = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
	tBucket        = "gcp:storage/bucket:Bucket"
	tBucketMember  = "gcp:storage/bucketIAMMember:BucketIAMMember"
	tExclusion     = "gcp:logging/projectExclusion:ProjectExclusion"
	tGCPProvider   = "pulumi:providers:gcp"
)

// Policy names (issue 3's catalog).
const (
	pNoKeys            = "no-service-account-keys"
	pDedicatedWorker   = "dataflow-dedicated-worker-service-account"
	pRequiredLabels    = "required-labels"
	pPrimitiveRoles    = "iam-no-primitive-roles"
	pPublicMembers     = "iam-no-public-members"
	pBroadImpersonate  = "iam-no-broad-impersonation"
	pWorkerLeastPriv   = "dataflow-worker-least-privilege"
	pDeployerLeastPriv = "deployer-least-privilege"
	pDefaultSAGrants   = "iam-no-default-service-account-grants"
	pKeyAdminRoles     = "iam-no-key-admin-roles"
	pProviderCreds     = "provider-federated-credentials"
	pInlineCreds       = "dataflow-no-inline-credentials"
	pLabelFormat       = "labels-valid-format"
	pPropagateLabels   = "propagate-stack-labels"
	pLabelConsistency  = "dataflow-label-consistency"
	pOIDCOnly          = "wif-provider-oidc-only"
	pAttrCondition     = "wif-provider-attribute-condition"
	pPoolWide          = "wif-no-pool-wide-principal-set"
	pAuditLogging      = "dataflow-audit-logging"
	pNoExclusions      = "logging-no-dataflow-exclusions"
	pWorkerLogging     = "dataflow-worker-logging"
	pPrivateIPs        = "dataflow-private-ips"
	pCMEK              = "dataflow-cmek"
	pSubnetwork        = "dataflow-explicit-subnetwork"
	pStagingBucket     = "dataflow-staging-bucket-hardening"
	pGuardedOptions    = "dataflow-no-guarded-option-overrides"
)

// Scenario 1: a compliant Dataflow stack. Preview exits 0 and reports only
// unknown-at-preview advisories (emails, members and ids the provider
// computes); up creates everything with no finding at all, and the engine's
// summaries list the relevant policies as passed on each resource.
func TestCompliantStack(t *testing.T) {
	env := harness.NewEnv(t)
	s := env.NewStack(t, project, "clean", compliantProgram(project, "clean"), baseConfig())

	pre := s.Preview(t)
	logFindings(t, pre)
	requireOK(t, pre)
	assert.Empty(t, pre.Mandatory())
	assertOnlyUnknowns(t, pre)

	up := s.Up(t)
	logFindings(t, up)
	requireOK(t, up)
	assert.Empty(t, up.Findings(), "up must report nothing\n%s", up.Dump())

	all := []string{
		s.URN(tAccount, "etl-worker"), s.URN(tAccount, "etl-deployer"),
		s.URN(tProjIAMMember, "worker-dataflow-worker"), s.URN(tProjIAMMember, "deployer-dataflow-developer"),
		s.URN(tSAIAMMember, "deployer-wif"), s.URN(tSAIAMMember, "deployer-acts-as-worker"),
		s.URN(tPool, "github"), s.URN(tPoolProvider, "github-oidc"), s.URN(tAuditConfig, "dataflow-audit"),
		s.URN(tKeyRing, "dataflow"), s.URN(tCryptoKey, "dataflow"), s.URN(tKeyIAMMember, "dataflow-agent-uses-key"),
		s.URN(tBucket, "access-logs"), s.URN(tBucket, "dataflow-temp"), s.URN(tBucketMember, "worker-temp-objects"),
		s.URN(tJob, "events-to-bigquery"),
	}
	assert.ElementsMatch(t, all, up.CreatedURNs(), "up must create every resource")
	job, ok := up.Created(s.URN(tJob, "events-to-bigquery"))
	require.True(t, ok)
	assert.Equal(t, workerEmail, job.Inputs["serviceAccountEmail"])

	labelled := []string{pRequiredLabels, pLabelFormat, pPropagateLabels}
	grant := []string{pPrimitiveRoles, pPublicMembers, pBroadImpersonate, pDefaultSAGrants, pKeyAdminRoles}
	for _, r := range []*harness.Result{pre, up} {
		jobURN := s.URN(tJob, "events-to-bigquery")
		if r == up { // known only once the worker's email is
			assertPassed(t, r, jobURN, pDedicatedWorker)
		}
		assertPassed(t, r, jobURN, append(labelled, pInlineCreds, pWorkerLogging,
			pPrivateIPs, pSubnetwork, pGuardedOptions)...)
		assertPassed(t, r, s.URN(tBucket, "dataflow-temp"), labelled...)
		assertPassed(t, r, s.URN(tCryptoKey, "dataflow"), labelled...)
		assertPassed(t, r, s.URN(tPoolProvider, "github-oidc"), pOIDCOnly, pAttrCondition)
		assertPassed(t, r, s.URN(tSAIAMMember, "deployer-wif"), pPoolWide, pBroadImpersonate, pPrimitiveRoles)
		assertPassed(t, r, s.DefaultProviderURN(), pProviderCreds, pLabelFormat)
	}
	for _, name := range []string{"worker-dataflow-worker", "deployer-dataflow-developer"} {
		assertPassed(t, up, s.URN(tProjIAMMember, name), grant...)
	}
	assertPassed(t, up, s.URN(tBucketMember, "worker-temp-objects"), grant...)
	assertPassed(t, up, s.URN(tSAIAMMember, "deployer-acts-as-worker"), grant...)
	assertStackPassed(t, up, pWorkerLeastPriv, pDeployerLeastPriv, pLabelConsistency, pAuditLogging,
		pCMEK, pStagingBucket)
	t.Logf("preview stack summary: %+v", pre.StackSummaries)
	// The summary names each pack by an engine-internal key (name|local|path).
	require.Len(t, up.PolicyPacks, 1)
	for key, version := range up.PolicyPacks {
		assert.True(t, strings.HasPrefix(key, "dataflow-guardrails|"), key)
		assert.Equal(t, harness.PackVersion(t), version)
	}
}

// insecureFindings are scenario 2's expected mandatory findings.
func insecureFindings(s *harness.Stack) []expect {
	return []expect{
		{pNoKeys, s.URN(tKey, "ci-deployer-key")},
		{pPrimitiveRoles, s.URN(tProjIAMMember, "worker-editor")},
		{pRequiredLabels, s.URN(tBucket, "dataflow-temp")},
		{pPublicMembers, s.URN(tBucketMember, "public-read")},
		{pAttrCondition, s.URN(tPoolProvider, "github-any-repo")},
		{pNoExclusions, s.URN(tExclusion, "drop-dataflow-logs")},
		{pDedicatedWorker, s.URN(tJob, "events-to-bigquery")},
		{pRequiredLabels, s.URN(tJob, "events-to-bigquery")},
	}
}

// Scenario 2: an insecure stack. Preview fails with every expected policy on
// the expected URN; up fails and creates none of the violating resources.
func TestInsecureStack(t *testing.T) {
	env := harness.NewEnv(t)
	s := env.NewStack(t, project, "insecure", insecureProgram, baseConfig())
	want := insecureFindings(s)

	pre := s.Preview(t)
	logFindings(t, pre)
	requireFailed(t, pre)
	assert.Contains(t, pre.Err.Error(), "preview failed")
	assertFindings(t, pre, "mandatory", want)

	up := s.Up(t)
	logFindings(t, up)
	requireFailed(t, up)
	var violating []string
	for _, w := range want {
		// Whether an exclusion drops logs that nothing else stores is a
		// judgement over the whole stack (Google's data-residency recipe
		// has the very same exclusion), made once every resource is
		// registered: preview stops it, up may have created it by then.
		if w.urn == s.URN(tExclusion, "drop-dataflow-logs") {
			continue
		}
		violating = append(violating, w.urn)
	}
	assertNotCreated(t, up, violating...)
	// Up stops at the first invalid resource, so it reports a subset of them.
	require.NotEmpty(t, up.Mandatory(), "up failed without a policy violation\n%s", up.Dump())
	for _, f := range up.Mandatory() {
		assert.Contains(t, want, expect{f.Policy, f.URN}, "up reported an unexpected %s", f)
	}
}

// Scenario 3: unknowns. The job's service account email comes from an Account
// of the same program and a label value from its output. Preview neither
// crashes nor reports a false mandatory violation, only unknown advisories;
// up checks the known values: a compliant value passes, a non-compliant
// computed label (the raw email) fails at update time.
func TestUnknownsAtPreview(t *testing.T) {
	env := harness.NewEnv(t)

	t.Run("compliant", func(t *testing.T) {
		s := env.NewStack(t, project, "unknowns", unknownsProgram(project, "unknowns", false), baseConfig())
		jobURN := s.URN(tJob, "events-to-bigquery")

		pre := s.Preview(t)
		logFindings(t, pre)
		requireOK(t, pre)
		assert.Empty(t, pre.Mandatory())
		assertOnlyUnknowns(t, pre, pDedicatedWorker, pRequiredLabels, pLabelFormat)
		unknown := pre.ViolationsOf(pDedicatedWorker, jobURN)
		require.Len(t, unknown, 1, "the unknown serviceAccountEmail must be reported as advisory\n%s", pre.Dump())
		assert.True(t, harness.IsUnknownFinding(unknown[0]), unknown[0].Message)
		assert.Contains(t, unknown[0].Message, "serviceAccountEmail")

		up := s.Up(t)
		logFindings(t, up)
		requireOK(t, up)
		assert.Empty(t, up.Mandatory())
		assert.Empty(t, up.Known(pDedicatedWorker, pRequiredLabels, pLabelFormat), up.Dump())
		assertPassed(t, up, jobURN, pDedicatedWorker, pRequiredLabels, pLabelFormat)
		job, ok := up.Created(jobURN)
		require.True(t, ok, "the job was not created")
		assert.Equal(t, workerEmail, job.Inputs["serviceAccountEmail"])
		assert.Equal(t, "etl-worker", harness.StringMap(job.Inputs, "labels")["owner"])
	})

	t.Run("non-compliant computed label", func(t *testing.T) {
		s := env.NewStack(t, project, "unknowns-bad", unknownsProgram(project, "unknowns-bad", true), baseConfig())
		jobURN := s.URN(tJob, "events-to-bigquery")

		pre := s.Preview(t)
		logFindings(t, pre)
		requireOK(t, pre)
		assert.Empty(t, pre.Mandatory())
		assertOnlyUnknowns(t, pre, pDedicatedWorker, pRequiredLabels, pLabelFormat)
		require.NotEmpty(t, pre.ViolationsOf(pLabelFormat, jobURN),
			"the unknown label value must be reported as advisory\n%s", pre.Dump())

		up := s.Up(t)
		logFindings(t, up)
		requireFailed(t, up)
		assertFindings(t, up, "mandatory", []expect{{pLabelFormat, jobURN}})
		assert.Equal(t, []harness.Finding{{Level: "mandatory", Policy: pLabelFormat, URN: jobURN}}, up.Mandatory())
		assertNotCreated(t, up, jobURN)
		_, ok := up.Created(s.URN(tAccount, "etl-worker"))
		assert.True(t, ok, "the account must be created before the job is checked")
	})
}

// Scenario 4: --policy-pack-config. A v1 file downgrades a policy to advisory;
// a v2 file excepts one URN; an invalid value fails with the engine's schema
// validation message naming the policy.
func TestPolicyPackConfig(t *testing.T) {
	env := harness.NewEnv(t)
	s := env.NewStack(t, project, "config", defaultSAJobsProgram(project, "config"), baseConfig())
	legacy, nightly := s.URN(tJob, "legacy-job"), s.URN(tJob, "nightly-job")

	t.Run("default is mandatory", func(t *testing.T) {
		pre := s.Preview(t)
		requireFailed(t, pre)
		assertFindings(t, pre, "mandatory", []expect{{pDedicatedWorker, legacy}, {pDedicatedWorker, nightly}})
	})

	t.Run("v1 downgrade to advisory", func(t *testing.T) {
		cfg := env.WriteFile(t, "v1.json", `{"`+pDedicatedWorker+`": "advisory"}`)
		pre := s.Preview(t, harness.PolicyConfig(cfg))
		logFindings(t, pre)
		requireOK(t, pre)
		assert.Empty(t, pre.Mandatory())
		assertFindings(t, pre, "advisory", []expect{{pDedicatedWorker, legacy}, {pDedicatedWorker, nightly}})
	})

	t.Run("v2 exception for one URN", func(t *testing.T) {
		cfg := env.WriteFile(t, "v2.json", `{"version": 2, "exceptions": {"EXC-1": {
			"reason": "legacy job, migrating to a dedicated worker",
			"match": [{"policies": ["`+pDedicatedWorker+`"], "targets": ["`+legacy+`"]}]}}}`)
		pre := s.Preview(t, harness.PolicyConfig(cfg))
		logFindings(t, pre)
		requireFailed(t, pre) // the nightly job is not excepted
		excepted := pre.ViolationsOf(pDedicatedWorker, legacy)
		require.NotEmpty(t, excepted, pre.Dump())
		for _, v := range excepted {
			require.Len(t, v.Exceptions, 1)
			assert.Equal(t, "EXC-1", v.Exceptions[0].ID)
		}
		for _, v := range pre.ViolationsOf(pDedicatedWorker, nightly) {
			assert.Empty(t, v.Exceptions)
		}
		assert.Equal(t, []harness.Finding{{Level: "mandatory", Policy: pDedicatedWorker, URN: nightly}}, pre.Mandatory())
	})

	t.Run("disabled", func(t *testing.T) {
		cfg := env.WriteFile(t, "disabled.json", `{"`+pDedicatedWorker+`": "disabled"}`)
		pre := s.Preview(t, harness.PolicyConfig(cfg))
		requireOK(t, pre) // the engine crashes on a DISABLED diagnostic: none may be sent
		assert.Empty(t, pre.Mandatory(), pre.Dump())
		assert.Empty(t, pre.ViolationsOf(pDedicatedWorker, legacy))
		assert.Empty(t, pre.ViolationsOf(pDedicatedWorker, nightly))
		assert.NotContains(t, pre.Passed(legacy), pDedicatedWorker)
		assert.Contains(t, pre.Passed(legacy), pRequiredLabels)
	})

	t.Run("invalid value", func(t *testing.T) {
		cfg := env.WriteFile(t, "invalid.json", `{"`+pRequiredLabels+`": {"requiredLabels": "env"}}`)
		pre := s.Preview(t, harness.PolicyConfig(cfg))
		requireFailed(t, pre)
		text := pre.AllText()
		assert.Contains(t, text, "validating policy config: dataflow-guardrails "+harness.PackVersion(t))
		assert.Contains(t, text, pRequiredLabels+": requiredLabels: Invalid type. Expected: array, given: string")
		assert.Empty(t, pre.Violations)
	})
}

// Scenario 5: propagate-stack-labels at remediate adds pulumi-project and
// pulumi-stack to the job's and the auto-named bucket's labels, in preview
// and in what up asks the provider to create, leaving existing labels (and
// the secretness of a secret one) alone.
func TestRemediation(t *testing.T) {
	env := harness.NewEnv(t)
	const stack = "remediate"
	s := env.NewStack(t, project, stack, remediationProgram, baseConfig())
	cfg := env.WriteFile(t, "remediate.json", `{"`+pPropagateLabels+`": "remediate"}`)
	jobURN, bucketURN := s.URN(tJob, "events-to-bigquery"), s.URN(tBucket, "staging")
	before := map[string]map[string]string{
		jobURN:    {"env": "prod", "team": "data", "cost-center": "[secret]"},
		bucketURN: {"env": "prod", "team": "data"},
	}
	added := map[string]string{"pulumi-project": project, "pulumi-stack": stack}
	after := func(urn string) map[string]string {
		m := map[string]string{}
		for k, v := range before[urn] {
			m[k] = v
		}
		for k, v := range added {
			m[k] = v
		}
		return m
	}

	pre := s.Preview(t, harness.PolicyConfig(cfg))
	logFindings(t, pre)
	requireOK(t, pre)
	assert.Empty(t, pre.Mandatory(), pre.Dump())
	assert.Empty(t, pre.Known(pPropagateLabels, pRequiredLabels, pLabelFormat), pre.Dump())
	for _, urn := range []string{jobURN, bucketURN} {
		rems := pre.RemediationsOf(pPropagateLabels, urn)
		if assert.Len(t, rems, 1, "preview: no remediation of %s", urn) {
			assert.Equal(t, before[urn], harness.StringMap(rems[0].Before, "labels"))
			assert.Equal(t, after(urn), harness.StringMap(rems[0].After, "labels"), "remediated labels of %s", urn)
		}
		planned, ok := pre.PlannedInputs(urn)
		if assert.True(t, ok, "preview planned no step for %s", urn) {
			assert.Equal(t, after(urn), harness.StringMap(planned, "labels"), "preview's planned labels of %s", urn)
		}
	}

	up := s.Up(t, harness.PolicyConfig(cfg))
	logFindings(t, up)
	requireOK(t, up)
	assert.Empty(t, up.Mandatory(), up.Dump())
	assert.Empty(t, up.Known(pPropagateLabels, pRequiredLabels, pLabelFormat), up.Dump())
	for _, urn := range []string{jobURN, bucketURN} {
		assert.Len(t, up.RemediationsOf(pPropagateLabels, urn), 1, "up: no remediation of %s", urn)
	}
	bucket, ok := up.Created(bucketURN)
	require.True(t, ok, "the bucket was not created")
	assert.Equal(t, after(bucketURN), harness.StringMap(bucket.Inputs, "labels"))
	assert.Regexp(t, `^staging-[0-9a-f]{7}$`, bucket.Inputs["name"], "the bucket keeps its auto-name")
	job, ok := up.Created(jobURN)
	require.True(t, ok, "the job was not created")
	want := after(jobURN)
	want["cost-center"] = costCenter
	assert.Equal(t, want, harness.StringMap(job.Inputs, "labels"), "labels the provider received for the job")
	labels, _ := job.Inputs["labels"].(map[string]any)
	assert.True(t, harness.IsSecret(labels["cost-center"]), "the secret label stays secret: %v", labels["cost-center"])
	assert.Equal(t, "gs://"+bucket.Inputs["name"].(string)+"/tmp", job.Inputs["tempGcsLocation"])
	for _, r := range []*harness.Result{pre, up} {
		assert.NotContains(t, r.AllText(), costCenter, "%s: the secret label value leaked", r.Op)
	}
}

// Scenario 6: defaultLabels on an explicit provider satisfy required-labels
// for a job with no labels of its own; the same job on the default provider
// (no defaultLabels) does not pass.
func TestProviderDefaultLabels(t *testing.T) {
	env := harness.NewEnv(t)

	s := env.NewStack(t, project, "defaultlabels", defaultLabelsProgram(project, "defaultlabels", false), baseConfig())
	jobURN := s.URN(tJob, "events-to-bigquery")
	pre := s.Preview(t)
	logFindings(t, pre)
	requireOK(t, pre)
	assert.Empty(t, pre.Mandatory())
	assertOnlyUnknowns(t, pre, pRequiredLabels, pPropagateLabels, pLabelFormat, pProviderCreds)
	assertPassed(t, pre, jobURN, pRequiredLabels, pPropagateLabels, pLabelFormat)
	assertPassed(t, pre, s.URN(tGCPProvider, "labelled"), pLabelFormat, pProviderCreds)

	up := s.Up(t)
	logFindings(t, up)
	requireOK(t, up)
	assert.Empty(t, up.Mandatory())
	assert.Empty(t, up.Known(pRequiredLabels, pPropagateLabels, pLabelFormat, pProviderCreds), up.Dump())
	assertPassed(t, up, jobURN, pRequiredLabels, pPropagateLabels, pLabelFormat)
	job, ok := up.Created(jobURN)
	require.True(t, ok)
	assert.Nil(t, job.Inputs["labels"], "the job has no labels of its own")

	ctl := env.NewStack(t, project, "defaultlabels-control", defaultLabelsProgram(project, "defaultlabels-control", true), baseConfig())
	pre = ctl.Preview(t)
	logFindings(t, pre)
	requireFailed(t, pre)
	assert.Equal(t, []harness.Finding{{Level: "mandatory", Policy: pRequiredLabels,
		URN: ctl.URN(tJob, "unlabelled-default-provider")}}, pre.Mandatory())
	assertPassed(t, pre, ctl.URN(tJob, "events-to-bigquery"), pRequiredLabels)
}

// Scenario 7: secrets. A service account key JSON in the default provider's
// secret gcp:credentials config, a secret label value and a secret parameter:
// the right policies fire and no secret plaintext appears in any event,
// diagnostic or output, in preview or update.
func TestSecrets(t *testing.T) {
	env := harness.NewEnv(t)
	cfg := baseConfig()
	cfg["gcp:credentials"] = auto.ConfigValue{Value: fakeKeyJSON(credentialsKeyMarker), Secret: true}
	s := env.NewStack(t, project, "secrets", secretsProgram(project, "secrets"), cfg)
	jobURN := s.URN(tJob, "events-to-bigquery")
	markers := []string{credentialsKeyMarker, parameterKeyMarker, labelMarker, clientEmailMarker}

	for _, run := range []func(testing.TB, ...harness.Option) *harness.Result{s.Preview, s.Up} {
		r := run(t)
		logFindings(t, r)
		requireFailed(t, r)
		if r.Op == "preview" {
			assertFindings(t, r, "mandatory", []expect{
				{pProviderCreds, s.DefaultProviderURN()},
				{pLabelFormat, jobURN},
				{pInlineCreds, jobURN},
			})
		} else { // up stops at the first invalid resource: the provider
			require.NotEmpty(t, r.Mandatory(), r.Dump())
			assertNotCreated(t, r, jobURN)
		}
		text := r.AllText()
		for _, m := range markers {
			assert.NotContains(t, text, m, "%s: secret plaintext %q leaked", r.Op, m)
			for _, ev := range r.Events {
				data, _ := json.Marshal(ev.EngineEvent)
				if strings.Contains(string(data), m) {
					t.Errorf("%s: secret %q appears in event %s", r.Op, m, data)
				}
			}
		}
	}
}

// Scenario 8: dataflow-worker-least-privilege (a stack policy) reports on the
// granting resource's URN in preview and after up. Without a preview, up has
// already created the grant when the stack policy runs: only a preview can
// block a stack policy's violation before changes.
func TestStackPolicy(t *testing.T) {
	env := harness.NewEnv(t)
	s := env.NewStack(t, project, "stackpolicy", stackPolicyProgram(project, "stackpolicy"), baseConfig())
	bad := s.URN(tProjIAMMember, "worker-bigquery-admin")
	good := s.URN(tProjIAMMember, "worker-dataflow-worker")
	want := []harness.Finding{{Level: "mandatory", Policy: pWorkerLeastPriv, URN: bad}}

	pre := s.Preview(t)
	logFindings(t, pre)
	requireFailed(t, pre)
	assert.Equal(t, want, pre.Mandatory())
	assert.Empty(t, pre.ViolationsOf(pWorkerLeastPriv, good))
	assert.Empty(t, pre.ViolationsOf(pWorkerLeastPriv, s.StackURN()), "reported on the stack, not on the grant")

	up := s.Up(t)
	logFindings(t, up)
	requireFailed(t, up)
	assert.Equal(t, want, up.Mandatory())
	// The message names the role, the member and the job, in preview and after up.
	for _, r := range []*harness.Result{pre, up} {
		for _, v := range r.ViolationsOf(pWorkerLeastPriv, bad) {
			for _, part := range []string{`"roles/bigquery.admin"`, `"serviceAccount:` + workerEmail + `"`,
				`"events-to-bigquery"`, "roles/dataflow.worker"} {
				assert.Contains(t, v.Message, part, "%s: the message does not name %s", r.Op, part)
			}
		}
	}
	_, created := up.Created(bad)
	assert.True(t, created, "stack policies run after the update's changes")
	for _, sum := range up.StackSummaries {
		assert.Contains(t, sum.Failed, pWorkerLeastPriv)
	}
}

// Scenario 9: `pulumi policy analyze` over the state of the insecure stack
// (deployed without the pack) reports the same policies on the same URNs as
// the preview of scenario 2. It never calls ConfigureStack, and it reports
// remediations without applying them.
func TestPolicyAnalyze(t *testing.T) {
	env := harness.NewEnv(t)
	s := env.NewStack(t, project, "insecure", insecureProgram, baseConfig())
	deployed := s.Up(t, harness.WithoutPolicies())
	requireOK(t, deployed)
	require.Len(t, deployed.CreatedURNs(), 8)

	r := s.PolicyAnalyze(t)
	logFindings(t, r)
	requireFailed(t, r)
	assert.Contains(t, r.Stderr, "one or more mandatory policy violations were found")
	assertFindings(t, r, "mandatory", insecureFindings(s))
	// Project and stack come from the URNs when ConfigureStack is not called.
	var messages []string
	for _, v := range r.ViolationsOf(pPropagateLabels, s.URN(tJob, "events-to-bigquery")) {
		messages = append(messages, v.Message)
	}
	assert.Contains(t, strings.Join(messages, "\n"), `add it with value "`+s.Name+`"`)

	cfg := env.WriteFile(t, "remediate.json", `{"`+pPropagateLabels+`": "remediate"}`)
	r = s.PolicyAnalyze(t, harness.PolicyConfig(cfg))
	logFindings(t, r)
	rems := r.RemediationsOf(pPropagateLabels, s.URN(tJob, "events-to-bigquery"))
	if assert.Len(t, rems, 1, "policy analyze must report the remediation") {
		labels := harness.StringMap(rems[0].After, "labels")
		assert.Equal(t, project, labels["pulumi-project"])
		assert.Equal(t, s.Name, labels["pulumi-stack"])
	}
	state, err := s.Auto.Export(t.Context())
	require.NoError(t, err)
	assert.NotContains(t, string(state.Deployment), "pulumi-stack", "policy analyze must not change the state")
}

// Scenario 11 (issue 6): guardrails undone from inside the job. A
// FlexTemplateJob sets a dedicated worker on the resource but its template
// parameters smuggle serviceAccountEmail (the default compute account): a
// mandatory dataflow-no-guarded-option-overrides violation that fails the
// preview. A Data Pipeline's launch environment sets no ipConfiguration, so
// its workers get public IPs: an advisory dataflow-private-ips finding. Each
// resource passes the other's policy, and up creates neither the flex job
// nor anything after it.
func TestHardening(t *testing.T) {
	env := harness.NewEnv(t)
	s := env.NewStack(t, project, "hardening", hardeningProgram(project, "hardening"), baseConfig())
	flex, pipeline := s.URN(tFlexJob, "enrich-events"), s.URN(tPipeline, "nightly-wordcount")

	pre := s.Preview(t)
	logFindings(t, pre)
	requireFailed(t, pre)
	assert.Equal(t, []harness.Finding{{Level: "mandatory", Policy: pGuardedOptions, URN: flex}}, pre.Mandatory())
	smuggled := pre.ViolationsOf(pGuardedOptions, flex)
	if assert.Len(t, smuggled, 1, pre.Dump()) {
		assert.Contains(t, smuggled[0].Message, "parameters.serviceAccountEmail")
		assert.NotContains(t, smuggled[0].Message, defaultSA, "the message names the option, not its value")
	}
	assert.Equal(t, []harness.Finding{
		{Level: "advisory", Policy: pPrivateIPs, URN: pipeline},
		{Level: "mandatory", Policy: pGuardedOptions, URN: flex},
	}, pre.Findings(), "exactly the two findings")
	public := pre.ViolationsOf(pPrivateIPs, pipeline)
	if assert.Len(t, public, 1, pre.Dump()) {
		assert.Contains(t, public[0].Message, "workload.dataflowLaunchTemplateRequest.launchParameters.environment.ipConfiguration")
	}
	// The near misses: what each resource gets right passes.
	assertPassed(t, pre, flex, pPrivateIPs, pDedicatedWorker, pSubnetwork, pRequiredLabels)
	assertPassed(t, pre, pipeline, pGuardedOptions, pDedicatedWorker, pSubnetwork, pPropagateLabels)

	up := s.Up(t)
	logFindings(t, up)
	requireFailed(t, up)
	assertNotCreated(t, up, flex)
	for _, f := range up.Mandatory() {
		assert.Equal(t, harness.Finding{Level: "mandatory", Policy: pGuardedOptions, URN: flex}, f)
	}
}

// Scenario 12 (issue 12, classes 1 and 2): the trust anchor and the CEL
// reading of conditions, in the engine. A GitHub provider with an uploaded
// key set fails wif-provider-oidc-only; one whose owner pin sits in a `//`
// comment fails wif-provider-attribute-condition; the provider with comments
// around a real pin passes both. Up creates none of the two.
func TestFederationTrustAnchors(t *testing.T) {
	env := harness.NewEnv(t)
	s := env.NewStack(t, project, "trust", trustAnchorProgram, baseConfig())
	uploaded, commentedOut, commented := s.URN(tPoolProvider, "uploaded-keys"), s.URN(tPoolProvider, "commented-out-pin"), s.URN(tPoolProvider, "commented-pin")

	pre := s.Preview(t)
	logFindings(t, pre)
	requireFailed(t, pre)
	assert.Equal(t, []harness.Finding{
		{Level: "mandatory", Policy: pAttrCondition, URN: commentedOut},
		{Level: "mandatory", Policy: pOIDCOnly, URN: uploaded},
	}, pre.Mandatory(), pre.Dump())
	if keys := pre.ViolationsOf(pOIDCOnly, uploaded); assert.Len(t, keys, 1, pre.Dump()) {
		assert.Contains(t, keys[0].Message, "oidc.jwksJson")
	}
	if pins := pre.ViolationsOf(pAttrCondition, commentedOut); assert.Len(t, pins, 1, pre.Dump()) {
		assert.Contains(t, pins[0].Message, "does not pin a GitHub repository owner")
	}
	assertPassed(t, pre, commented, pOIDCOnly, pAttrCondition)
	assertPassed(t, pre, uploaded, pAttrCondition)
	assertPassed(t, pre, commentedOut, pOIDCOnly)

	up := s.Up(t)
	logFindings(t, up)
	requireFailed(t, up)
	assertNotCreated(t, up, uploaded, commentedOut)
}

// Scenario 13 (issue 17): least privilege from the pipeline's own inputs. A
// worker with roles/pubsub.subscriber on the whole project gets an advisory,
// in preview and after up, naming the one subscription its job reads as the
// grant to make instead; the project-level roles/dataflow.worker passes.
func TestGrantsFollowIO(t *testing.T) {
	const pGrantsFollowIO = "dataflow-worker-grants-follow-io"
	env := harness.NewEnv(t)
	s := env.NewStack(t, project, "grantsio", grantsFollowIOProgram(project, "grantsio"), baseConfig())
	wide, nature := s.URN(tProjIAMMember, "worker-project-subscriber"), s.URN(tProjIAMMember, "worker-dataflow-worker")

	pre := s.Preview(t)
	logFindings(t, pre)
	requireOK(t, pre)
	up := s.Up(t)
	logFindings(t, up)
	requireOK(t, up)
	for _, r := range []*harness.Result{pre, up} {
		got := r.ViolationsOf(pGrantsFollowIO, wide)
		if assert.Len(t, got, 1, "%s\n%s", r.Op, r.Dump()) {
			assert.Equal(t, "advisory", got[0].EnforcementLevel)
			for _, part := range []string{`"roles/pubsub.subscriber"`, `"serviceAccount:` + workerEmail + `"`,
				`job "events-to-bigquery"`,
				`roles/pubsub.subscriber on subscription "projects/` + gcpProject + `/subscriptions/events-dataflow"`} {
				assert.Contains(t, got[0].Message, part, "%s: the message does not name %s", r.Op, part)
			}
		}
		assert.Empty(t, r.ViolationsOf(pGrantsFollowIO, nature), "%s: roles/dataflow.worker is project-level by nature", r.Op)
		for _, f := range r.Findings() {
			if f.Policy == pGrantsFollowIO {
				assert.Equal(t, harness.Finding{Level: "advisory", Policy: pGrantsFollowIO, URN: wide}, f, "%s: one finding", r.Op)
			}
		}
	}
	_, created := up.Created(wide)
	assert.True(t, created, "an advisory does not stop the update")
}
