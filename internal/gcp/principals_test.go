package gcp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// denotes is what a member identifier stands for, as the principal model
// reads it.
type denotes struct {
	kind      gcp.MemberKind
	email     string // user, group, service account
	single    bool   // one principal rather than a set
	public    bool
	mayHoldSA bool // may be or include a Google service account
	defaultSA bool // a grant to it is a grant to a default service account
	deleted   bool
	undeleted gcp.MemberKind // what a deleted member reverts to
	uid       string
	container *gcp.Container
	pool      *gcp.PoolPrincipal
	key       string // canonical spelling (same key: same principal)
	other     func(t *testing.T, m gcp.Member)
}

// Every identifier form of https://cloud.google.com/iam/docs/principal-identifiers
// (allow policies, with the deny and principal access boundary spellings of
// the same principals), then the spellings an attacker would try.
var documentedPrincipals = []struct {
	raw  string
	want denotes
}{
	// Allow policies (IAM v1).
	{"user:alex@example.com", denotes{kind: gcp.MemberUser, email: "alex@example.com", single: true, key: "user:alex@example.com"}},
	{"serviceAccount:my-service-account@my-project.iam.gserviceaccount.com", denotes{kind: gcp.MemberServiceAccount,
		email: "my-service-account@my-project.iam.gserviceaccount.com", single: true, mayHoldSA: true,
		key: "serviceAccount:my-service-account@my-project.iam.gserviceaccount.com"}},
	{"principalSet://cloudresourcemanager.googleapis.com/projects/123456789012/type/ServiceAccount", denotes{
		kind: gcp.MemberServiceAccountSet, mayHoldSA: true, defaultSA: true,
		container: &gcp.Container{Type: "projects", ID: "123456789012"},
		key:       "principalSet://cloudresourcemanager.googleapis.com/projects/123456789012/type/ServiceAccount"}},
	{"principalSet://cloudresourcemanager.googleapis.com/folders/123456789012/type/ServiceAccount", denotes{
		kind: gcp.MemberServiceAccountSet, mayHoldSA: true, defaultSA: true,
		container: &gcp.Container{Type: "folders", ID: "123456789012"},
		key:       "principalSet://cloudresourcemanager.googleapis.com/folders/123456789012/type/ServiceAccount"}},
	{"principalSet://cloudresourcemanager.googleapis.com/organizations/123456789012/type/ServiceAccount", denotes{
		kind: gcp.MemberServiceAccountSet, mayHoldSA: true, defaultSA: true,
		container: &gcp.Container{Type: "organizations", ID: "123456789012"},
		key:       "principalSet://cloudresourcemanager.googleapis.com/organizations/123456789012/type/ServiceAccount"}},
	{"group:my-group@example.com", denotes{kind: gcp.MemberGroup, email: "my-group@example.com", mayHoldSA: true, key: "group:my-group@example.com"}},
	{"domain:example.com", denotes{kind: gcp.MemberDomain, key: "domain:example.com",
		other: func(t *testing.T, m gcp.Member) { assert.Equal(t, "example.com", m.Domain) }}},
	{"allUsers", denotes{kind: gcp.MemberAllUsers, public: true, mayHoldSA: true, key: "allUsers"}},
	{"allAuthenticatedUsers", denotes{kind: gcp.MemberAllAuthenticatedUsers, public: true, mayHoldSA: true, key: "allAuthenticatedUsers"}},
	{"principal://iam.googleapis.com/locations/global/workforcePools/altostrat-contractors/subject/raha@altostrat.com",
		denotes{kind: gcp.MemberPrincipal, single: true, pool: &gcp.PoolPrincipal{Workforce: true,
			PoolName: "locations/global/workforcePools/altostrat-contractors", PoolID: "altostrat-contractors",
			Selector: "subject/raha@altostrat.com"},
			key: "principal://iam.googleapis.com/locations/global/workforcePools/altostrat-contractors/subject/raha@altostrat.com"}},
	{"principalSet://iam.googleapis.com/locations/global/workforcePools/altostrat-contractors/group/administrators-group@altostrat.com",
		denotes{kind: gcp.MemberPrincipalSet, pool: &gcp.PoolPrincipal{Workforce: true,
			PoolName: "locations/global/workforcePools/altostrat-contractors", PoolID: "altostrat-contractors",
			Selector: "group/administrators-group@altostrat.com"},
			key: "principalSet://iam.googleapis.com/locations/global/workforcePools/altostrat-contractors/group/administrators-group@altostrat.com"}},
	{"principalSet://iam.googleapis.com/locations/global/workforcePools/altostrat-contractors/attribute.department_id/123",
		denotes{kind: gcp.MemberPrincipalSet, pool: &gcp.PoolPrincipal{Workforce: true,
			PoolName: "locations/global/workforcePools/altostrat-contractors", PoolID: "altostrat-contractors",
			Selector: "attribute.department_id/123"},
			key: "principalSet://iam.googleapis.com/locations/global/workforcePools/altostrat-contractors/attribute.department_id/123"}},
	{"principalSet://iam.googleapis.com/locations/global/workforcePools/altostrat-contractors/*",
		denotes{kind: gcp.MemberPrincipalSet, pool: &gcp.PoolPrincipal{Workforce: true,
			PoolName: "locations/global/workforcePools/altostrat-contractors", PoolID: "altostrat-contractors", Selector: "*"},
			key: "principalSet://iam.googleapis.com/locations/global/workforcePools/altostrat-contractors/*"}},
	{"principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/subject/repo:acme/etl:ref:refs/heads/main",
		denotes{kind: gcp.MemberPrincipal, single: true, pool: &gcp.PoolPrincipal{
			PoolName: "projects/123456789012/locations/global/workloadIdentityPools/github", PoolID: "github",
			Selector: "subject/repo:acme/etl:ref:refs/heads/main"},
			key: "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/subject/repo:acme/etl:ref:refs/heads/main"}},
	{"principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/group/deployers",
		denotes{kind: gcp.MemberPrincipalSet, pool: &gcp.PoolPrincipal{
			PoolName: "projects/123456789012/locations/global/workloadIdentityPools/github", PoolID: "github", Selector: "group/deployers"},
			key: "principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/group/deployers"}},
	{"principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/attribute.repository_id/42",
		denotes{kind: gcp.MemberPrincipalSet, pool: &gcp.PoolPrincipal{
			PoolName: "projects/123456789012/locations/global/workloadIdentityPools/github", PoolID: "github",
			Selector: "attribute.repository_id/42"},
			key: "principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/attribute.repository_id/42"}},
	{"principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/*",
		denotes{kind: gcp.MemberPrincipalSet, pool: &gcp.PoolPrincipal{
			PoolName: "projects/123456789012/locations/global/workloadIdentityPools/github", PoolID: "github", Selector: "*"},
			key: "principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/*"}},
	// GKE (Workload Identity Federation for GKE): the pool PROJECT_ID.svc.id.goog.
	{"principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-project.svc.id.goog/subject/ns/my-namespace/sa/my-ksa",
		denotes{kind: gcp.MemberPrincipal, single: true, pool: &gcp.PoolPrincipal{Kubernetes: true,
			PoolName: "projects/123456789012/locations/global/workloadIdentityPools/my-project.svc.id.goog",
			PoolID:   "my-project.svc.id.goog", Selector: "subject/ns/my-namespace/sa/my-ksa"},
			key: "principal://iam.googleapis.com/projects/-/locations/global/workloadIdentityPools/my-project.svc.id.goog/subject/ns/my-namespace/sa/my-ksa"}},
	{"serviceAccount:my-project.svc.id.goog[my-namespace/my-ksa]",
		denotes{kind: gcp.MemberPrincipal, single: true, pool: &gcp.PoolPrincipal{Kubernetes: true,
			PoolName: "projects/-/locations/global/workloadIdentityPools/my-project.svc.id.goog",
			PoolID:   "my-project.svc.id.goog", Selector: "subject/ns/my-namespace/sa/my-ksa"},
			key: "principal://iam.googleapis.com/projects/-/locations/global/workloadIdentityPools/my-project.svc.id.goog/subject/ns/my-namespace/sa/my-ksa"}},
	{"principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-project.svc.id.goog/kubernetes.serviceaccount.uid/4f5b",
		denotes{kind: gcp.MemberPrincipal, single: true, pool: &gcp.PoolPrincipal{Kubernetes: true,
			PoolName: "projects/123456789012/locations/global/workloadIdentityPools/my-project.svc.id.goog",
			PoolID:   "my-project.svc.id.goog", Selector: "kubernetes.serviceaccount.uid/4f5b"},
			key: "principal://iam.googleapis.com/projects/-/locations/global/workloadIdentityPools/my-project.svc.id.goog/kubernetes.serviceaccount.uid/4f5b"}},
	{"principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-project.svc.id.goog/namespace/my-namespace",
		denotes{kind: gcp.MemberPrincipalSet, pool: &gcp.PoolPrincipal{Kubernetes: true,
			PoolName: "projects/123456789012/locations/global/workloadIdentityPools/my-project.svc.id.goog",
			PoolID:   "my-project.svc.id.goog", Selector: "namespace/my-namespace"},
			key: "principalSet://iam.googleapis.com/projects/-/locations/global/workloadIdentityPools/my-project.svc.id.goog/namespace/my-namespace"}},
	{"principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-project.svc.id.goog/kubernetes.cluster/https://container.googleapis.com/v1/projects/my-project/locations/europe-west1/clusters/etl",
		denotes{kind: gcp.MemberPrincipalSet, pool: &gcp.PoolPrincipal{Kubernetes: true,
			PoolName: "projects/123456789012/locations/global/workloadIdentityPools/my-project.svc.id.goog",
			PoolID:   "my-project.svc.id.goog",
			Selector: "kubernetes.cluster/https://container.googleapis.com/v1/projects/my-project/locations/europe-west1/clusters/etl"},
			key: "principalSet://iam.googleapis.com/projects/-/locations/global/workloadIdentityPools/my-project.svc.id.goog/kubernetes.cluster/https://container.googleapis.com/v1/projects/my-project/locations/europe-west1/clusters/etl"}},
	{"serviceAccount:fleet-host.hub.id.goog[ns/app]", denotes{kind: gcp.MemberPrincipal, single: true, pool: &gcp.PoolPrincipal{
		Kubernetes: true, PoolName: "projects/-/locations/global/workloadIdentityPools/fleet-host.hub.id.goog",
		PoolID: "fleet-host.hub.id.goog", Selector: "subject/ns/ns/sa/app"},
		key: "principal://iam.googleapis.com/projects/-/locations/global/workloadIdentityPools/fleet-host.hub.id.goog/subject/ns/ns/sa/app"}},
	// Deleted principals: the binding reverts to the principal when it is undeleted.
	{"deleted:user:alex@example.com?uid=123456789012345678901", denotes{kind: gcp.MemberDeleted, undeleted: gcp.MemberUser, email: "alex@example.com",
		single: true, deleted: true, uid: "123456789012345678901", key: "user:alex@example.com"}},
	{"deleted:serviceAccount:my-service-account@my-project.iam.gserviceaccount.com?uid=123456789012345678901",
		denotes{kind: gcp.MemberDeleted, undeleted: gcp.MemberServiceAccount, email: "my-service-account@my-project.iam.gserviceaccount.com", single: true,
			mayHoldSA: true, deleted: true, uid: "123456789012345678901",
			key: "serviceAccount:my-service-account@my-project.iam.gserviceaccount.com"}},
	{"deleted:serviceAccount:123456789012-compute@developer.gserviceaccount.com?uid=1",
		denotes{kind: gcp.MemberDeleted, undeleted: gcp.MemberServiceAccount, email: "123456789012-compute@developer.gserviceaccount.com", single: true,
			mayHoldSA: true, defaultSA: true, deleted: true, uid: "1",
			key: "serviceAccount:123456789012-compute@developer.gserviceaccount.com"}},
	{"deleted:group:my-group@example.com?uid=123456789012345678901", denotes{kind: gcp.MemberDeleted, undeleted: gcp.MemberGroup, email: "my-group@example.com",
		mayHoldSA: true, deleted: true, uid: "123456789012345678901", key: "group:my-group@example.com"}},
	// Convenience values (Cloud Storage legacy bucket roles).
	{"projectOwner:my-project", denotes{kind: gcp.MemberProjectRole, mayHoldSA: true, key: "projectowner:my-project",
		other: func(t *testing.T, m gcp.Member) {
			assert.Equal(t, []string{"owner", "my-project"}, []string{m.ProjectRole, m.Project})
		}}},
	{"projectEditor:my-project", denotes{kind: gcp.MemberProjectRole, mayHoldSA: true, key: "projecteditor:my-project"}},
	{"projectViewer:my-project", denotes{kind: gcp.MemberProjectRole, mayHoldSA: true, key: "projectviewer:my-project"}},
	// Deny and principal access boundary spellings of the same principals.
	{"principal://goog/subject/alex@example.com", denotes{kind: gcp.MemberUser, email: "alex@example.com", single: true, key: "user:alex@example.com"}},
	{"principal://iam.googleapis.com/projects/-/serviceAccounts/my-service-account@my-project.iam.gserviceaccount.com",
		denotes{kind: gcp.MemberServiceAccount, email: "my-service-account@my-project.iam.gserviceaccount.com", single: true,
			mayHoldSA: true, key: "serviceAccount:my-service-account@my-project.iam.gserviceaccount.com"}},
	{"principal://iam.googleapis.com/projects/-/serviceAccounts/123456789012345678901", denotes{kind: gcp.MemberServiceAccount,
		single: true, mayHoldSA: true, key: "serviceAccount:uid/123456789012345678901",
		other: func(t *testing.T, m gcp.Member) { assert.Equal(t, "123456789012345678901", m.AccountID) }}},
	{"principalSet://goog/group/admins@example.com", denotes{kind: gcp.MemberGroup, email: "admins@example.com", mayHoldSA: true, key: "group:admins@example.com"}},
	{"principalSet://goog/public:all", denotes{kind: gcp.MemberAllUsers, public: true, mayHoldSA: true, key: "allUsers"}},
	{"principalSet://goog/cloudIdentityCustomerId/C01Abc35", denotes{kind: gcp.MemberCustomer,
		key:   "principalSet://goog/cloudIdentityCustomerId/C01Abc35",
		other: func(t *testing.T, m gcp.Member) { assert.Equal(t, "C01Abc35", m.Customer) }}},
	// Agent identities (Vertex AI Agent Engine): one identity that is not a
	// service account, and a set of them.
	{"principal://agents.global.org-123.system.id.goog/resources/aiplatform/projects/1/locations/us-central1/reasoningEngines/7",
		denotes{kind: gcp.MemberPrincipal, single: true,
			key: "principal://agents.global.org-123.system.id.goog/resources/aiplatform/projects/1/locations/us-central1/reasoningEngines/7"}},
	{"principalSet://agents.global.org-123.system.id.goog/attribute.platformContainer/aiplatform/projects/1",
		denotes{kind: gcp.MemberPrincipalSet,
			key: "principalSet://agents.global.org-123.system.id.goog/attribute.platformContainer/aiplatform/projects/1"}},

	// Spellings an attacker tries: prefix case, whitespace, ?uid=, trailing
	// slashes, singular container types, projects/-.
	{"  ServiceAccount:123456789012-Compute@Developer.GServiceAccount.com ", denotes{kind: gcp.MemberServiceAccount,
		email: "123456789012-compute@developer.gserviceaccount.com", single: true, mayHoldSA: true, defaultSA: true,
		key: "serviceAccount:123456789012-compute@developer.gserviceaccount.com"}},
	{"serviceaccount : my-project@appspot.gserviceaccount.com?uid=9", denotes{kind: gcp.MemberServiceAccount,
		email: "my-project@appspot.gserviceaccount.com", single: true, mayHoldSA: true, defaultSA: true,
		key: "serviceAccount:my-project@appspot.gserviceaccount.com"}},
	{"PrincipalSet://GOOG/Public:All/", denotes{kind: gcp.MemberAllUsers, public: true, mayHoldSA: true, key: "allUsers"}},
	{"\tALLUSERS\n", denotes{kind: gcp.MemberAllUsers, public: true, mayHoldSA: true, key: "allUsers"}},
	{"PRINCIPALSET://CloudResourceManager.googleapis.com/Project/ETL-Prod-1234/Type/serviceAccount/", denotes{
		kind: gcp.MemberServiceAccountSet, mayHoldSA: true, defaultSA: true,
		container: &gcp.Container{Type: "projects", ID: "etl-prod-1234"},
		key:       "principalSet://cloudresourcemanager.googleapis.com/projects/etl-prod-1234/type/ServiceAccount"}},
	{"principalSet://cloudresourcemanager.googleapis.com/organization/1/type/ServiceAccount", denotes{
		kind: gcp.MemberServiceAccountSet, mayHoldSA: true, defaultSA: true, container: &gcp.Container{Type: "organizations", ID: "1"},
		key: "principalSet://cloudresourcemanager.googleapis.com/organizations/1/type/ServiceAccount"}},
	{"principalSet://cloudresourcemanager.googleapis.com//projects//123//type//ServiceAccount", denotes{
		kind: gcp.MemberServiceAccountSet, mayHoldSA: true, defaultSA: true, container: &gcp.Container{Type: "projects", ID: "123"},
		key: "principalSet://cloudresourcemanager.googleapis.com/projects/123/type/ServiceAccount"}},
	{"principalSet://cloudresourcemanager.googleapis.com/projects/-/type/ServiceAccount", denotes{
		kind: gcp.MemberServiceAccountSet, mayHoldSA: true, defaultSA: true, container: &gcp.Container{Type: "projects", ID: "-"},
		key: "principalSet://cloudresourcemanager.googleapis.com/projects/-/type/ServiceAccount"}},
	{"Principal://IAM.googleapis.com/projects/-/ServiceAccounts/123456789012-compute@developer.gserviceaccount.com",
		denotes{kind: gcp.MemberServiceAccount, email: "123456789012-compute@developer.gserviceaccount.com", single: true,
			mayHoldSA: true, defaultSA: true, key: "serviceAccount:123456789012-compute@developer.gserviceaccount.com"}},
	{"principalSet://iam.googleapis.com/projects/1/locations/global/WorkloadIdentityPools/GitHub/*/",
		denotes{kind: gcp.MemberPrincipalSet, pool: &gcp.PoolPrincipal{
			PoolName: "projects/1/locations/global/WorkloadIdentityPools/github", PoolID: "github", Selector: "*"},
			key: "principalSet://iam.googleapis.com/projects/1/locations/global/WorkloadIdentityPools/github/*"}},
	{"principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/github/",
		denotes{kind: gcp.MemberPrincipalSet, pool: &gcp.PoolPrincipal{
			PoolName: "projects/1/locations/global/workloadIdentityPools/github", PoolID: "github", Selector: ""},
			key: "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/github/"}},
	{" ServiceAccount: My-Project.svc.id.goog[etl/app] ", denotes{kind: gcp.MemberPrincipal, single: true, pool: &gcp.PoolPrincipal{
		Kubernetes: true, PoolName: "projects/-/locations/global/workloadIdentityPools/my-project.svc.id.goog",
		PoolID: "my-project.svc.id.goog", Selector: "subject/ns/etl/sa/app"},
		key: "principal://iam.googleapis.com/projects/-/locations/global/workloadIdentityPools/my-project.svc.id.goog/subject/ns/etl/sa/app"}},
	{"DELETED:ServiceAccount:W@P.iam.gserviceaccount.com?UID=5", denotes{kind: gcp.MemberDeleted, undeleted: gcp.MemberServiceAccount,
		email: "w@p.iam.gserviceaccount.com", single: true, mayHoldSA: true, deleted: true, uid: "5",
		key: "serviceAccount:w@p.iam.gserviceaccount.com"}},

	// Not principals.
	{"allUsersGroup@example.com", denotes{kind: gcp.MemberOther, key: "allUsersGroup@example.com"}},
	{"", denotes{kind: gcp.MemberOther, key: ""}},
	{"deleted:deleted:user:a@b.c", denotes{kind: gcp.MemberDeleted, undeleted: gcp.MemberOther, deleted: true, key: "deleted:deleted:user:a@b.c"}},
	{"principalSet://cloudresourcemanager.googleapis.com/projects/1", denotes{kind: gcp.MemberPrincipalSet,
		key: "principalSet://cloudresourcemanager.googleapis.com/projects/1"}},
}

