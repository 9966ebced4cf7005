package gcp

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// WorkloadIdentityPoolProvider is the type token of a workload identity pool
// provider.
const WorkloadIdentityPoolProvider = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"

// WIFProtocols are the identity provider blocks of a workload identity pool
// provider, in SDK declaration order.
var WIFProtocols = []string{"aws", "oidc", "saml", "x509"}

// Well-known OIDC issuers.
const (
	GitHubActionsIssuerHost = "token.actions.githubusercontent.com"
	GitLabIssuer            = "https://gitlab.com"
)

// Issuer is a parsed OIDC issuer URI.
type Issuer struct {
	// Normalized is the URI with scheme and host lowercased and one
	// trailing slash removed: the form issuers are compared in.
	Normalized string
	Scheme     string // lowercased
	Host       string // lowercased, with any port
}

// ParseIssuer parses an issuer URI. ok is false when it is not an absolute
// URL with a host.
func ParseIssuer(uri string) (Issuer, bool) {
	s := strings.TrimSpace(uri)
	scheme, rest, found := strings.Cut(s, "://")
	if !found || scheme == "" {
		return Issuer{}, false
	}
	if _, err := url.Parse(s); err != nil {
		return Issuer{}, false
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := strings.ToLower(rest[:end]), rest[end:]
	if authority == "" {
		return Issuer{}, false
	}
	tail = strings.TrimSuffix(tail, "/")
	scheme = strings.ToLower(scheme)
	host := authority
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:]
	}
	return Issuer{Normalized: scheme + "://" + authority + tail, Scheme: scheme, Host: host}, true
}

// ---------------------------------------------------------------------------
// Attribute conditions: a deliberately small reading of CEL. The expression
// is split at its top-level `||` and `&&` (respecting parentheses, brackets
// and string literals), `!` negations and parenthesised groups are
// recognised, and every other operand is a leaf. A leaf is understood only
// in the comparison forms that pin a claim to literal values:
//
//	REF == 'v'    'v' == REF    REF in ['v', 'w']    REF.startsWith('v')
//
// where REF is `assertion.X`, `attribute.X` or `google.X` (bracket access
// `assertion['X']` is read as `assertion.X`). Anything else is opaque, and
// opaque never counts as constraining.

// Comparison is a leaf that compares a claim reference with literals.
type Comparison struct {
	Ref    string   // assertion.repository, attribute.owner, google.subject
	Op     string   // "==", "in" or "startsWith"
	Values []string // the literals, strings unquoted, numbers as written
}

// Condition is a parsed attribute condition.
type Condition struct{ root *condNode }

type nodeKind uint8

const (
	nodeLeaf nodeKind = iota
	nodeAnd
	nodeOr
	nodeNot
)

type condNode struct {
	kind     nodeKind
	children []*condNode
	toks     []token // leaf
}

// ParseCondition parses an attribute condition. It fails on an empty
// expression, an unterminated string and unbalanced brackets, which Google
// rejects too.
func ParseCondition(expr string) (*Condition, error) {
	toks, err := tokenize(expr)
	if err != nil {
		return nil, err
	}
	root, err := parseExpr(toks)
	if err != nil {
		return nil, err
	}
	return &Condition{root: root}, nil
}

// ReferencesClaim reports whether the condition reads any assertion,
// attribute or google value outside string literals.
func (c *Condition) ReferencesClaim() bool { return refsClaim(c.root) }

// Restrictive reports whether the condition can reject a token at all:
// every top-level `||` branch must contain an `&&` operand that references
// a claim and is not a tautology such as `X == X`. A constant (`true`,
// `1 == 1`, `"a" == "a"`) or an OR with such a branch is not restrictive.
func (c *Condition) Restrictive() bool { return restrictive(c.root) }

// Constrains reports whether pred holds for the condition as a whole: some
// top-level `&&` operand is a comparison pred accepts, or an OR every branch
// of which constrains. Comparisons under a negation never count.
func (c *Condition) Constrains(pred func(Comparison) bool) bool { return constrains(c.root, pred) }

func refsClaim(n *condNode) bool {
	if n.kind == nodeLeaf {
		for _, t := range n.toks {
			if t.kind == tokRef && isClaimRef(t.text) {
				return true
			}
		}
		return false
	}
	for _, ch := range n.children {
		if refsClaim(ch) {
			return true
		}
	}
	return false
}

