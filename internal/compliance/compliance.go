// Package compliance holds, as data, which compliance framework items each
// policy of the pack implements: a recommendation of the CIS Google Cloud
// Platform Foundation Benchmark (sent as PolicyInfo.framework) and NIST SP
// 800-53 Rev. 5 controls (sent as tags). Every entry names its source, and a
// policy with no honest mapping has none: a mapping is a claim auditors read.
package compliance

import (
	"sort"
	"strings"
)

// CIS benchmark the pack maps to. v4.0.0 is the newest version confirmed by
// three independent sources (Prowler's and Steampipe's CIS v4.0.0 mappings and
// Tenable's v4.0.0 audit file); a v5.0.0 appears in one secondary source only
// (Prowler's cis_5.0_gcp.json, June 2026) and renumbers section 1, so it is
// not claimed until the CIS document itself can be cited.
const (
	CISName    = "CIS Google Cloud Platform Foundation Benchmark"
	CISVersion = "v4.0.0"
	// CISTagPrefix tags a further CIS recommendation of the same version
	// beyond the one sent as the framework reference.
	CISTagPrefix = "cis-gcp-v4.0.0:"
	// NISTTagPrefix tags a NIST SP 800-53 Rev. 5 control, e.g. nist-800-53:AC-6.
	NISTTagPrefix = "nist-800-53:"
)

// Relation says how much of a framework item a policy enforces.
type Relation string

const (
	// Direct: the policy refuses, before deployment, what the item audits.
	Direct Relation = "direct"
	// Partial: the policy enforces part of what the item audits (a subset of
	// resources or of the settings).
	Partial Relation = "partial"
)

// Item is one CIS recommendation or NIST control a policy maps to.
type Item struct {
	ID       string   // CIS recommendation number ("1.4") or NIST control ("AC-6")
	Title    string   // as the framework words it
	Relation Relation // direct or partial (items merely "related" are not mapped)
	Source   string   // a key of Sources: where the mapping comes from
	Note     string   // why the mapping holds, when the source alone does not say
}

// Mapping is every framework item one policy maps to. CIS[0] is sent as the
// policy's PolicyInfo.framework; further CIS items and every NIST control
// are sent as tags.
type Mapping struct {
	CIS  []Item
	NIST []Item
}

// Framework is PolicyInfo.framework: the benchmark, its version, the
// recommendation number (reference) and its title (specification), the way
// Pulumi's own pre-built packs fill reference and specification.
type Framework struct {
	Name          string `json:"name"`
	Version       string `json:"version"`
	Reference     string `json:"reference"`
	Specification string `json:"specification"`
}

// Sources are the citations behind the mappings, by key.
var Sources = map[string]string{
	"cis-prowler": "CIS Google Cloud Platform Foundation Benchmark v4.0.0 recommendation titles and audit " +
		"procedures as carried by prowler-cloud/prowler prowler/compliance/gcp/cis_4.0_gcp.json " +
		"(@3e000faa3109230b748e4418a13c11c9e59f5cfb), titles cross-checked with turbot/steampipe-mod-gcp-compliance " +
		"cis_v400 (@3ac653021a284b68c69b14c75afa2ebc1feff665)",
	"cis-tenable": "Tenable audit item \"1.4 Ensure That There Are Only GCP-Managed Service Account Keys for Each " +
		"Service Account\", CIS_Google_Cloud_Platform_Foundation_v4.0.0_L1.audit, " +
		"https://www.tenable.com/audits/items/CIS_Google_Cloud_Platform_Foundation_v4.0.0_L1.audit:4692d4a3c2c411fdf0bc936700c09730",
	"pulumi-nist": "Pulumi's pre-built NIST SP 800-53 policy pack for Google Cloud, " +
		"https://www.pulumi.com/docs/reference/pre-built-policy-packs/nist/google-cloud/ (pulumi/docs " +
		"@819bc87f56d0c7143680536f4e0c7d92871b7868); it quotes Rev. 4 control titles, the control ids are the same in Rev. 5",
	"cloudaware": "Cloudaware CIS GCP v4.0.0 to NIST SP 800-53 Rev. 5 mappings, " +
		"https://ce.prod.cloudaware.com/assets/files/policy-d39e81df9e5422cd7f50d89eea6ca761.yaml/ and " +
		"https://ce.prod.cloudaware.com/assets/files/policy-39d92d8b0306fddc80d9e4c846e04166.yaml/",
	"google-iam-controls": "Google Cloud, IAM controls for generative AI use cases (related NIST-800-53 controls " +
		"per control), https://cloud.google.com/docs/security/security-best-practices-genai/iam-controls",
	"google-data-controls": "Google Cloud, Data management controls for generative AI use cases (BQ-CO-6.1, " +
		"related NIST-800-53 controls), https://docs.cloud.google.com/docs/security/security-best-practices-genai/data-management",
	"nist-catalog": "NIST SP 800-53 Rev. 5.1.1 control text (usnistgov/oscal-content " +
		"@88bb8deeaa815f8914d68ea7e31a622ebbc1719d, nist.gov/SP800-53/rev5), read against what the policy " +
		"enforces (the Note says why); https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",
}

