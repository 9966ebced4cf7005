// The benchmark's Node.js peer: six dataflow-guardrails policies written the
// way a team would write them as a plain JavaScript @pulumi/policy pack.
// The rules follow the Go pack's (policies/*.go) for these six; the type
// lists (IAM grant types, label-capable types, storage ACL types) come from
// types.json, which the harness (e2e/bench) writes from the pack's model
// (internal/gcp) when it sets this pack up, so both packs look at the same
// resources. Unknown values during preview are handled by @pulumi/policy
// itself (reading one stops the policy with an advisory message).
"use strict";

const { PolicyPack } = require("@pulumi/policy");
const types = require("./types.json");

const IAM = new Map(Object.entries(types.iam)); // type token -> member | binding | policy
const LABEL_TYPES = new Set(types.labels);
const USER_LABEL_TYPES = new Set(types.userLabels);
const ACL_TYPES = new Set(types.storageAcl);

const DATASET = "gcp:bigquery/dataset:Dataset";
const DATASET_ACCESS = "gcp:bigquery/datasetAccess:DatasetAccess";
const JOB = "gcp:dataflow/job:Job";
const FLEX_JOB = "gcp:dataflow/flexTemplateJob:FlexTemplateJob";
const PIPELINE = "gcp:dataflow/pipeline:Pipeline";
const CLUSTER = "gcp:container/cluster:Cluster";
const SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance";
const SA_KEY = "gcp:serviceaccount/key:Key";
const API_KEY = "gcp:projects/apiKey:ApiKey";
const WIF_PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider";

// ---- grants ----------------------------------------------------------------

function normalizeRole(role) {
    const r = String(role).trim();
    switch (r.toUpperCase()) {
        case "OWNER": return "roles/bigquery.dataOwner";
        case "WRITER": return "roles/bigquery.dataEditor";
        case "READER": return "roles/bigquery.dataViewer";
    }
    return r;
}

function specialGroupMember(g) {
    switch (g) {
        case "allUsers":
        case "allAuthenticatedUsers": return g;
        case "projectOwners": return "projectOwner:";
        case "projectWriters": return "projectEditor:";
        case "projectReaders": return "projectViewer:";
    }
    return "specialGroup:" + g;
}

// accessMember reads the principal of a BigQuery access entry.
function accessMember(e) {
    if (e.iamMember !== undefined) return e.iamMember;
    if (e.userByEmail !== undefined) {
        const u = String(e.userByEmail);
        return u.toLowerCase().endsWith(".gserviceaccount.com") ? "serviceAccount:" + u : "user:" + u;
    }
    if (e.groupByEmail !== undefined) return "group:" + e.groupByEmail;
    if (e.domain !== undefined) return "domain:" + e.domain;
    if (e.specialGroup !== undefined) return specialGroupMember(e.specialGroup);
    return undefined; // a view, routine or dataset: not a principal
}

// grants returns {grants, problems} for an IAM or BigQuery access resource,
// or undefined for any other type.
function grants(type, props) {
    if (type === DATASET || type === DATASET_ACCESS) {
        const entries = type === DATASET ? (props.accesses || []) : [props];
        const out = [];
        entries.forEach((e, i) => {
            const member = accessMember(e);
            if (member !== undefined) {
                out.push({ role: e.role, member, condition: e.condition, path: type === DATASET ? `accesses[${i}]` : "" });
            }
        });
        return { grants: out, problems: [] };
    }
    const kind = IAM.get(type);
    switch (kind) {
        case "member":
            return { grants: [{ role: props.role, member: props.member, condition: props.condition, path: "member" }], problems: [] };
        case "binding":
            return {
                grants: (props.members || []).map((m, i) => ({ role: props.role, member: m, condition: props.condition, path: `members[${i}]` })),
                problems: [],
            };
        case "policy": {
            if (props.policyData === undefined) return { grants: [], problems: [] };
            let doc;
            try {
                doc = JSON.parse(props.policyData);
            } catch (e) {
                return { grants: [], problems: ["policyData is not valid JSON"] };
            }
            if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
                return { grants: [], problems: ["policyData is not a JSON object"] };
            }
            const out = [];
            const problems = [];
            (doc.bindings || []).forEach((b, i) => {
                if (b === null || typeof b !== "object" || (b.members !== undefined && !Array.isArray(b.members))) {
                    problems.push(`policyData binding ${i} has no list of members`);
                    return;
                }
                (b.members || []).forEach((m, j) => out.push({
                    role: b.role, member: m, condition: b.condition, path: `policyData.bindings[${i}].members[${j}]`,
                }));
            });
            return { grants: out, problems };
        }
    }
    return undefined;
}

