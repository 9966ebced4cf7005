package engine

import (
	"strings"

	"github.com/pulumi/pulumi-gcp/sdk/v9/go/gcp"
	"github.com/pulumi/pulumi-gcp/sdk/v9/go/gcp/dataflow"
	"github.com/pulumi/pulumi-gcp/sdk/v9/go/gcp/iam"
	"github.com/pulumi/pulumi-gcp/sdk/v9/go/gcp/kms"
	"github.com/pulumi/pulumi-gcp/sdk/v9/go/gcp/logging"
	"github.com/pulumi/pulumi-gcp/sdk/v9/go/gcp/projects"
	"github.com/pulumi/pulumi-gcp/sdk/v9/go/gcp/serviceaccount"
	"github.com/pulumi/pulumi-gcp/sdk/v9/go/gcp/storage"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The programs below are Automation API inline programs written with the
// real pulumi-gcp Go SDK v9.6.0, so property names are exactly the provider's.
// Only a handful of SDK packages are imported: each costs minutes of compile
// time (compute, the largest, is avoided by naming the subnetwork by its
// self-link).

const (
	gcpProject     = "etl-prod-1234"
	gcpRegion      = "europe-west1"
	workerEmail    = "etl-worker@" + gcpProject + ".iam.gserviceaccount.com"
	defaultSA      = "123456789012-compute@developer.gserviceaccount.com"
	template       = "gs://dataflow-templates-europe-west1/latest/PubSub_Subscription_to_BigQuery"
	subnetwork     = "regions/europe-west1/subnetworks/dataflow-europe-west1"
	githubIssuer   = "https://token.actions.githubusercontent.com"
	deployerPrinc  = "principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/attribute.repository/acme/etl"
	dataflowAgent  = "serviceAccount:service-123456789012@dataflow-service-producer-prod.iam.gserviceaccount.com"
	tempBucketName = gcpProject + "-dataflow-temp"
	kmsKeyName     = "projects/" + gcpProject + "/locations/" + gcpRegion + "/keyRings/dataflow/cryptoKeys/jobs"
)

// stackLabels are the labels every compliant resource carries: the mandatory
// env and team, and the pulumi-project / pulumi-stack labels that
// propagate-stack-labels asks for.
func stackLabels(project, stack string) pulumi.StringMap {
	return pulumi.StringMap{
		"env": pulumi.String("prod"), "team": pulumi.String("data"),
		"pulumi-project": pulumi.String(project), "pulumi-stack": pulumi.String(stack),
	}
}

func jobParameters() pulumi.StringMap {
	return pulumi.StringMap{
		"inputSubscription": pulumi.String("projects/" + gcpProject + "/subscriptions/events-dataflow"),
		"outputTableSpec":   pulumi.String(gcpProject + ":analytics.events"),
	}
}

// compliantProgram is scenario 1: a Dataflow stack that satisfies every
// policy, with the identities wired through provider-computed outputs
// (emails, members and ids are unknown during preview).
func compliantProgram(project, stack string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		labels := stackLabels(project, stack)
		worker, err := serviceaccount.NewAccount(ctx, "etl-worker", &serviceaccount.AccountArgs{
			AccountId: pulumi.String("etl-worker"), DisplayName: pulumi.String("ETL Dataflow workers"),
		})
		if err != nil {
			return err
		}
		if _, err := projects.NewIAMMember(ctx, "worker-dataflow-worker", &projects.IAMMemberArgs{
			Project: pulumi.String(gcpProject), Role: pulumi.String("roles/dataflow.worker"), Member: worker.Member,
		}); err != nil {
			return err
		}

		deployer, err := serviceaccount.NewAccount(ctx, "etl-deployer", &serviceaccount.AccountArgs{
			AccountId: pulumi.String("etl-deployer"), DisplayName: pulumi.String("ETL CI deployer"),
		})
		if err != nil {
			return err
		}
		pool, err := iam.NewWorkloadIdentityPool(ctx, "github", &iam.WorkloadIdentityPoolArgs{
			WorkloadIdentityPoolId: pulumi.String("github"), DisplayName: pulumi.String("GitHub Actions"),
		})
		if err != nil {
			return err
		}
		if _, err := iam.NewWorkloadIdentityPoolProvider(ctx, "github-oidc", &iam.WorkloadIdentityPoolProviderArgs{
			WorkloadIdentityPoolId:         pool.WorkloadIdentityPoolId,
			WorkloadIdentityPoolProviderId: pulumi.String("github-oidc"),
			AttributeMapping: pulumi.StringMap{
				"google.subject":                pulumi.String("assertion.sub"),
				"attribute.repository":          pulumi.String("assertion.repository"),
				"attribute.repository_owner_id": pulumi.String("assertion.repository_owner_id"),
			},
			AttributeCondition: pulumi.String("assertion.repository_owner_id == '4242424' && assertion.repository == 'acme/etl'"),
			Oidc:               &iam.WorkloadIdentityPoolProviderOidcArgs{IssuerUri: pulumi.String(githubIssuer)},
		}); err != nil {
			return err
		}
		if _, err := serviceaccount.NewIAMMember(ctx, "deployer-wif", &serviceaccount.IAMMemberArgs{
			ServiceAccountId: deployer.Name, Role: pulumi.String("roles/iam.workloadIdentityUser"),
			Member: pulumi.String(deployerPrinc),
		}); err != nil {
			return err
		}
		if _, err := projects.NewIAMMember(ctx, "deployer-dataflow-developer", &projects.IAMMemberArgs{
			Project: pulumi.String(gcpProject), Role: pulumi.String("roles/dataflow.developer"), Member: deployer.Member,
		}); err != nil {
			return err
		}
		if _, err := serviceaccount.NewIAMMember(ctx, "deployer-acts-as-worker", &serviceaccount.IAMMemberArgs{
			ServiceAccountId: worker.Name, Role: pulumi.String("roles/iam.serviceAccountUser"), Member: deployer.Member,
		}); err != nil {
			return err
		}
		if _, err := projects.NewIAMAuditConfig(ctx, "dataflow-audit", &projects.IAMAuditConfigArgs{
			Project: pulumi.String(gcpProject), Service: pulumi.String("dataflow.googleapis.com"),
			AuditLogConfigs: projects.IAMAuditConfigAuditLogConfigArray{
				&projects.IAMAuditConfigAuditLogConfigArgs{LogType: pulumi.String("ADMIN_READ")},
				&projects.IAMAuditConfigAuditLogConfigArgs{LogType: pulumi.String("DATA_READ")},
				&projects.IAMAuditConfigAuditLogConfigArgs{LogType: pulumi.String("DATA_WRITE")},
			},
		}); err != nil {
			return err
		}

		ring, err := kms.NewKeyRing(ctx, "dataflow", &kms.KeyRingArgs{
			Name: pulumi.String("dataflow"), Location: pulumi.String(gcpRegion),
		})
		if err != nil {
			return err
		}
		key, err := kms.NewCryptoKey(ctx, "dataflow", &kms.CryptoKeyArgs{
			Name: pulumi.String("dataflow"), KeyRing: ring.ID().ToStringOutput(),
			RotationPeriod: pulumi.String("7776000s"), Labels: labels,
		})
		if err != nil {
			return err
		}
		if _, err := kms.NewCryptoKeyIAMMember(ctx, "dataflow-agent-uses-key", &kms.CryptoKeyIAMMemberArgs{
			CryptoKeyId: key.ID().ToStringOutput(), Role: pulumi.String("roles/cloudkms.cryptoKeyEncrypterDecrypter"),
			Member: pulumi.String(dataflowAgent),
		}); err != nil {
			return err
		}

		logs, err := storage.NewBucket(ctx, "access-logs", &storage.BucketArgs{
			Name: pulumi.String(gcpProject + "-access-logs"), Location: pulumi.String("EUROPE-WEST1"),
			UniformBucketLevelAccess: pulumi.Bool(true), PublicAccessPrevention: pulumi.String("enforced"),
			Labels: labels,
		})
		if err != nil {
			return err
		}
		temp, err := storage.NewBucket(ctx, "dataflow-temp", &storage.BucketArgs{
			Name: pulumi.String(tempBucketName), Location: pulumi.String("EUROPE-WEST1"),
			UniformBucketLevelAccess: pulumi.Bool(true), PublicAccessPrevention: pulumi.String("enforced"),
			Versioning: &storage.BucketVersioningArgs{Enabled: pulumi.Bool(true)},
			Logging:    &storage.BucketLoggingArgs{LogBucket: logs.Name},
			Encryption: &storage.BucketEncryptionArgs{DefaultKmsKeyName: key.ID().ToStringOutput()},
			Labels:     labels,
		})
		if err != nil {
			return err
		}
		if _, err := storage.NewBucketIAMMember(ctx, "worker-temp-objects", &storage.BucketIAMMemberArgs{
			Bucket: temp.Name, Role: pulumi.String("roles/storage.objectUser"), Member: worker.Member,
		}); err != nil {
			return err
		}

		_, err = dataflow.NewJob(ctx, "events-to-bigquery", &dataflow.JobArgs{
			Name: pulumi.String("events-to-bigquery"), Region: pulumi.String(gcpRegion),
			Project: pulumi.String(gcpProject), TemplateGcsPath: pulumi.String(template),
			TempGcsLocation:     pulumi.Sprintf("gs://%s/tmp", temp.Name),
			ServiceAccountEmail: worker.Email,
			IpConfiguration:     pulumi.String("WORKER_IP_PRIVATE"),
			Subnetwork:          pulumi.String(subnetwork),
			KmsKeyName:          key.ID().ToStringOutput(),
			MaxWorkers:          pulumi.Int(4),
			Parameters:          jobParameters(),
			Labels:              labels,
			OnDelete:            pulumi.String("drain"),
		})
		return err
	}
}

