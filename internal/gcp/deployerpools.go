package gcp

import (
	"strconv"
	"strings"
)

// DeployerPools says which workload identity pools federate CI deployers
// rather than workloads. A pool's principals are whoever its providers
// trust, so a pool is a deployer pool when one of its providers trusts the
// OIDC issuer of a CI system, or when configuration names it one.
type DeployerPools struct {
	// CIIssuers are the OIDC issuers of CI systems. A provider trusting one
	// of them, or an issuer below one (a path under it, as CircleCI's
	// per-organization https://oidc.circleci.com/org/ID), is a CI provider.
	CIIssuers []string
	// Deployers and Workloads name pools (by ID, or by resource name
	// projects/P/locations/global/workloadIdentityPools/ID) whose principals
	// are deployers, or are not, whatever the stack shows. Deployers wins.
	Deployers, Workloads []string
}

// PoolVerdict says whether the principals of a workload identity pool are
// CI deployers, and why.
type PoolVerdict struct {
	Deployer Answer
	// Reason says why, in a clause ("its pool ... has provider ..."); empty
	// when no configuration was given.
	Reason string
	// Pending is, for Maybe, the value of a provider that is not known yet
	// and would decide.
	Pending *OrganizationRef
}

// poolClassifier decides, per pool, whether its principals are deployers.
type poolClassifier struct {
	s         *Stack
	cfg       *DeployerPools // nil: every workload identity pool is a deployer pool
	ciIssuers []string       // normalised
	verdicts  map[string]PoolVerdict
}

func newPoolClassifier(s *Stack, cfg *DeployerPools) *poolClassifier {
	c := &poolClassifier{s: s, cfg: cfg, verdicts: map[string]PoolVerdict{}}
	if cfg != nil {
		for _, iss := range cfg.CIIssuers {
			if parsed, ok := ParseIssuer(iss); ok {
				c.ciIssuers = append(c.ciIssuers, parsed.Normalized)
			}
		}
	}
	return c
}

// poolRef is a pool named by the project (ID or number, "" when not known)
// and pool ID (lowercased) it is known by.
type poolRef struct{ project, id string }

func (p poolRef) String() string { return p.id }

// poolRefOf reads a pool principal's pool: PoolName is
// projects/NUMBER/locations/global/workloadIdentityPools/ID.
func poolRefOf(p *PoolPrincipal) poolRef {
	project := ""
	if rest, ok := strings.CutPrefix(p.PoolName, "projects/"); ok {
		project, _, _ = strings.Cut(rest, "/")
	}
	if project == "-" {
		project = ""
	}
	return poolRef{project: strings.ToLower(project), id: p.PoolID}
}

// parsePoolName reads a pool named in configuration: its ID, or its
// resource name (projects/P/locations/global/workloadIdentityPools/ID, also
// after an iam.googleapis.com principal prefix).
func parsePoolName(s string) poolRef {
	s = strings.TrimSpace(s)
	if i := foldIndex(s, "iam.googleapis.com/"); i >= 0 {
		s = s[i+len("iam.googleapis.com/"):]
	}
	if p := parsePool(s); p != nil {
		return poolRefOf(p)
	}
	return poolRef{id: strings.ToLower(s)}
}

// names reports whether a configured pool name may be the pool.
func (c *poolClassifier) names(configured []string, p poolRef) bool {
	for _, n := range configured {
		ref := parsePoolName(n)
		if ref.id == p.id && (ref.project == "" || c.s.MaySameProject(ref.project, p.project)) {
			return true
		}
	}
	return false
}

// resourcePool reads the pool a WorkloadIdentityPool or
// WorkloadIdentityPoolProvider resource belongs to. known is false while its
// pool ID is not known.
func resourcePool(r *Resource) (ref poolRef, known bool) {
	id, ok := r.Get("workloadIdentityPoolId").String()
	if !ok || strings.TrimSpace(id) == "" {
		return poolRef{}, false
	}
	ref.id = strings.ToLower(strings.TrimSpace(id))
	if name, ok := r.Get("name").String(); ok {
		if rest, found := strings.CutPrefix(strings.TrimSpace(name), "projects/"); found {
			ref.project, _, _ = strings.Cut(rest, "/")
		}
	}
	if ref.project == "" {
		ref.project = accountProject(r) // its own project, else its provider's
	}
	ref.project = strings.ToLower(ref.project)
	return ref, true
}

// ciIssuer says whether a provider trusts a CI issuer: Maybe while its
// oidc block or issuer is not known yet (pending names it). Any provider
// that is not OIDC (AWS, SAML, X.509) is not CI.
func (c *poolClassifier) ciIssuer(provider *Resource) (ci Answer, issuerText string, pending Value) {
	oidc := provider.Get("oidc")
	if oidc.IsUnknown() {
		return Maybe, "", oidc
	}
	issuer := oidc.Get("issuerUri")
	if issuer.HasUnknown() {
		return Maybe, "", issuer
	}
	parsed, ok := ParseIssuer(issuer.Str())
	if !ok {
		return No, "", Value{}
	}
	for _, ci := range c.ciIssuers {
		if parsed.Normalized == ci || strings.HasPrefix(parsed.Normalized, ci+"/") {
			if issuer.Secret() {
				return Yes, "read from a secret", Value{}
			}
			return Yes, parsed.Normalized, Value{}
		}
	}
	return No, "", Value{}
}