function conditionNote(g) {
    return g.condition ? ` (under the condition "${g.condition.title || g.condition.expression}"; a condition does not make a grant safe)` : "";
}

function eachGrant(args, reportViolation, fn) {
    const found = grants(args.type, args.props);
    if (!found) return;
    for (const p of found.problems) {
        reportViolation(`policyData cannot be read (${p}), so its grants cannot be checked; set it to a JSON IAM policy document`);
    }
    for (const g of found.grants) fn(g);
}

// ---- iam-no-primitive-roles -------------------------------------------------

const PRIMITIVE = new Set(["roles/owner", "roles/editor", "roles/viewer"]);

const iamNoPrimitiveRoles = {
    name: "iam-no-primitive-roles",
    description: "No grant uses the basic roles owner, editor or viewer",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            exemptMembers: { type: "array", items: { type: "string", minLength: 1 }, default: [] },
        },
    },
    validateResource: (args, reportViolation) => {
        const exempt = args.getConfig().exemptMembers || [];
        eachGrant(args, reportViolation, (g) => {
            if (g.role === undefined || !PRIMITIVE.has(normalizeRole(g.role))) return;
            if (exempt.includes(g.member)) return;
            reportViolation(`${g.path}: grants the basic role ${g.role} to ${g.member}${conditionNote(g)}; ` +
                "grant predefined or custom roles that cover only what the member needs");
        });
    },
};

// ---- iam-no-public-members --------------------------------------------------

function isPublicEntity(s) {
    const e = String(s).trim().toLowerCase();
    return e === "allusers" || e === "allauthenticatedusers";
}

function isPublicMember(member) {
    const m = String(member).trim();
    if (isPublicEntity(m)) return true;
    const i = m.indexOf(":");
    return i > 0 && m.slice(0, i).toLowerCase() === "specialgroup" && isPublicEntity(m.slice(i + 1));
}

function audience(member) {
    return String(member).toLowerCase().endsWith("allauthenticatedusers")
        ? "anyone signed in with any Google account" : "anyone on the internet";
}

const PUBLIC_CANNED = {
    publicread: "allUsers", publicreadwrite: "allUsers", authenticatedread: "allAuthenticatedUsers",
};

const iamNoPublicMembers = {
    name: "iam-no-public-members",
    description: "Nothing is granted to allUsers or allAuthenticatedUsers",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        eachGrant(args, reportViolation, (g) => {
            if (g.member === undefined || !isPublicMember(g.member)) return;
            reportViolation(`${g.path}: grants ${g.role} to ${g.member}, that is to ${audience(g.member)}${conditionNote(g)}; ` +
                "remove the public member and grant the role to the specific group or service account that needs it");
        });
        if (!ACL_TYPES.has(args.type)) return;
        const p = args.props;
        (p.roleEntities || []).forEach((re, i) => {
            const s = String(re);
            const entity = s.slice(s.indexOf(":") + 1);
            if (isPublicEntity(entity)) {
                reportViolation(`roleEntities[${i}]: gives the ACL entity ${entity} access, that is ${audience(entity)}`);
            }
        });
        if (p.entity !== undefined && isPublicEntity(p.entity)) {
            reportViolation(`entity: gives the ACL entity ${p.entity} access, that is ${audience(p.entity)}`);
        }
        for (const key of ["predefinedAcl", "defaultAcl"]) {
            const v = p[key];
            if (v === undefined) continue;
            const entity = PUBLIC_CANNED[String(v).trim().toLowerCase()];
            if (entity) {
                reportViolation(`${key}: is the predefined ACL ${v}, which gives ${entity}, that is ${audience(entity)}, access`);
            }
        }
    },
};

// ---- no-service-account-keys ------------------------------------------------

const noServiceAccountKeys = {
    name: "no-service-account-keys",
    description: "Service accounts have no user-managed keys",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type === SA_KEY) {
            if (args.props.publicKeyData !== undefined) {
                reportViolation("publicKeyData: uploads a user-managed service account key; remove the key and use workload identity federation");
            } else {
                reportViolation("creates a user-managed service account key; remove the key and use workload identity federation or an attached service account");
            }
        } else if (args.type === API_KEY) {
            const sa = args.props.serviceAccountEmail;
            if (sa !== undefined && sa !== null && sa !== "") {
                reportViolation(`serviceAccountEmail: binds the API key to service account ${sa}, making it a service account key`);
            }
        }
    },
};