func TestEveryDocumentedPrincipalForm(t *testing.T) {
	for _, tc := range documentedPrincipals {
		m := gcp.ParseMember(tc.raw)
		w := tc.want
		assert.Equal(t, w.kind.String(), m.Kind.String(), "%q kind", tc.raw)
		assert.Equal(t, w.email, m.Email, "%q email", tc.raw)
		assert.Equal(t, w.single, m.Single(), "%q single", tc.raw)
		assert.Equal(t, w.public, m.Public(), "%q public", tc.raw)
		assert.Equal(t, w.mayHoldSA, m.MayContainServiceAccounts(), "%q may hold service accounts", tc.raw)
		assert.Equal(t, w.defaultSA, m.GrantsDefaultServiceAccount(), "%q grants a default service account", tc.raw)
		assert.Equal(t, w.deleted, m.Deleted, "%q deleted", tc.raw)
		assert.Equal(t, w.undeleted.String(), m.Undeleted.String(), "%q undeleted", tc.raw)
		assert.Equal(t, w.uid, m.UID, "%q uid", tc.raw)
		assert.Equal(t, w.container, m.Container, "%q container", tc.raw)
		assert.Equal(t, w.pool, m.Pool, "%q pool", tc.raw)
		assert.Equal(t, w.key, m.Key(), "%q key", tc.raw)
		assert.Equal(t, tc.raw, m.Raw)
		if w.other != nil {
			w.other(t, m)
		}
	}
}