func restrictive(n *condNode) bool {
	switch n.kind {
	case nodeOr:
		for _, ch := range n.children {
			if !restrictive(ch) {
				return false
			}
		}
		return true
	case nodeAnd:
		for _, ch := range n.children {
			if restrictive(ch) {
				return true
			}
		}
		return false
	case nodeNot:
		return restrictive(n.children[0])
	}
	return refsClaim(n) && !tautology(n.toks)
}

func constrains(n *condNode, pred func(Comparison) bool) bool {
	switch n.kind {
	case nodeOr:
		for _, ch := range n.children {
			if !constrains(ch, pred) {
				return false
			}
		}
		return true
	case nodeAnd:
		for _, ch := range n.children {
			if constrains(ch, pred) {
				return true
			}
		}
		return false
	case nodeNot:
		return false
	}
	cmp, ok := leafComparison(n.toks)
	return ok && pred(cmp)
}

// isClaimRef reports whether a reference reads a token claim or a mapped
// attribute.
func isClaimRef(ref string) bool {
	root, _, _ := strings.Cut(ref, ".")
	switch root {
	case "assertion", "attribute", "google":
		return true
	}
	return false
}

// tautology reports a leaf `A op A` whose two sides are the same tokens.
func tautology(toks []token) bool {
	for i, t := range toks {
		if t.kind != tokOp || (t.text != "==" && t.text != "<=" && t.text != ">=") {
			continue
		}
		left, right := toks[:i], toks[i+1:]
		if len(left) != len(right) || len(left) == 0 {
			return false
		}
		for j := range left {
			if left[j] != right[j] {
				return false
			}
		}
		return true
	}
	return false
}

// leafComparison recognises the comparison forms of a leaf.
func leafComparison(toks []token) (Comparison, bool) {
	switch {
	case len(toks) == 3 && toks[1].is(tokOp, "=="):
		switch {
		case toks[0].kind == tokRef && isClaimRef(toks[0].text) && toks[2].isLiteral():
			return Comparison{Ref: toks[0].text, Op: "==", Values: []string{toks[2].text}}, true
		case toks[2].kind == tokRef && isClaimRef(toks[2].text) && toks[0].isLiteral():
			return Comparison{Ref: toks[2].text, Op: "==", Values: []string{toks[0].text}}, true
		}
	case len(toks) >= 5 && toks[0].kind == tokRef && isClaimRef(toks[0].text) && toks[1].is(tokOp, "in") &&
		toks[2].is(tokPunct, "[") && toks[len(toks)-1].is(tokPunct, "]"):
		var values []string
		inner := toks[3 : len(toks)-1]
		for i, t := range inner {
			switch {
			case i%2 == 0 && t.isLiteral():
				values = append(values, t.text)
			case i%2 == 1 && t.is(tokPunct, ","):
			default:
				return Comparison{}, false
			}
		}
		if len(values) == 0 {
			return Comparison{}, false
		}
		return Comparison{Ref: toks[0].text, Op: "in", Values: values}, true
	case len(toks) == 4 && toks[0].kind == tokRef && toks[1].is(tokPunct, "(") && toks[2].isLiteral() && toks[3].is(tokPunct, ")"):
		ref, found := strings.CutSuffix(toks[0].text, ".startsWith")
		if found && isClaimRef(ref) {
			return Comparison{Ref: ref, Op: "startsWith", Values: []string{toks[2].text}}, true
		}
	}
	return Comparison{}, false
}

// MappedClaim returns the claim X when an attribute mapping expression is
// exactly `assertion.X` (or `assertion['X']`).
func MappedClaim(expr string) (string, bool) {
	toks, err := tokenize(expr)
	if err != nil || len(toks) != 1 || toks[0].kind != tokRef {
		return "", false
	}
	return strings.CutPrefix(toks[0].text, "assertion.")
}

// ---------------------------------------------------------------------------
// Which claims pin a GitHub repository or a GitLab project.

var (
	githubRepoClaims = map[string]bool{"repository_owner_id": true, "repository_id": true, "repository_owner": true, "repository": true}
	gitlabRepoClaims = map[string]bool{"namespace_id": true, "project_id": true, "namespace_path": true, "project_path": true}
	// The default GitHub subject is `repo:OWNER/REPO:...`; a customised
	// one starts with one of the repository claims.
	githubSubExact  = lazyRegexp(`^repo:[^/:]+/[^/:]+|^(repository_owner_id|repository_id|repository_owner|repository):[^:]+`)
	githubSubPrefix = lazyRegexp(`^repo:[^/:]+/|^(repository_owner_id|repository_id|repository_owner|repository):[^:]+:`)
	// GitLab's subject is `project_path:GROUP/PROJECT:ref_type:...`.
	gitlabSubExact  = lazyRegexp(`^project_path:[^/:]+/[^:]+`)
	gitlabSubPrefix = lazyRegexp(`^project_path:[^/:]+/`)
	ownerPrefix     = lazyRegexp(`^[^/]+/`)
)