// insecureProgram is scenario 2 (and 9): one violation per family.
func insecureProgram(ctx *pulumi.Context) error {
	worker, err := serviceaccount.NewAccount(ctx, "etl-worker", &serviceaccount.AccountArgs{
		AccountId: pulumi.String("etl-worker"), Project: pulumi.String(gcpProject),
	})
	if err != nil {
		return err
	}
	if _, err := serviceaccount.NewKey(ctx, "ci-deployer-key", &serviceaccount.KeyArgs{
		ServiceAccountId: worker.Name, PrivateKeyType: pulumi.String("TYPE_GOOGLE_CREDENTIALS_FILE"),
	}); err != nil {
		return err
	}
	if _, err := projects.NewIAMMember(ctx, "worker-editor", &projects.IAMMemberArgs{
		Project: pulumi.String(gcpProject), Role: pulumi.String("roles/editor"), Member: worker.Member,
	}); err != nil {
		return err
	}
	temp, err := storage.NewBucket(ctx, "dataflow-temp", &storage.BucketArgs{
		Name: pulumi.String(tempBucketName), Location: pulumi.String("EU"),
		Labels: pulumi.StringMap{"env": pulumi.String("prod")},
	})
	if err != nil {
		return err
	}
	if _, err := storage.NewBucketIAMMember(ctx, "public-read", &storage.BucketIAMMemberArgs{
		Bucket: temp.Name, Role: pulumi.String("roles/storage.objectViewer"), Member: pulumi.String("allUsers"),
	}); err != nil {
		return err
	}
	if _, err := iam.NewWorkloadIdentityPoolProvider(ctx, "github-any-repo", &iam.WorkloadIdentityPoolProviderArgs{
		WorkloadIdentityPoolId:         pulumi.String("github"),
		WorkloadIdentityPoolProviderId: pulumi.String("github-any-repo"),
		AttributeMapping:               pulumi.StringMap{"google.subject": pulumi.String("assertion.sub")},
		Oidc:                           &iam.WorkloadIdentityPoolProviderOidcArgs{IssuerUri: pulumi.String(githubIssuer)},
	}); err != nil {
		return err
	}
	if _, err := logging.NewProjectExclusion(ctx, "drop-dataflow-logs", &logging.ProjectExclusionArgs{
		Name: pulumi.String("drop-dataflow-logs"), Filter: pulumi.String(`resource.type="dataflow_step"`),
	}); err != nil {
		return err
	}
	_, err = dataflow.NewJob(ctx, "events-to-bigquery", &dataflow.JobArgs{
		Name: pulumi.String("events-to-bigquery"), Region: pulumi.String(gcpRegion),
		TemplateGcsPath: pulumi.String(template), TempGcsLocation: pulumi.String("gs://" + tempBucketName + "/tmp"),
		ServiceAccountEmail: pulumi.String(defaultSA),
		Parameters:          jobParameters(),
	})
	return err
}