func TestSpellingsOfOnePrincipalShareAKey(t *testing.T) {
	for _, same := range [][]string{
		{"serviceAccount:my-project.svc.id.goog[etl/app]",
			"principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-project.svc.id.goog/subject/ns/etl/sa/app",
			" SERVICEACCOUNT:MY-PROJECT.svc.id.goog[etl/app]"},
		{"allUsers", "principalSet://goog/public:all", " AllUsers "},
		{"user:alex@example.com", "principal://goog/subject/Alex@Example.com", "deleted:user:alex@example.com?uid=1"},
		{"group:admins@example.com", "principalSet://goog/group/admins@example.com", "Group:Admins@example.com"},
		{"serviceAccount:w@p.iam.gserviceaccount.com", "principal://iam.googleapis.com/projects/-/serviceAccounts/w@p.iam.gserviceaccount.com",
			"deleted:serviceAccount:w@p.iam.gserviceaccount.com?uid=7", "serviceAccount:W@P.iam.gserviceaccount.com?uid=7"},
	} {
		want := gcp.ParseMember(same[0]).Key()
		for _, raw := range same[1:] {
			assert.Equal(t, want, gcp.ParseMember(raw).Key(), "%q is %q", raw, same[0])
		}
	}
	assert.NotEqual(t, gcp.ParseMember("serviceAccount:p.svc.id.goog[etl/app]").Key(),
		gcp.ParseMember("serviceAccount:p.svc.id.goog[etl/other]").Key())
}