// ---- Dataflow worker environments -------------------------------------------

// workerEnvs returns the worker settings of a Dataflow resource: the job
// itself, or each workload environment of a Pipeline.
function workerEnvs(type, props) {
    if (type === JOB || type === FLEX_JOB) return [{ env: props, path: "", pipeline: false }];
    if (type !== PIPELINE) return [];
    const workload = props.workload || {};
    const out = [];
    for (const [request, launch] of [["dataflowFlexTemplateRequest", "launchParameter"], ["dataflowLaunchTemplateRequest", "launchParameters"]]) {
        const req = workload[request];
        if (req === undefined) continue;
        const l = req[launch] || {};
        out.push({ env: l.environment || {}, path: `workload.${request}.${launch}.environment.`, pipeline: true });
    }
    return out;
}

// ---- required-labels --------------------------------------------------------

// labelSets returns the labels fields of a resource with the provider
// defaults that apply to each ({own, defaults, path}).
function labelSets(args) {
    const type = args.type;
    const props = args.props;
    const providerDefaults = () => {
        const p = args.provider;
        if (!p || !p.props) return { defaults: undefined };
        const d = p.props.defaultLabels;
        if (d === undefined || d === null) return { defaults: undefined };
        if (typeof d === "string") {
            try {
                const parsed = JSON.parse(d);
                if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return { defaults: undefined, malformed: true };
                return { defaults: parsed };
            } catch (e) {
                return { defaults: undefined, malformed: true };
            }
        }
        return { defaults: d };
    };
    if (type === PIPELINE) {
        return workerEnvs(type, props).map((w) => ({ own: w.env.additionalUserLabels, path: w.path + "additionalUserLabels" }));
    }
    if (type === CLUSTER) return [{ own: props.resourceLabels, path: "resourceLabels", ...providerDefaults() }];
    if (type === SQL_INSTANCE) return [{ own: (props.settings || {}).userLabels, path: "settings.userLabels" }];
    if (type === JOB || type === FLEX_JOB || LABEL_TYPES.has(type)) {
        return [{ own: props.labels, path: "labels", ...providerDefaults() }];
    }
    if (USER_LABEL_TYPES.has(type)) return [{ own: props.userLabels, path: "userLabels" }];
    return [];
}

const requiredLabels = {
    name: "required-labels",
    description: "Dataflow jobs and their infrastructure carry the mandatory labels",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requiredLabels: { type: "array", items: { type: "string", minLength: 1 }, default: ["env", "team"] },
            allowedValues: { type: "object", additionalProperties: { type: "string" }, default: {} },
            excludeTypes: { type: "array", items: { type: "string" }, default: [] },
        },
    },
    validateResource: (args, reportViolation) => {
        const cfg = args.getConfig();
        if ((cfg.excludeTypes || []).includes(args.type)) return;
        const allowed = {};
        for (const [k, pattern] of Object.entries(cfg.allowedValues || {})) allowed[k] = new RegExp(`^(?:${pattern})$`);
        for (const set of labelSets(args)) {
            if (set.malformed) {
                reportViolation("provider defaultLabels is not a JSON object of label keys to values; fix the stack config gcp:defaultLabels");
            }
            const own = set.own || {};
            const defaults = set.defaults || {};
            for (const key of cfg.requiredLabels || []) {
                const value = own[key] !== undefined ? own[key] : defaults[key];
                if (value === undefined) {
                    reportViolation(`${set.path}.${key}: required label "${key}" is missing; add it to ${set.path} or to the provider's defaultLabels`);
                    continue;
                }
                const re = allowed[key];
                if (re && !re.test(String(value))) {
                    reportViolation(`${set.path}.${key}: label "${key}" has value "${value}", which does not match "${cfg.allowedValues[key]}"`);
                }
            }
        }
    },
};

// ---- dataflow-dedicated-worker-service-account ------------------------------

const COMPUTE_DEFAULT_SA = /^[0-9]+-compute@developer\.gserviceaccount\.com$/i;
const APPENGINE_DEFAULT_SA = /^[a-z0-9.:-]+@appspot\.gserviceaccount\.com$/i;

function isDefaultServiceAccount(email) {
    let e = String(email).trim();
    if (e.startsWith("serviceAccount:")) e = e.slice("serviceAccount:".length);
    return COMPUTE_DEFAULT_SA.test(e) || APPENGINE_DEFAULT_SA.test(e);
}