// unknownsProgram is scenario 3: the job's service account email comes from
// an Account of the same program, and a label value from another resource's
// output. With badLabel the label carries the raw email, which is not a valid
// label value: only known at update time.
func unknownsProgram(project, stack string, badLabel bool) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		worker, err := serviceaccount.NewAccount(ctx, "etl-worker", &serviceaccount.AccountArgs{
			AccountId: pulumi.String("etl-worker"),
		})
		if err != nil {
			return err
		}
		labels := stackLabels(project, stack)
		if badLabel {
			labels["owner"] = worker.Email
		} else {
			labels["owner"] = worker.Email.ApplyT(func(email string) string {
				local, _, _ := strings.Cut(email, "@")
				return local
			}).(pulumi.StringOutput)
		}
		_, err = dataflow.NewJob(ctx, "events-to-bigquery", &dataflow.JobArgs{
			Name: pulumi.String("events-to-bigquery"), Region: pulumi.String(gcpRegion),
			TemplateGcsPath: pulumi.String(template), TempGcsLocation: pulumi.String("gs://" + tempBucketName + "/tmp"),
			ServiceAccountEmail: worker.Email,
			IpConfiguration:     pulumi.String("WORKER_IP_PRIVATE"),
			Subnetwork:          pulumi.String(subnetwork),
			Parameters:          jobParameters(),
			Labels:              labels,
		})
		return err
	}
}