func TestServiceAccountHome(t *testing.T) {
	for email, want := range map[string][2]string{
		"etl-worker@etl-prod-1234.iam.gserviceaccount.com":                               {"etl-prod-1234", ""},
		"serviceAccount:ETL-Worker@ETL-prod-1234.iam.gserviceaccount.com":                {"etl-prod-1234", ""},
		"123456789012-compute@developer.gserviceaccount.com":                             {"", "123456789012"},
		"etl-prod-1234@appspot.gserviceaccount.com":                                      {"etl-prod-1234", ""},
		"worker@app.example.com.iam.gserviceaccount.com":                                 {"", ""}, // domain-scoped project
		"123456789012@cloudservices.gserviceaccount.com":                                 {"", ""},
		"projects/etl-prod-1234/serviceAccounts/w@etl-prod-1234.iam.gserviceaccount.com": {"etl-prod-1234", ""},
		"not an email": {"", ""},
	} {
		id, number := gcp.ServiceAccountHome(email)
		assert.Equal(t, want, [2]string{id, number}, email)
	}
}

// A grant to every service account of a container reaches the worker unless
// the stack shows the worker's project is another one.
func TestAllServiceAccountsOfAContainerReachTheWorker(t *testing.T) {
	job := idRes(gcp.DataflowJob, "etl", map[string]any{"serviceAccountEmail": idWorker})
	defaultJob := idRes(gcp.DataflowJob, "legacy", map[string]any{"serviceAccountEmail": "123456789012-compute@developer.gserviceaccount.com"})
	project := idRes(gcp.ProjectResource, "etl", map[string]any{"projectId": idProject, "number": "123456789012"})
	other := idRes(gcp.ProjectResource, "other", map[string]any{"projectId": "other-project", "number": "555"})
	set := func(prefix string) string {
		return "principalSet://cloudresourcemanager.googleapis.com/" + prefix + "/type/ServiceAccount"
	}
	cases := []struct {
		name   string
		stack  []*gcp.Resource
		member string
		want   gcp.MemberMatch
	}{
		{"the worker's project by ID", []*gcp.Resource{job}, set("projects/" + idProject), gcp.IsMember},
		{"the worker's project, odd spelling", []*gcp.Resource{job}, " PrincipalSet://cloudresourcemanager.googleapis.com/Projects/ETL-PROD-1234/type/serviceaccount/", gcp.IsMember},
		{"another project by ID", []*gcp.Resource{job}, set("projects/other-project"), gcp.NotMember},
		{"a project number the stack cannot place: fail closed", []*gcp.Resource{job}, set("projects/123456789012"), gcp.IsMember},
		{"the worker's project number, paired by a Project", []*gcp.Resource{job, project}, set("projects/123456789012"), gcp.IsMember},
		{"another project number, told apart by a Project", []*gcp.Resource{job, project}, set("projects/555"), gcp.NotMember},
		{"another project number, paired by its own Project", []*gcp.Resource{job, other}, set("projects/555"), gcp.NotMember},
		{"projects/-", []*gcp.Resource{job}, set("projects/-"), gcp.IsMember},
		{"a folder may hold the project", []*gcp.Resource{job}, set("folders/42"), gcp.IsMember},
		{"an organization may hold the project", []*gcp.Resource{job}, set("organizations/42"), gcp.IsMember},
		{"a deleted-then-named default account's project number", []*gcp.Resource{defaultJob}, set("projects/123456789012"), gcp.IsMember},
		{"a default account and a project ID the stack cannot place", []*gcp.Resource{defaultJob}, set("projects/" + idProject), gcp.IsMember},
		{"a default account and another project, told apart", []*gcp.Resource{defaultJob, other}, set("projects/other-project"), gcp.NotMember},
	}
	for _, tc := range cases {
		s := idStack(tc.stack...)
		workers := gcp.WorkerIdentities(s)
		r := idRes("gcp:projects/iAMMember:IAMMember", "g", map[string]any{"role": "roles/editor", "member": tc.member})
		got, id := workers.Match(r, r.Get("member"))
		assert.Equal(t, tc.want, got, tc.name)
		if got == gcp.IsMember {
			require.NotNil(t, id, tc.name)
			assert.NotEmpty(t, id.Sources, tc.name)
		}
	}

	// Two workers in the project: one identity stands for both.
	second := idRes(gcp.DataflowJob, "second", map[string]any{"serviceAccountEmail": "other-worker@" + idProject + ".iam.gserviceaccount.com"})
	workers := gcp.WorkerIdentities(idStack(job, second))
	r := idRes("gcp:projects/iAMMember:IAMMember", "g", map[string]any{"role": "roles/editor", "member": set("projects/" + idProject)})
	got, id := workers.Match(r, r.Get("member"))
	assert.Equal(t, gcp.IsMember, got)
	assert.Equal(t, []string{"etl", "second"}, id.Sources)

	// A worker Account whose email is not known yet is placed by its project.
	acct := idRes(gcp.ServiceAccountResource, "w", map[string]any{"accountId": "?", "project": "other-project", "email": "?"})
	pending := idDeps(idRes(gcp.DataflowJob, "p", map[string]any{"serviceAccountEmail": "?"}), "serviceAccountEmail", acct)
	workers = gcp.WorkerIdentities(idStack(acct, pending))
	for member, want := range map[string]gcp.MemberMatch{set("projects/other-project"): gcp.IsMember, set("projects/" + idProject): gcp.NotMember} {
		r := idRes("gcp:projects/iAMMember:IAMMember", "g", map[string]any{"role": "roles/editor", "member": member})
		got, _ := workers.Match(r, r.Get("member"))
		assert.Equal(t, want, got, member)
	}
}