const dedicatedWorkerServiceAccount = {
    name: "dataflow-dedicated-worker-service-account",
    description: "Dataflow jobs run as a dedicated worker service account",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedServiceAccountPattern: { type: "string", default: "" },
        },
    },
    validateResource: (args, reportViolation) => {
        const pattern = args.getConfig().allowedServiceAccountPattern;
        const re = pattern ? new RegExp(pattern) : undefined;
        for (const w of workerEnvs(args.type, args.props)) {
            const path = w.path + "serviceAccountEmail";
            const email = w.env.serviceAccountEmail;
            if (email === undefined || email === null) {
                reportViolation(`${path}: is not set, so the workers run as the Compute Engine default service account; set it to a dedicated worker service account`);
            } else if (email === "") {
                reportViolation(`${path}: is empty, so the workers run as the Compute Engine default service account`);
            } else if (isDefaultServiceAccount(email)) {
                reportViolation(`${path}: is the default service account ${email}; use a dedicated worker service account`);
            } else if (re && !re.test(email)) {
                reportViolation(`${path}: ${email} does not match allowedServiceAccountPattern "${pattern}"`);
            }
        }
    },
};

// ---- wif-provider-attribute-condition ---------------------------------------

// splitTop splits an expression at a binary operator outside quotes,
// parentheses and brackets.
function splitTop(expr, op) {
    const parts = [];
    let depth = 0;
    let quote = "";
    let start = 0;
    for (let i = 0; i < expr.length; i++) {
        const c = expr[i];
        if (quote) {
            if (c === "\\") i++;
            else if (c === quote) quote = "";
            continue;
        }
        if (c === "'" || c === "\"") quote = c;
        else if (c === "(" || c === "[") depth++;
        else if (c === ")" || c === "]") depth--;
        else if (depth === 0 && expr.startsWith(op, i)) {
            parts.push(expr.slice(start, i));
            i += op.length - 1;
            start = i + 1;
        }
    }
    if (quote || depth !== 0) throw new Error("unbalanced quotes or parentheses");
    parts.push(expr.slice(start));
    return parts.map((p) => p.trim());
}

function stripParens(e) {
    let s = e.trim();
    while (s.startsWith("(") && s.endsWith(")")) {
        try {
            splitTop(s.slice(1, -1), "&&");
        } catch (err) {
            break;
        }
        s = s.slice(1, -1).trim();
    }
    return s;
}

// parse builds {or: [...]} / {and: [...]} / {leaf: text} trees.
function parse(expr) {
    const e = stripParens(expr);
    if (e === "") throw new Error("empty operand");
    const ors = splitTop(e, "||");
    if (ors.length > 1) return { or: ors.map(parse) };
    const ands = splitTop(e, "&&");
    if (ands.length > 1) return { and: ands.map(parse) };
    return { leaf: e };
}

const REF = "((?:assertion|attribute|google)\\.[A-Za-z_][A-Za-z0-9_.]*)";
const LIT = "('(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\")";
const EQ_RE = new RegExp(`^${REF}\\s*==\\s*${LIT}$|^${LIT}\\s*==\\s*${REF}$`);
const IN_RE = new RegExp(`^${REF}\\s+in\\s+\\[\\s*(${LIT}(?:\\s*,\\s*${LIT})*)\\s*\\]$`);
const STARTS_RE = new RegExp(`^${REF}\\.startsWith\\(\\s*${LIT}\\s*\\)$`);
const CLAIM_RE = /\b(?:assertion|attribute|google)\.[A-Za-z_]/;

function unquote(lit) {
    return lit.slice(1, -1).replace(/\\(.)/g, "$1");
}

// comparison reads a leaf as {ref, op, values}, or undefined.
function comparison(leaf) {
    let m = EQ_RE.exec(leaf);
    if (m) return m[1] ? { ref: m[1], op: "==", values: [unquote(m[2])] } : { ref: m[4], op: "==", values: [unquote(m[3])] };
    m = IN_RE.exec(leaf);
    if (m) return { ref: m[1], op: "in", values: (m[2].match(new RegExp(LIT, "g")) || []).map(unquote) };
    m = STARTS_RE.exec(leaf);
    if (m) return { ref: m[1], op: "startsWith", values: [unquote(m[2])] };
    return undefined;
}

// restrictive: every || branch, and some && operand, compares a claim.
function restrictive(node) {
    if (node.or) return node.or.every(restrictive);
    if (node.and) return node.and.some(restrictive);
    const leaf = node.leaf;
    if (leaf.startsWith("!") || !CLAIM_RE.test(leaf)) return false;
    return comparison(leaf) !== undefined;
}