// defaultSAJobsProgram is scenario 4: two labelled jobs that both run as the
// Compute Engine default service account.
func defaultSAJobsProgram(project, stack string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		for _, name := range []string{"legacy-job", "nightly-job"} {
			if _, err := dataflow.NewJob(ctx, name, &dataflow.JobArgs{
				Name: pulumi.String(name), Region: pulumi.String(gcpRegion),
				TemplateGcsPath: pulumi.String(template), TempGcsLocation: pulumi.String("gs://" + tempBucketName + "/tmp"),
				ServiceAccountEmail: pulumi.String(defaultSA),
				IpConfiguration:     pulumi.String("WORKER_IP_PRIVATE"),
				Subnetwork:          pulumi.String(subnetwork),
				Labels:              stackLabels(project, stack),
			}); err != nil {
				return err
			}
		}
		return nil
	}
}

// costCenter is scenario 5's secret label value.
const costCenter = "cc-secret-label-marker"

// remediationProgram is scenario 5: a job and an auto-named bucket that carry
// env and team but not the stack labels; the job also has a secret label.
func remediationProgram(ctx *pulumi.Context) error {
	bucket, err := storage.NewBucket(ctx, "staging", &storage.BucketArgs{
		Location: pulumi.String("EUROPE-WEST1"), UniformBucketLevelAccess: pulumi.Bool(true),
		PublicAccessPrevention: pulumi.String("enforced"),
		Labels:                 pulumi.StringMap{"env": pulumi.String("prod"), "team": pulumi.String("data")},
	})
	if err != nil {
		return err
	}
	_, err = dataflow.NewJob(ctx, "events-to-bigquery", &dataflow.JobArgs{
		Name: pulumi.String("events-to-bigquery"), Region: pulumi.String(gcpRegion),
		TemplateGcsPath: pulumi.String(template), TempGcsLocation: pulumi.Sprintf("gs://%s/tmp", bucket.Name),
		ServiceAccountEmail: pulumi.String(workerEmail),
		IpConfiguration:     pulumi.String("WORKER_IP_PRIVATE"),
		Subnetwork:          pulumi.String(subnetwork),
		Labels: pulumi.StringMap{
			"env": pulumi.String("prod"), "team": pulumi.String("data"),
			"cost-center": pulumi.ToSecret(pulumi.String(costCenter)).(pulumi.StringOutput),
		},
	})
	return err
}