// The two spellings of a GKE Kubernetes service account are judged the same
// everywhere: neither is a deployer pool principal nor a Dataflow worker.
func TestKubernetesServiceAccountSpellingsAreJudgedAlike(t *testing.T) {
	for _, ksa := range []string{
		"serviceAccount:" + idProject + ".svc.id.goog[etl/app]",
		"principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/" + idProject + ".svc.id.goog/subject/ns/etl/sa/app",
	} {
		m := gcp.ParseMember(ksa)
		assert.False(t, gcp.IsWorkloadPoolPrincipal(m), ksa)
		deployer := idAccount("etl-deployer", idDeployer)
		mechanism := idMember("wi", "gcp:serviceaccount/iAMMember:IAMMember", gcp.RoleWorkloadIdentityUser, ksa,
			map[string]any{"serviceAccountId": "projects/" + idProject + "/serviceAccounts/" + idDeployer})
		s := idStack(deployer, mechanism, idRes(gcp.DataflowJob, "etl", map[string]any{"serviceAccountEmail": "?"}))
		deployers := gcp.DeployerIdentities(s)
		probe := idRes("gcp:projects/iAMMember:IAMMember", "probe", map[string]any{"member": "serviceAccount:" + idDeployer})
		got, _ := deployers.Match(probe, probe.Get("member"))
		assert.Equal(t, gcp.NotMember, got, "%s makes no deployer", ksa)
		direct := idRes("gcp:projects/iAMMember:IAMMember", "direct", map[string]any{"member": ksa})
		got, _ = deployers.Match(direct, direct.Get("member"))
		assert.Equal(t, gcp.NotMember, got, "%s is no deployer", ksa)
		got, _ = gcp.WorkerIdentities(s).Match(direct, direct.Get("member"))
		assert.Equal(t, gcp.NotMember, got, "%s is never a worker, even with an open worker set", ksa)
	}
}