// classify decides whether the principals of a pool are deployers. It
// fails closed: a pool whose providers the stack does not show is a
// deployer pool unless configuration names it a workload pool.
func (c *poolClassifier) classify(p poolRef) PoolVerdict {
	if c.cfg == nil {
		return PoolVerdict{Deployer: Yes}
	}
	key := p.project + "/" + p.id
	if v, done := c.verdicts[key]; done {
		return v
	}
	v := c.decide(p)
	c.verdicts[key] = v
	return v
}

func (c *poolClassifier) decide(p poolRef) PoolVerdict {
	switch {
	case c.names(c.cfg.Deployers, p):
		return PoolVerdict{Deployer: Yes, Reason: "deployerPools names its pool " + strconv.Quote(p.id)}
	case c.names(c.cfg.Workloads, p):
		return PoolVerdict{Deployer: No, Reason: "workloadPools names its pool " + strconv.Quote(p.id)}
	}
	// A pool is told a workload pool only from resources certainly its own:
	// a pool of the same ID in a project the stack cannot tell apart from
	// the principal's could stand in for it.
	poolIn := No
	var unsure *OrganizationRef // a resource whose project is not known to be the pool's yet
	for _, r := range c.s.OfType(WorkloadIdentityPoolResource) {
		if ref, known := resourcePool(r); known && ref.id == p.id {
			switch same := c.sameProject(ref.project, p.project); {
			case same == Yes:
				poolIn = Yes
			case same == Maybe && unsure == nil:
				poolIn, unsure = poolIn.Or(Maybe), &OrganizationRef{Resource: r, Value: r.Get("name")}
			}
		}
	}
	workloadProviders := 0
	var pending *OrganizationRef
	for _, r := range c.s.OfType(WorkloadIdentityPoolProviderResource) {
		ref, known := resourcePool(r)
		same := Maybe
		if known {
			if ref.id != p.id {
				continue
			}
			if same = c.sameProject(ref.project, p.project); same == No {
				continue
			}
		}
		ci, issuer, issuerPending := c.ciIssuer(r)
		switch {
		case ci == Yes: // fail closed: a CI provider that may be the pool's makes it a CI pool
			return PoolVerdict{Deployer: Yes, Reason: "its pool " + strconv.Quote(p.id) + " has provider " +
				strconv.Quote(r.Name) + ", which trusts the CI issuer " + issuer}
		case ci == Maybe && pending == nil:
			pending = &OrganizationRef{Resource: r, Value: issuerPending}
		case !known && pending == nil:
			pending = &OrganizationRef{Resource: r, Value: r.Get("workloadIdentityPoolId")}
		case known && same == Yes:
			workloadProviders++
		case known && unsure == nil:
			unsure = &OrganizationRef{Resource: r, Value: r.Get("name")}
		}
	}
	switch {
	case pending != nil:
		return PoolVerdict{Deployer: Maybe, Pending: pending}
	case poolIn == Yes && workloadProviders > 0 && unsure == nil:
		return PoolVerdict{Deployer: No, Reason: "the providers of its pool " + strconv.Quote(p.id) +
			" in this stack trust no CI issuer"}
	case poolIn != No && unsure != nil:
		return PoolVerdict{Deployer: Maybe, Pending: unsure}
	}
	return PoolVerdict{Deployer: Yes, Reason: "its pool " + strconv.Quote(p.id) + " has no provider in this " +
		"stack, so it is taken for a CI pool; name it in workloadPools if it federates workloads"}
}

// sameProject says whether two project references (IDs or numbers) name
// the same project: Maybe when either is not known, or the stack does not
// pair an ID with a number.
func (c *poolClassifier) sameProject(a, b string) Answer {
	a, b = strings.ToLower(strings.TrimSpace(a)), strings.ToLower(strings.TrimSpace(b))
	switch {
	case a == "" || b == "":
		return Maybe
	case a == b:
		return Yes
	case isDigits(a) == isDigits(b):
		return No
	}
	na, okA := c.s.ProjectNumber(a)
	nb, okB := c.s.ProjectNumber(b)
	switch {
	case !okA || !okB:
		return Maybe
	case na == nb:
		return Yes
	}
	return No
}

// classifyMember decides a parsed member: No for anything but a principal
// or principal set of a workload identity pool (workforce and GKE pools
// included, see IsWorkloadPoolPrincipal).
func (c *poolClassifier) classifyMember(m Member) PoolVerdict {
	if !IsWorkloadPoolPrincipal(m) {
		return PoolVerdict{}
	}
	return c.classify(poolRefOf(m.Pool))
}

// classifyResource decides the pool a WorkloadIdentityPool or provider
// resource of the stack belongs to, for a member computed from it.
func (c *poolClassifier) classifyResource(r *Resource) Answer {
	ref, known := resourcePool(r)
	if !known {
		if c.cfg == nil {
			return Yes
		}
		return Maybe
	}
	return c.classify(ref).Deployer
}