// CIS v4.0.0 recommendations used below (numbers and titles as in v3.0.0).
var (
	cisSAKeys = Item{ID: "1.4", Title: "Ensure That There Are Only GCP-Managed Service Account Keys for Each Service Account",
		Source: "cis-tenable"}
	cisSANoAdmin    = Item{ID: "1.5", Title: "Ensure That Service Account Has No Admin Privileges", Source: "cis-prowler"}
	cisSAUserAtProj = Item{ID: "1.6", Title: "Ensure That IAM Users Are Not Assigned the Service Account User or " +
		"Service Account Token Creator Roles at Project Level", Source: "cis-prowler"}
	cisKMSPublic   = Item{ID: "1.9", Title: "Ensure That Cloud KMS Cryptokeys Are Not Anonymously or Publicly Accessible", Source: "cis-prowler"}
	cisAuditLog    = Item{ID: "2.1", Title: "Ensure That Cloud Audit Logging Is Configured Properly", Source: "cis-prowler"}
	cisDefaultSA   = Item{ID: "4.1", Title: "Ensure That Instances Are Not Configured To Use the Default Service Account", Source: "cis-prowler"}
	cisNoPublicIP  = Item{ID: "4.9", Title: "Ensure That Compute Instances Do Not Have Public IP Addresses", Source: "cis-prowler"}
	cisBucketPub   = Item{ID: "5.1", Title: "Ensure That Cloud Storage Bucket Is Not Anonymously or Publicly Accessible", Source: "cis-prowler"}
	cisBucketUBLA  = Item{ID: "5.2", Title: "Ensure That Cloud Storage Buckets Have Uniform Bucket-Level Access Enabled", Source: "cis-prowler"}
	cisBQDatasetPb = Item{ID: "7.1", Title: "Ensure That BigQuery Datasets Are Not Anonymously or Publicly Accessible", Source: "cis-prowler"}
)

// NIST SP 800-53 Rev. 5 control titles used below.
const (
	ac3  = "Access Enforcement"
	ac5  = "Separation of Duties"
	ac6  = "Least Privilege"
	au2  = "Event Logging"
	au9  = "Protection of Audit Information"
	au12 = "Audit Record Generation"
	cm6  = "Configuration Settings"
	cm8  = "System Component Inventory"
	ia5  = "Authenticator Management"
	ia8  = "Identification and Authentication (Non-organizational Users)"
	sc7  = "Boundary Protection"
	sc28 = "Protection of Information at Rest"
)

func with(i Item, r Relation, note string) Item { i.Relation, i.Note = r, note; return i }

func nist(id, title, source, note string) Item {
	return Item{ID: id, Title: title, Relation: Direct, Source: source, Note: note}
}