// GitHubRepositoryConstraint reports whether comparing claim (already
// resolved through the attribute mapping) as cmp pins the GitHub repository
// owner or repository: repository_owner_id, repository_id,
// repository_owner or repository equal to (or in a list of) non-empty
// literals; repository starting with `OWNER/`; or the subject equal to
// `repo:OWNER/REPO...` (or starting with `repo:OWNER/`).
func GitHubRepositoryConstraint(claim string, cmp Comparison) bool {
	return repoConstraint(claim, cmp, githubRepoClaims, map[string]bool{"repository": true}, githubSubExact(), githubSubPrefix())
}

// GitLabProjectConstraint is GitHubRepositoryConstraint for GitLab:
// namespace_id, project_id, namespace_path or project_path, path claims
// starting with `GROUP/`, or the subject `project_path:GROUP/PROJECT...`.
func GitLabProjectConstraint(claim string, cmp Comparison) bool {
	return repoConstraint(claim, cmp, gitlabRepoClaims, map[string]bool{"namespace_path": true, "project_path": true}, gitlabSubExact(), gitlabSubPrefix())
}

func repoConstraint(claim string, cmp Comparison, claims, prefixClaims map[string]bool, subExact, subPrefix *regexp.Regexp) bool {
	if len(cmp.Values) == 0 {
		return false
	}
	for _, v := range cmp.Values {
		ok := false
		switch {
		case claims[claim] && cmp.Op != "startsWith":
			ok = strings.TrimSpace(v) != ""
		case claims[claim] && prefixClaims[claim]:
			ok = ownerPrefix().MatchString(v)
		case claim == "sub" && cmp.Op == "startsWith":
			ok = subPrefix.MatchString(v)
		case claim == "sub":
			ok = subExact.MatchString(v)
		}
		if !ok {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// Tokenizer and parser.

type tokKind uint8

const (
	tokRef    tokKind = iota + 1 // dotted identifier path
	tokString                    // string literal, unquoted
	tokNumber                    // numeric literal
	tokConst                     // true, false, null
	tokOp                        // operators, including the keyword in
	tokPunct                     // ( ) [ ] { } ,
)

type token struct {
	kind tokKind
	text string
}

func (t token) is(kind tokKind, text string) bool { return t.kind == kind && t.text == text }
func (t token) isLiteral() bool                   { return t.kind == tokString || t.kind == tokNumber }

func isIdentStart(c byte) bool { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || (c >= '0' && c <= '9') }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

func tokenize(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'' || ((c == 'r' || c == 'R' || c == 'b' || c == 'B') && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\'')):
			lit, n, err := readString(s[i:])
			if err != nil {
				return nil, err
			}
			out = append(out, token{tokString, lit})
			i += n
		case isDigit(c):
			j := i
			for j < len(s) && (isIdentPart(s[j]) || s[j] == '.') {
				j++
			}
			out = append(out, token{tokNumber, s[i:j]})
			i = j
		case isIdentStart(c):
			ref, n, err := readRef(s[i:])
			if err != nil {
				return nil, err
			}
			switch ref {
			case "in":
				out = append(out, token{tokOp, "in"})
			case "true", "false", "null":
				out = append(out, token{tokConst, ref})
			default:
				out = append(out, token{tokRef, ref})
			}
			i += n
		default:
			if i+1 < len(s) {
				switch two := s[i : i+2]; two {
				case "&&", "||", "==", "!=", "<=", ">=":
					out = append(out, token{tokOp, two})
					i += 2
					continue
				}
			}
			switch c {
			case '(', ')', '[', ']', '{', '}', ',':
				out = append(out, token{tokPunct, string(c)})
			case '!', '<', '>', '+', '-', '*', '/', '%', '?', ':', '.':
				out = append(out, token{tokOp, string(c)})
			default:
				return nil, fmt.Errorf("unexpected character %q", c)
			}
			i++
		}
	}
	return out, nil
}