// defaultLabelsProgram is scenario 6: an explicit provider whose
// defaultLabels carry every label a job with no labels of its own needs.
// withControl adds the same job on the default provider, which has none.
func defaultLabelsProgram(project, stack string, withControl bool) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		prov, err := gcp.NewProvider(ctx, "labelled", &gcp.ProviderArgs{
			Project: pulumi.String(gcpProject), Region: pulumi.String(gcpRegion),
			DefaultLabels: stackLabels(project, stack),
		})
		if err != nil {
			return err
		}
		job := func(name string, opts ...pulumi.ResourceOption) error {
			_, err := dataflow.NewJob(ctx, name, &dataflow.JobArgs{
				Name: pulumi.String(name), Region: pulumi.String(gcpRegion),
				TemplateGcsPath: pulumi.String(template), TempGcsLocation: pulumi.String("gs://" + tempBucketName + "/tmp"),
				ServiceAccountEmail: pulumi.String(workerEmail),
				IpConfiguration:     pulumi.String("WORKER_IP_PRIVATE"),
				Subnetwork:          pulumi.String(subnetwork),
				Parameters:          jobParameters(),
			}, opts...)
			return err
		}
		if err := job("events-to-bigquery", pulumi.Provider(prov)); err != nil {
			return err
		}
		if withControl {
			return job("unlabelled-default-provider")
		}
		return nil
	}
}

// Markers of the secret values of scenario 7: none may appear in any output.
const (
	credentialsKeyMarker = "FAKE-KEY-FOR-TESTS-credentials-marker"
	parameterKeyMarker   = "FAKE-KEY-FOR-TESTS-parameter-marker"
	labelMarker          = "Secret-Label-Marker-Value"
	clientEmailMarker    = "ci-key-marker@" + gcpProject + ".iam.gserviceaccount.com"
)

// fakeKeyJSON is an obviously fake service account key.
func fakeKeyJSON(marker string) string {
	return `{"type": "service_account", "project_id": "` + gcpProject + `", "private_key_id": "0000",` +
		` "private_key": "-----BEGIN PRIVATE KEY-----\n` + marker + `\n-----END PRIVATE KEY-----\n",` +
		` "client_email": "` + clientEmailMarker + `"}`
}

// secretsProgram is scenario 7: a secret label value that breaks the label
// format rules and a secret parameter that holds a private key (the provider
// credentials come from the secret stack config gcp:credentials).
func secretsProgram(project, stack string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		labels := stackLabels(project, stack)
		labels["owner"] = pulumi.ToSecret(pulumi.String(labelMarker)).(pulumi.StringOutput)
		params := jobParameters()
		params["serviceAccountKey"] = pulumi.ToSecret(pulumi.String(
			"-----BEGIN PRIVATE KEY-----\n" + parameterKeyMarker + "\n-----END PRIVATE KEY-----\n")).(pulumi.StringOutput)
		_, err := dataflow.NewJob(ctx, "events-to-bigquery", &dataflow.JobArgs{
			Name: pulumi.String("events-to-bigquery"), Region: pulumi.String(gcpRegion),
			TemplateGcsPath: pulumi.String(template), TempGcsLocation: pulumi.String("gs://" + tempBucketName + "/tmp"),
			ServiceAccountEmail: pulumi.String(workerEmail),
			IpConfiguration:     pulumi.String("WORKER_IP_PRIVATE"),
			Subnetwork:          pulumi.String(subnetwork),
			Parameters:          params,
			Labels:              labels,
		})
		return err
	}
}