// byPolicy maps policy names to their frameworks. Policies absent here
// (labels-valid-format, wif-provider-oidc-only, dataflow-explicit-subnetwork,
// ...) have no mapping that would survive an auditor's reading.
var byPolicy = map[string]Mapping{
	"no-service-account-keys": {
		CIS:  []Item{with(cisSAKeys, Direct, "refuses user-managed service account keys before they exist")},
		NIST: []Item{nist("IA-5", ia5, "pulumi-nist", "Pulumi maps service-account-key to IA-5")},
	},
	"dataflow-dedicated-worker-service-account": {
		CIS: []Item{with(cisDefaultSA, Direct, "Dataflow workers are Compute Engine instances of the project; "+
			"a job without a worker service account runs them as the Compute Engine default service account, "+
			"which the 4.1 audit reports")},
		NIST: []Item{nist("AC-6", ac6, "nist-catalog", "the default compute service account is shared and "+
			"may hold Editor; a dedicated worker account holds only what the job needs")},
	},
	"required-labels": {
		NIST: []Item{nist("CM-8", cm8, "pulumi-nist", "Pulumi maps resource-labeling to CM-8")},
	},
	"iam-no-primitive-roles": {
		CIS: []Item{with(cisSANoAdmin, Partial, "refuses Owner and Editor for every member, service accounts "+
			"included; CIS 1.5 also covers *Admin roles, which this policy does not")},
		NIST: []Item{nist("AC-6", ac6, "pulumi-nist", "Pulumi maps iam-no-broad-roles to AC-6; Cloudaware maps CIS 1.5 to AC-6")},
	},
	"iam-no-public-members": {
		CIS: []Item{
			with(cisBucketPub, Direct, "refuses allUsers / allAuthenticatedUsers in bucket IAM and ACLs"),
			with(cisKMSPublic, Direct, "refuses allUsers / allAuthenticatedUsers on Cloud KMS keys"),
			with(cisBQDatasetPb, Direct, "refuses allUsers / allAuthenticatedUsers in BigQuery dataset access"),
		},
		NIST: []Item{nist("AC-3", ac3, "pulumi-nist", "Pulumi maps bucket-public-read-prohibited and "+
			"bigquery-dataset-public-access-check to AC-3; Google maps BQ-CO-6.1 to AC-3")},
	},
	"iam-no-broad-impersonation": {
		CIS: []Item{with(cisSAUserAtProj, Direct, "refuses Service Account User and Token Creator at project "+
			"level (and stricter: folder, organization and further impersonation roles)")},
		NIST: []Item{
			nist("AC-3", ac3, "cloudaware", "Cloudaware maps CIS 1.6 to AC-3, AC-5, AC-6"),
			nist("AC-5", ac5, "cloudaware", "Cloudaware maps CIS 1.6 to AC-3, AC-5, AC-6"),
			nist("AC-6", ac6, "cloudaware", "Cloudaware maps CIS 1.6 to AC-3, AC-5, AC-6"),
		},
	},
	"iam-no-default-service-account-grants": {
		NIST: []Item{
			nist("AC-3", ac3, "google-iam-controls", "Google maps IAM-CO-4.1 (no automatic grants to default "+
				"service accounts) to AC-3"),
			nist("AC-6", ac6, "nist-catalog", "default service accounts are shared by every workload that "+
				"does not name its own; a grant to them is a grant to all of those"),
		},
	},
	"iam-custom-role-no-escalation": {
		NIST: []Item{nist("AC-6", ac6, "pulumi-nist", "Pulumi maps iam-no-custom-role-excessive-permissions to AC-6")},
	},
	"iam-no-key-admin-roles": {
		NIST: []Item{nist("IA-5", ia5, "nist-catalog", "roles that mint service account or HMAC keys create "+
			"authenticators outside the managed lifecycle IA-5 asks for")},
	},
	"no-hmac-keys": {
		NIST: []Item{nist("IA-5", ia5, "nist-catalog", "an HMAC key is a long-lived authenticator of a service "+
			"account, like the service account keys Pulumi maps to IA-5")},
	},
	"dataflow-worker-least-privilege": {
		CIS: []Item{with(cisSANoAdmin, Partial, "the worker service account's roles must come from an "+
			"allow-list of data-plane roles with no admin, Editor or Owner role; other service accounts are not covered")},
		NIST: []Item{nist("AC-6", ac6, "cloudaware", "Cloudaware maps CIS 1.5 (service account admin "+
			"privileges) to AC-6; Pulumi maps iam-no-broad-roles to AC-6")},
	},
	"dataflow-worker-grant-allowed-roles": {
		CIS: []Item{with(cisSANoAdmin, Partial, "grants to service accounts matching the worker pattern must "+
			"come from an allow-list of data-plane roles with no admin, Editor or Owner role")},
		NIST: []Item{nist("AC-6", ac6, "cloudaware", "Cloudaware maps CIS 1.5 (service account admin "+
			"privileges) to AC-6; Pulumi maps iam-no-broad-roles to AC-6")},
	},
	"deployer-grant-allowed-roles": {
		NIST: []Item{nist("AC-6", ac6, "pulumi-nist", "Pulumi maps iam-no-broad-roles to AC-6; grants to "+
			"service accounts matching the deployer pattern must come from an allow-list")},
	},
	"deployer-least-privilege": {
		NIST: []Item{nist("AC-6", ac6, "pulumi-nist", "Pulumi maps iam-no-broad-roles to AC-6; the deployer's "+
			"roles must come from an allow-list")},
	},
	"dataflow-label-consistency": {
		NIST: []Item{nist("CM-8", cm8, "pulumi-nist", "Pulumi maps resource-labeling to CM-8")},
	},
	"propagate-stack-labels": {
		NIST: []Item{nist("CM-8", cm8, "pulumi-nist", "Pulumi maps resource-labeling to CM-8")},
	},
	"provider-federated-credentials": {
		NIST: []Item{nist("IA-5", ia5, "pulumi-nist", "Pulumi maps hardcoded-secrets and service-account-key to IA-5")},
	},
	"dataflow-no-inline-credentials": {
		NIST: []Item{nist("IA-5", ia5, "pulumi-nist", "Pulumi maps hardcoded-secrets to IA-5")},
	},
	"wif-provider-attribute-condition": {
		NIST: []Item{
			nist("AC-3", ac3, "nist-catalog", "the condition decides which external identities may obtain "+
				"Google credentials at all"),
			nist("IA-8", ia8, "nist-catalog", "CI and other external workloads are non-organizational users "+
				"identified by the provider's claims"),
		},
	},
	"wif-no-pool-wide-principal-set": {
		NIST: []Item{nist("AC-6", ac6, "nist-catalog", "a grant to every identity of a pool gives each "+
			"federated workload what only one needs")},
	},
	"dataflow-audit-logging": {
		CIS: []Item{with(cisAuditLog, Partial, "requires Data Read, Data Write and Admin Read for Dataflow "+
			"(or allServices) with no exemptions; CIS 2.1 asks for allServices")},
		NIST: []Item{
			nist("AU-2", au2, "pulumi-nist", "Pulumi maps cloud-audit-logs-data-access-events-enabled to AU-2"),
			nist("AU-12", au12, "pulumi-nist", "Pulumi maps audit-logs-sink-enabled to AU-12"),
		},
	},
	"logging-no-dataflow-exclusions": {
		NIST: []Item{nist("AU-2", au2, "nist-catalog", "an exclusion stops the logging of events the "+
			"organization selected for logging")},
	},
	"logging-no-intercepting-sinks": {
		NIST: []Item{nist("AU-9", au9, "nist-catalog", "a sink that diverts Dataflow's entries away from "+
			"the log buckets moves audit information out of the protected store")},
	},
	"dataflow-worker-logging": {
		NIST: []Item{nist("AU-2", au2, "pulumi-nist", "Pulumi maps service logging rules such as "+
			"cloudfunctions-logging to AU-2")},
	},
	"dataflow-private-ips": {
		CIS: []Item{with(cisNoPublicIP, Direct, "Dataflow workers are Compute Engine instances of the project; "+
			"the policy refuses jobs whose workers get external IP addresses, which the 4.9 audit reports")},
		NIST: []Item{
			nist("SC-7", sc7, "pulumi-nist", "Pulumi maps compute-engine-instance-not-publicly-accessible to AC-3 and SC-7"),
			nist("AC-3", ac3, "pulumi-nist", "Pulumi maps compute-engine-instance-not-publicly-accessible to AC-3 and SC-7"),
		},
	},
	"dataflow-cmek": {
		NIST: []Item{nist("SC-28", sc28, "pulumi-nist", "Pulumi maps dataflow-kms (Dataflow jobs use "+
			"customer-managed Cloud KMS keys) to SC-28")},
	},
	"dataflow-staging-bucket-hardening": {
		CIS: []Item{
			with(cisBucketUBLA, Direct, "requires uniformBucketLevelAccess on the buckets Dataflow jobs use"),
			with(cisBucketPub, Partial, "requires publicAccessPrevention enforced on the buckets Dataflow jobs use"),
		},
		NIST: []Item{
			nist("AC-3", ac3, "pulumi-nist", "Pulumi maps bucket-public-access-prevention and "+
				"bucket-uniform-bucket-level-access to AC-3"),
			nist("AU-2", au2, "pulumi-nist", "Pulumi maps bucket-access-logging to AU-2"),
		},
	},
	"dataflow-no-guarded-option-overrides": {
		NIST: []Item{nist("CM-6", cm6, "nist-catalog", "a pipeline option must not undo the settings "+
			"(network, identity, encryption) the other policies established")},
	},
	"org-policy-guardrails-not-relaxed": {
		NIST: []Item{nist("CM-6", cm6, "nist-catalog", "organization policy constraints are the "+
			"organization's configuration settings; the policy refuses overriding them in a project")},
	},
}