function constrains(node, pred) {
    if (node.or) return node.or.every((n) => constrains(n, pred));
    if (node.and) return node.and.some((n) => constrains(n, pred));
    const cmp = comparison(node.leaf);
    return cmp !== undefined && pred(cmp);
}

function resolveClaim(ref, mapping) {
    if (ref.startsWith("assertion.")) return ref.slice("assertion.".length);
    const expr = (mapping || {})[ref];
    if (typeof expr !== "string") return undefined;
    const m = /^\s*assertion\.([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(expr);
    return m ? m[1] : undefined;
}

const GITHUB_CLAIMS = new Set(["repository_owner_id", "repository_id", "repository_owner", "repository"]);
const GITLAB_CLAIMS = new Set(["namespace_id", "project_id", "namespace_path", "project_path"]);

function claimPredicate(claims, subPrefix, pathClaims) {
    return (claim, cmp) => {
        if (claim === "sub") return cmp.values.every((v) => v.startsWith(subPrefix) && v.length > subPrefix.length);
        if (!claims.has(claim)) return false;
        if (cmp.op === "startsWith") return pathClaims.has(claim) && cmp.values.every((v) => v.includes("/"));
        return cmp.values.every((v) => v !== "");
    };
}
const githubConstraint = claimPredicate(GITHUB_CLAIMS, "repo:", new Set(["repository"]));
const gitlabConstraint = claimPredicate(GITLAB_CLAIMS, "project_path:", new Set(["project_path", "namespace_path"]));

function normalizeIssuer(uri) {
    try {
        const u = new URL(String(uri).trim());
        return { host: u.hostname.toLowerCase(), normalized: `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, "")}` };
    } catch (e) {
        return undefined;
    }
}

const wifProviderAttributeCondition = {
    name: "wif-provider-attribute-condition",
    description: "Workload identity pool providers only accept tokens of your own repositories",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            gitlabIssuers: { type: "array", items: { type: "string", minLength: 1 }, default: [] },
        },
    },
    validateResource: (args, reportViolation) => {
        if (args.type !== WIF_PROVIDER) return;
        const props = args.props;
        const mapping = props.attributeMapping;
        if (mapping === undefined) {
            if (props.aws === undefined) reportViolation("attributeMapping: is not set; map google.subject (for example to assertion.sub)");
        } else if (mapping["google.subject"] === undefined) {
            reportViolation("attributeMapping: does not map google.subject; map it (for example to assertion.sub)");
        } else if (String(mapping["google.subject"]).trim() === "") {
            reportViolation("attributeMapping.google.subject: is empty; map google.subject to a claim such as assertion.sub");
        }

        const cond = props.attributeCondition;
        if (cond === undefined || cond === null) {
            reportViolation("attributeCondition: is not set, so every token of the issuer is accepted; set a condition that pins your repository owner");
            return;
        }
        if (String(cond).trim() === "") {
            reportViolation("attributeCondition: is empty, so every token of the issuer is accepted");
            return;
        }
        let tree;
        try {
            tree = parse(String(cond));
        } catch (e) {
            reportViolation(`attributeCondition: cannot be analysed (${e.message}); write it as claim comparisons joined by &&`);
            return;
        }
        if (!restrictive(tree)) {
            reportViolation(`attributeCondition: "${cond}" does not restrict which tokens are accepted; compare claims with specific values, joined by &&`);
            return;
        }
        const gitlab = ["https://gitlab.com", ...(args.getConfig().gitlabIssuers || [])]
            .map(normalizeIssuer).filter((x) => x).map((x) => x.normalized);
        const issuer = normalizeIssuer((props.oidc || {}).issuerUri || "");
        let pred;
        let msg;
        if (issuer && issuer.host === "token.actions.githubusercontent.com") {
            pred = githubConstraint;
            msg = "does not pin a GitHub repository owner or repository, so any repository's workflow can use this pool";
        } else if (issuer && gitlab.includes(issuer.normalized)) {
            pred = gitlabConstraint;
            msg = "does not pin a GitLab namespace or project, so any project's pipeline can use this pool";
        } else {
            return;
        }
        const ok = constrains(tree, (cmp) => {
            const claim = resolveClaim(cmp.ref, mapping);
            return claim !== undefined && pred(claim, cmp);
        });
        if (!ok) reportViolation(`attributeCondition: ${msg}`);
    },
};

new PolicyPack("dataflow-guardrails-node", {
    policies: [
        noServiceAccountKeys,
        dedicatedWorkerServiceAccount,
        requiredLabels,
        iamNoPrimitiveRoles,
        iamNoPublicMembers,
        wifProviderAttributeCondition,
    ],
});