// workerWithGrants creates the worker account with roles/dataflow.worker on
// the project and one more project-level grant, extra (name, role).
func workerWithGrants(ctx *pulumi.Context, extra [2]string) error {
	if _, err := serviceaccount.NewAccount(ctx, "etl-worker", &serviceaccount.AccountArgs{
		AccountId: pulumi.String("etl-worker"),
	}); err != nil {
		return err
	}
	for _, grant := range [][2]string{{"worker-dataflow-worker", "roles/dataflow.worker"}, extra} {
		if _, err := projects.NewIAMMember(ctx, grant[0], &projects.IAMMemberArgs{
			Project: pulumi.String(gcpProject), Role: pulumi.String(grant[1]),
			Member: pulumi.String("serviceAccount:" + workerEmail),
		}); err != nil {
			return err
		}
	}
	return nil
}

// workerJobProgram is the worker of workerWithGrants and a compliant job
// that runs as it (and names it, so it is known at preview).
func workerJobProgram(project, stack string, extra [2]string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		if err := workerWithGrants(ctx, extra); err != nil {
			return err
		}
		_, err := dataflow.NewJob(ctx, "events-to-bigquery", &dataflow.JobArgs{
			Name: pulumi.String("events-to-bigquery"), Region: pulumi.String(gcpRegion),
			TemplateGcsPath: pulumi.String(template), TempGcsLocation: pulumi.String("gs://" + tempBucketName + "/tmp"),
			ServiceAccountEmail: pulumi.String(workerEmail),
			IpConfiguration:     pulumi.String("WORKER_IP_PRIVATE"),
			Subnetwork:          pulumi.String(subnetwork),
			Parameters:          jobParameters(),
			Labels:              stackLabels(project, stack),
		})
		return err
	}
}

// stackPolicyProgram is scenario 8: the worker (known at preview, named by
// the job) holds roles/dataflow.worker and, beyond its allowance,
// roles/bigquery.admin.
func stackPolicyProgram(project, stack string) pulumi.RunFunc {
	return workerJobProgram(project, stack, [2]string{"worker-bigquery-admin", "roles/bigquery.admin"})
}

// hardeningProgram is scenario 11 (issue 6): a FlexTemplateJob that is
// compliant in its own properties but whose template parameters smuggle a
// different worker service account (the Compute Engine default one), and a
// Data Pipeline whose launch environment sets no ipConfiguration, so its
// workers get public IPs. Every other guardrail holds for both.
func hardeningProgram(project, stack string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		_, err := dataflow.NewFlexTemplateJob(ctx, "enrich-events", &dataflow.FlexTemplateJobArgs{
			Name: pulumi.String("enrich-events"), Region: pulumi.String(gcpRegion), Project: pulumi.String(gcpProject),
			ContainerSpecGcsPath: pulumi.String("gs://" + gcpProject + "-templates/flex/enrich.json"),
			TempLocation:         pulumi.String("gs://" + tempBucketName + "/tmp"),
			ServiceAccountEmail:  pulumi.String(workerEmail),
			IpConfiguration:      pulumi.String("WORKER_IP_PRIVATE"),
			Subnetwork:           pulumi.String(subnetwork),
			KmsKeyName:           pulumi.String(kmsKeyName),
			Parameters: pulumi.StringMap{
				"inputSubscription":   pulumi.String("projects/" + gcpProject + "/subscriptions/events-dataflow"),
				"serviceAccountEmail": pulumi.String(defaultSA),
			},
			Labels: stackLabels(project, stack),
		})
		if err != nil {
			return err
		}
		_, err = dataflow.NewPipeline(ctx, "nightly-wordcount", &dataflow.PipelineArgs{
			Name: pulumi.String("nightly-wordcount"), Region: pulumi.String(gcpRegion), Project: pulumi.String(gcpProject),
			Type: pulumi.String("PIPELINE_TYPE_BATCH"), State: pulumi.String("STATE_ACTIVE"),
			Workload: &dataflow.PipelineWorkloadArgs{
				DataflowLaunchTemplateRequest: &dataflow.PipelineWorkloadDataflowLaunchTemplateRequestArgs{
					ProjectId: pulumi.String(gcpProject), Location: pulumi.String(gcpRegion),
					GcsPath: pulumi.String("gs://dataflow-templates-europe-west1/latest/Word_Count"),
					LaunchParameters: &dataflow.PipelineWorkloadDataflowLaunchTemplateRequestLaunchParametersArgs{
						JobName: pulumi.String("nightly-wordcount"),
						Parameters: pulumi.StringMap{
							"inputFile": pulumi.String("gs://" + gcpProject + "-in/*.txt"),
							"output":    pulumi.String("gs://" + gcpProject + "-out/wordcount"),
						},
						Environment: &dataflow.PipelineWorkloadDataflowLaunchTemplateRequestLaunchParametersEnvironmentArgs{
							ServiceAccountEmail:  pulumi.String(workerEmail),
							TempLocation:         pulumi.String("gs://" + tempBucketName + "/tmp"),
							Subnetwork:           pulumi.String(subnetwork),
							KmsKeyName:           pulumi.String(kmsKeyName),
							AdditionalUserLabels: stackLabels(project, stack),
						},
					},
				},
			},
		})
		return err
	}
}