// For returns the mapping of a policy, if it has one.
func For(policy string) (Mapping, bool) {
	m, ok := byPolicy[policy]
	return m, ok
}

// Policies lists every mapped policy name, sorted.
func Policies() []string {
	names := make([]string, 0, len(byPolicy))
	for n := range byPolicy {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FrameworkOf is the policy's PolicyInfo.framework: its first CIS
// recommendation, or nil when it maps to none.
func FrameworkOf(policy string) *Framework {
	m, ok := byPolicy[policy]
	if !ok || len(m.CIS) == 0 {
		return nil
	}
	return &Framework{Name: CISName, Version: CISVersion, Reference: m.CIS[0].ID, Specification: m.CIS[0].Title}
}

// Tags are the policy's tags: its family, then any further CIS
// recommendation and every NIST control with its family (nist-800-53:AC
// for AC-6), in a stable order.
func Tags(policy, family string) []string {
	tags := []string{family}
	m, ok := byPolicy[policy]
	if !ok {
		return tags
	}
	for _, c := range m.CIS[min(1, len(m.CIS)):] {
		tags = append(tags, CISTagPrefix+c.ID)
	}
	families := map[string]bool{}
	for _, n := range m.NIST {
		tags = append(tags, NISTTagPrefix+n.ID)
		families[ControlFamily(n.ID)] = true
	}
	var fams []string
	for f := range families {
		fams = append(fams, NISTTagPrefix+f)
	}
	sort.Strings(fams)
	return append(tags, fams...)
}

// ControlFamily is the family of a NIST control: "AC" for "AC-6(5)".
func ControlFamily(control string) string {
	family, _, _ := strings.Cut(control, "-")
	return family
}

// Summary renders the mapping for a table cell: "CIS 1.4; NIST IA-5".
func Summary(policy string) string {
	m, ok := byPolicy[policy]
	if !ok {
		return ""
	}
	var parts []string
	if len(m.CIS) > 0 {
		ids := make([]string, len(m.CIS))
		for i, c := range m.CIS {
			ids[i] = c.ID
		}
		parts = append(parts, "CIS "+strings.Join(ids, ", "))
	}
	if len(m.NIST) > 0 {
		ids := make([]string, len(m.NIST))
		for i, n := range m.NIST {
			ids[i] = n.ID
		}
		parts = append(parts, "NIST "+strings.Join(ids, ", "))
	}
	return strings.Join(parts, "; ")
}