// readRef reads `ident(.ident | ['lit'])*`.
func readRef(s string) (string, int, error) {
	i := 0
	for i < len(s) && isIdentPart(s[i]) {
		i++
	}
	ref := s[:i]
	for i < len(s) {
		switch {
		case s[i] == '.' && i+1 < len(s) && isIdentStart(s[i+1]):
			j := i + 1
			for j < len(s) && isIdentPart(s[j]) {
				j++
			}
			ref += s[i:j]
			i = j
		case s[i] == '[':
			j := i + 1
			for j < len(s) && s[j] == ' ' {
				j++
			}
			if j >= len(s) || (s[j] != '\'' && s[j] != '"') {
				return ref, i, nil
			}
			lit, n, err := readString(s[j:])
			if err != nil {
				return "", 0, err
			}
			k := j + n
			for k < len(s) && s[k] == ' ' {
				k++
			}
			if k >= len(s) || s[k] != ']' {
				return ref, i, nil
			}
			ref += "." + lit
			i = k + 1
		default:
			return ref, i, nil
		}
	}
	return ref, i, nil
}

// readString reads a CEL string literal (optionally raw or bytes, single,
// double or triple quoted) and returns its value and length.
func readString(s string) (string, int, error) {
	i := 0
	raw := false
	for i < len(s) && (s[i] == 'r' || s[i] == 'R' || s[i] == 'b' || s[i] == 'B') {
		raw = raw || s[i] == 'r' || s[i] == 'R'
		i++
	}
	q := s[i : i+1]
	if strings.HasPrefix(s[i:], q+q+q) {
		q = q + q + q
	}
	i += len(q)
	var b strings.Builder
	for i < len(s) {
		if strings.HasPrefix(s[i:], q) {
			return b.String(), i + len(q), nil
		}
		c := s[i]
		if c == '\\' && !raw && i+1 < len(s) {
			switch e := s[i+1]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(e)
			}
			i += 2
			continue
		}
		if (c == '\n' || c == '\r') && len(q) == 1 {
			break
		}
		b.WriteByte(c)
		i++
	}
	return "", 0, errors.New("unterminated string literal")
}

// splitTop splits tokens at every depth-0 occurrence of op.
func splitTop(toks []token, op string) ([][]token, error) {
	var parts [][]token
	depth, start := 0, 0
	for i, t := range toks {
		switch {
		case t.kind == tokPunct && (t.text == "(" || t.text == "[" || t.text == "{"):
			depth++
		case t.kind == tokPunct && (t.text == ")" || t.text == "]" || t.text == "}"):
			depth--
			if depth < 0 {
				return nil, errors.New("unbalanced brackets")
			}
		case depth == 0 && t.is(tokOp, op):
			parts = append(parts, toks[start:i])
			start = i + 1
		}
	}
	if depth != 0 {
		return nil, errors.New("unbalanced brackets")
	}
	return append(parts, toks[start:]), nil
}

func parseExpr(toks []token) (*condNode, error) {
	if len(toks) == 0 {
		return nil, errors.New("empty operand")
	}
	// A top-level ternary binds loosest of all: keep it opaque.
	if parts, err := splitTop(toks, "?"); err != nil {
		return nil, err
	} else if len(parts) > 1 {
		return &condNode{kind: nodeLeaf, toks: toks}, nil
	}
	for _, level := range []struct {
		op   string
		kind nodeKind
	}{{"||", nodeOr}, {"&&", nodeAnd}} {
		parts, err := splitTop(toks, level.op)
		if err != nil {
			return nil, err
		}
		if len(parts) == 1 {
			continue
		}
		n := &condNode{kind: level.kind}
		for _, p := range parts {
			ch, err := parseExpr(p)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, ch)
		}
		return n, nil
	}
	if toks[0].is(tokOp, "!") {
		ch, err := parseExpr(toks[1:])
		if err != nil {
			return nil, err
		}
		return &condNode{kind: nodeNot, children: []*condNode{ch}}, nil
	}
	if toks[0].is(tokPunct, "(") && closingParen(toks) == len(toks)-1 {
		return parseExpr(toks[1 : len(toks)-1])
	}
	return &condNode{kind: nodeLeaf, toks: toks}, nil
}

// closingParen returns the index of the parenthesis closing toks[0].
func closingParen(toks []token) int {
	depth := 0
	for i, t := range toks {
		switch {
		case t.kind == tokPunct && (t.text == "(" || t.text == "[" || t.text == "{"):
			depth++
		case t.kind == tokPunct && (t.text == ")" || t.text == "]" || t.text == "}"):
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