func TestIsDefaultServiceAccountSpellings(t *testing.T) {
	for email, want := range map[string]bool{
		"123-compute@developer.gserviceaccount.com":                            true,
		" ServiceAccount:123-Compute@Developer.gserviceaccount.com ":           true,
		"serviceAccount:p@appspot.gserviceaccount.com?uid=1":                   true,
		"projects/-/serviceAccounts/123-compute@developer.gserviceaccount.com": true,
		"compute@p.iam.gserviceaccount.com":                                    false,
		"service-123@dataflow-service-producer-prod.iam.gserviceaccount.com":   false,
	} {
		assert.Equal(t, want, gcp.IsDefaultServiceAccount(email), email)
	}
}

func TestServiceAccountByUniqueID(t *testing.T) {
	worker := idRes(gcp.ServiceAccountResource, "etl-worker", map[string]any{"accountId": "etl-worker", "project": idProject,
		"email": idWorker, "uniqueId": "111"})
	job := idRes(gcp.DataflowJob, "etl", map[string]any{"serviceAccountEmail": idWorker})
	external := idRes(gcp.DataflowJob, "ext", map[string]any{"serviceAccountEmail": "ext@other.iam.gserviceaccount.com"})
	byID := func(set *gcp.IdentitySet, id string) gcp.MemberMatch {
		r := idRes("gcp:projects/iAMMember:IAMMember", "g", map[string]any{"role": "roles/editor",
			"member": "principal://iam.googleapis.com/projects/-/serviceAccounts/" + id})
		got, _ := set.Match(r, r.Get("member"))
		return got
	}
	inStack := gcp.WorkerIdentities(idStack(worker, job))
	assert.Equal(t, gcp.IsMember, byID(inStack, "111"), "the worker's unique ID")
	assert.Equal(t, gcp.NotMember, byID(inStack, "222"), "another unique ID, when every worker's is known")
	withExternal := gcp.WorkerIdentities(idStack(worker, job, external))
	assert.Equal(t, gcp.MaybeMember, byID(withExternal, "222"), "could be the external worker")
}