// trustAnchorProgram is scenario 12 (issue 12, classes 1 and 2): a pool with
// three GitHub providers. One verifies tokens with an uploaded key set
// (whoever holds the private key mints tokens for any repository), one pins
// the owner only inside a CEL line comment, and the near miss pins the owner
// with comments around the pin, which is fine.
func trustAnchorProgram(ctx *pulumi.Context) error {
	pool, err := iam.NewWorkloadIdentityPool(ctx, "github", &iam.WorkloadIdentityPoolArgs{
		WorkloadIdentityPoolId: pulumi.String("github"), DisplayName: pulumi.String("GitHub Actions"),
	})
	if err != nil {
		return err
	}
	mapping := pulumi.StringMap{
		"google.subject":                pulumi.String("assertion.sub"),
		"attribute.repository_owner_id": pulumi.String("assertion.repository_owner_id"),
	}
	for _, p := range []struct{ name, condition, jwks string }{
		{"uploaded-keys", "assertion.repository_owner_id == '4242424'", `{"keys":[{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"}]}`},
		{"commented-out-pin", "assertion.sub != '' // && assertion.repository_owner_id == '4242424'", ""},
		{"commented-pin", "// acme only\nassertion.repository_owner_id == '4242424' // by ID", ""},
	} {
		oidc := &iam.WorkloadIdentityPoolProviderOidcArgs{IssuerUri: pulumi.String(githubIssuer)}
		if p.jwks != "" {
			oidc.JwksJson = pulumi.String(p.jwks)
		}
		if _, err := iam.NewWorkloadIdentityPoolProvider(ctx, p.name, &iam.WorkloadIdentityPoolProviderArgs{
			WorkloadIdentityPoolId:         pool.WorkloadIdentityPoolId,
			WorkloadIdentityPoolProviderId: pulumi.String(p.name),
			AttributeMapping:               mapping,
			AttributeCondition:             pulumi.String(p.condition),
			Oidc:                           oidc,
		}); err != nil {
			return err
		}
	}
	return nil
}

// grantsFollowIOProgram is scenario 13 (issue 17): a worker holds
// roles/pubsub.subscriber on the whole project, although its one job reads
// one subscription; its roles/dataflow.worker grant is project-level by
// nature.
func grantsFollowIOProgram(project, stack string) pulumi.RunFunc {
	return workerJobProgram(project, stack, [2]string{"worker-project-subscriber", "roles/pubsub.subscriber"})
}
