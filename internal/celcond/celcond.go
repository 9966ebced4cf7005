// Package celcond reads Common Expression Language (CEL) conditions the way
// Google evaluates them: workload identity pool attribute conditions and IAM
// conditions are CEL, so comments, every string literal form, `in` lists,
// `? :`, `has()`, `!` and parentheses mean what CEL says they mean.
//
// The expression is parsed with cel-go's parser (the reference
// implementation Google's services use), then brought into negation normal
// form: a tree of AND and OR over atoms and constants, with every `!` pushed
// down into the atoms. A question such as "does every way this condition can
// be true require the repository owner to equal a literal?" is then answered
// by Requires, which is sound: it never claims a requirement that some
// satisfying token could avoid. What it cannot see through (a function it
// does not model, a comprehension) is an opaque atom that satisfies no
// requirement, so an unusual condition fails closed.
package celcond

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/parser"
)

// Op is what an atom tests about its reference.
type Op uint8

const (
	// Other is any test the package does not model as a pin (`!=`, `<`,
	// endsWith, size, a comprehension, a negated comparison, ...).
	Other Op = iota
	// Equals: the reference equals one of Values (`==`, `in [...]`, an
	// anchored literal regular expression).
	Equals
	// StartsWith: the reference starts with one of Values (`startsWith`,
	// a regular expression anchored at the start with a literal prefix).
	StartsWith
)

func (o Op) String() string {
	switch o {
	case Equals:
		return "=="
	case StartsWith:
		return "startsWith"
	}
	return "other"
}

// Atom is a test that cannot be split further by the logical operators.
type Atom struct {
	// Ref is the reference compared with literals (`assertion.repository`),
	// set for Equals and StartsWith atoms.
	Ref    string
	Op     Op
	Values []string // the literals: strings unquoted and unescaped, numbers in CEL's form
	// Refs lists every reference the atom reads (dotted, bracket access
	// with a string key read as a field), sorted, without duplicates.
	Refs []string
}

// ReadsAny reports whether the atom reads a reference whose root is one of
// roots (`assertion`, `attribute`, ...).
func (a Atom) ReadsAny(roots ...string) bool {
	for _, r := range a.Refs {
		root, _, _ := strings.Cut(r, ".")
		if slices.Contains(roots, root) {
			return true
		}
	}
	return false
}

// Condition is a parsed condition in negation normal form.
type Condition struct{ root *node }

type nodeKind uint8

const (
	nodeTrue nodeKind = iota
	nodeFalse
	nodeAnd
	nodeOr
	nodeAtom
)

type node struct {
	kind     nodeKind
	children []*node
	atom     Atom
}

// Limits. Google caps attribute conditions at 4,096 characters and IAM
// condition expressions at 12,800; the parser's own limits guard the rest.
// maxNodes bounds the normal form, which a nested `? :` duplicates.
const (
	maxCodePoints = 100_000
	maxNodes      = 100_000
)

// ErrTooComplex is returned for a condition whose normal form exceeds the
// package's bound.
var ErrTooComplex = errors.New("the condition is too complex to analyse")

// Parse parses a CEL expression. It fails where CEL fails (syntax errors,
// unterminated strings, unbalanced parentheses, an empty expression), which
// Google rejects too.
func Parse(expr string) (*Condition, error) {
	e, err := parse(expr)
	if err != nil {
		return nil, err
	}
	b := builder{}
	root := b.build(e, false)
	if b.nodes > maxNodes {
		return nil, ErrTooComplex
	}
	return &Condition{root: root}, nil
}

func parse(expr string) (ast.Expr, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, errors.New("the expression is empty")
	}
	p, err := parser.NewParser(parser.Macros(parser.AllMacros...), parser.ExpressionSizeCodePointLimit(maxCodePoints))
	if err != nil {
		return nil, err
	}
	tree, errs := p.Parse(common.NewTextSource(expr))
	if errs != nil && len(errs.GetErrors()) > 0 {
		first := errs.GetErrors()[0]
		return nil, fmt.Errorf("not valid CEL: %s (line %d, column %d)", first.Message, first.Location.Line(), first.Location.Column()+1)
	}
	return tree.Expr(), nil
}

// Reference returns the reference an expression consists of, such as
// `assertion.repository` for `assertion.repository`, `assertion['repository']`
// or either with comments around it; ok is false for any other expression.
func Reference(expr string) (string, bool) {
	e, err := parse(expr)
	if err != nil {
		return "", false
	}
	return refOf(e)
}

// Requires reports whether every way the condition can evaluate to true
// passes through an atom pred accepts: an AND needs one operand that
// requires it, an OR needs every operand to. The constant false requires
// everything (it is never true), the constant true nothing.
func (c *Condition) Requires(pred func(Atom) bool) bool { return requires(c.root, pred) }

// Atoms calls fn for every atom of the normal form.
func (c *Condition) Atoms(fn func(Atom)) { walkAtoms(c.root, fn) }

func requires(n *node, pred func(Atom) bool) bool {
	switch n.kind {
	case nodeFalse:
		return true
	case nodeTrue:
		return false
	case nodeAtom:
		return pred(n.atom)
	case nodeAnd:
		for _, ch := range n.children {
			if requires(ch, pred) {
				return true
			}
		}
		return false
	}
	for _, ch := range n.children {
		if !requires(ch, pred) {
			return false
		}
	}
	return true
}

func walkAtoms(n *node, fn func(Atom)) {
	if n.kind == nodeAtom {
		fn(n.atom)
	}
	for _, ch := range n.children {
		walkAtoms(ch, fn)
	}
}

// builder turns a CEL AST into negation normal form.
type builder struct{ nodes int }

func (b *builder) mk(n *node) *node {
	b.nodes++
	return n
}

func (b *builder) constant(v bool) *node {
	if v {
		return b.mk(&node{kind: nodeTrue})
	}
	return b.mk(&node{kind: nodeFalse})
}

// build returns the normal form of e, or of !e when negate is set.
func (b *builder) build(e ast.Expr, negate bool) *node {
	if b.nodes > maxNodes {
		return b.constant(false) // the result is discarded by Parse
	}
	switch e.Kind() {
	case ast.LiteralKind:
		if v, ok := e.AsLiteral().(types.Bool); ok {
			return b.constant(bool(v) != negate)
		}
		// A condition that is not a bool is an evaluation error, which
		// rejects the token (and under `!` is still an error).
		return b.constant(false)
	case ast.CallKind:
		return b.call(e, negate)
	}
	return b.opaque(e)
}

func (b *builder) call(e ast.Expr, negate bool) *node {
	call := e.AsCall()
	args := call.Args()
	switch fn := call.FunctionName(); {
	case fn == operators.LogicalNot && len(args) == 1:
		return b.build(args[0], !negate)
	case (fn == operators.LogicalAnd || fn == operators.LogicalOr) && len(args) >= 2:
		// !(a && b) is !a || !b, and the other way round.
		kind := nodeAnd
		if (fn == operators.LogicalOr) != negate {
			kind = nodeOr
		}
		n := b.mk(&node{kind: kind})
		for _, a := range args {
			n.children = append(n.children, b.build(a, negate))
		}
		return n
	case fn == operators.Conditional && len(args) == 3:
		// c ? x : y is (c && x) || (!c && y); its negation swaps x and y
		// for their negations.
		cond, then, otherwise := args[0], args[1], args[2]
		return b.mk(&node{kind: nodeOr, children: []*node{
			b.mk(&node{kind: nodeAnd, children: []*node{b.build(cond, false), b.build(then, negate)}}),
			b.mk(&node{kind: nodeAnd, children: []*node{b.build(cond, true), b.build(otherwise, negate)}}),
		}})
	case (fn == operators.Equals || fn == operators.NotEquals) && len(args) == 2:
		equal := fn == operators.Equals
		if c, ok := b.equality(args[0], args[1], equal != negate); ok {
			return c
		}
		if equal != negate {
			if ref, values, ok := comparison(args[0], args[1]); ok {
				return b.atom(Equals, ref, values, e)
			}
		}
	case (fn == operators.LessEquals || fn == operators.GreaterEquals) && len(args) == 2 && sameExpr(args[0], args[1]):
		// x <= x is true for every comparable x.
		return b.constant(!negate)
	case (fn == operators.In || fn == operators.OldIn) && len(args) == 2 && !negate:
		if ref, ok := refOf(args[0]); ok && args[1].Kind() == ast.ListKind {
			if values, ok := literalList(args[1].AsList().Elements()); ok {
				if len(values) == 0 {
					return b.constant(false) // x in [] is never true
				}
				return b.atom(Equals, ref, values, e)
			}
		}
	case fn == "startsWith" && call.IsMemberFunction() && len(args) == 1 && !negate:
		if ref, ok := refOf(call.Target()); ok {
			if v, ok := stringLiteral(args[0]); ok {
				return b.atom(StartsWith, ref, []string{v}, e)
			}
		}
	case fn == "matches" && !negate:
		target, pattern, ok := matchesArgs(call)
		if !ok {
			break
		}
		if ref, ok := refOf(target); ok {
			if op, values, ok := anchoredLiteral(pattern); ok {
				return b.atom(op, ref, values, e)
			}
		}
	}
	return b.opaque(e)
}

// equality folds a comparison whose outcome does not depend on any value:
// two literals, or the same expression on both sides.
func (b *builder) equality(left, right ast.Expr, wantEqual bool) (*node, bool) {
	if sameExpr(left, right) {
		return b.constant(wantEqual), true
	}
	if left.Kind() != ast.LiteralKind || right.Kind() != ast.LiteralKind {
		return nil, false
	}
	// CEL's own equality: numbers compare across int, uint and double,
	// values of other types are never equal.
	equal := left.AsLiteral().Equal(right.AsLiteral()) == types.True
	return b.constant(equal == wantEqual), true
}

func (b *builder) atom(op Op, ref string, values []string, e ast.Expr) *node {
	return b.mk(&node{kind: nodeAtom, atom: Atom{Ref: ref, Op: op, Values: values, Refs: refsIn(e)}})
}

func (b *builder) opaque(e ast.Expr) *node {
	return b.mk(&node{kind: nodeAtom, atom: Atom{Op: Other, Refs: refsIn(e)}})
}

// comparison recognises `REF == literal` and `literal == REF`.
func comparison(left, right ast.Expr) (string, []string, bool) {
	if ref, ok := refOf(left); ok {
		if v, ok := literal(right); ok {
			return ref, []string{v}, true
		}
	}
	if ref, ok := refOf(right); ok {
		if v, ok := literal(left); ok {
			return ref, []string{v}, true
		}
	}
	return "", nil, false
}

func matchesArgs(call ast.CallExpr) (target ast.Expr, pattern string, ok bool) {
	args := call.Args()
	switch {
	case call.IsMemberFunction() && len(args) == 1:
		target = call.Target()
		pattern, ok = stringLiteral(args[0])
	case !call.IsMemberFunction() && len(args) == 2:
		target = args[0]
		pattern, ok = stringLiteral(args[1])
	}
	return target, pattern, ok
}

// anchoredLiteral reads a regular expression (RE2, as CEL's matches uses;
// a match may start anywhere) that pins its input: `^lit$` (or `^(a|b)$`)
// equals the literals, `^lit` starts with them. Case folding, multi-line
// anchors and anything else are not pins.
func anchoredLiteral(pattern string) (Op, []string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return Other, nil, false
	}
	re = re.Simplify()
	parts := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		parts = re.Sub
	}
	if len(parts) < 2 || parts[0].Op != syntax.OpBeginText {
		return Other, nil, false
	}
	parts = parts[1:]
	// x matches ^P... implies x starts with P, whatever follows; only a
	// pattern that is literal up to an end anchor pins x to equal P.
	prefixes := []string{""}
	consumed := 0
	for _, p := range parts {
		alts, ok := literalAlternatives(p)
		if !ok {
			break
		}
		var next []string
		for _, pre := range prefixes {
			for _, a := range alts {
				next = append(next, pre+a)
			}
		}
		if len(next) > 64 {
			break
		}
		prefixes = next
		consumed++
	}
	if consumed == 0 {
		return Other, nil, false
	}
	if consumed == len(parts)-1 && parts[consumed].Op == syntax.OpEndText {
		return Equals, prefixes, true
	}
	return StartsWith, prefixes, true
}

func literalAlternatives(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpCapture:
		return literalAlternatives(re.Sub[0])
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		return []string{string(re.Rune)}, true
	case syntax.OpCharClass:
		// A class of single runes, as the parser factors `a|b`.
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi-lo > 16 {
				return nil, false
			}
			for r := lo; r <= hi; r++ {
				out = append(out, string(r))
			}
		}
		return out, len(out) > 0
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			alts, ok := literalAlternatives(sub)
			if !ok {
				return nil, false
			}
			var next []string
			for _, pre := range out {
				for _, a := range alts {
					next = append(next, pre+a)
				}
			}
			if len(next) > 64 {
				return nil, false
			}
			out = next
		}
		return out, true
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			alts, ok := literalAlternatives(sub)
			if !ok {
				return nil, false
			}
			out = append(out, alts...)
		}
		return out, len(out) <= 64
	}
	return nil, false
}

// refOf returns the dotted reference an expression is: an identifier, a
// field selection on a reference, or an index with a string key.
func refOf(e ast.Expr) (string, bool) {
	switch e.Kind() {
	case ast.IdentKind:
		return e.AsIdent(), true
	case ast.SelectKind:
		sel := e.AsSelect()
		if sel.IsTestOnly() {
			return "", false
		}
		base, ok := refOf(sel.Operand())
		if !ok {
			return "", false
		}
		return base + "." + sel.FieldName(), true
	case ast.CallKind:
		call := e.AsCall()
		if call.FunctionName() != operators.Index || len(call.Args()) != 2 {
			return "", false
		}
		base, ok := refOf(call.Args()[0])
		if !ok {
			return "", false
		}
		key, ok := stringLiteral(call.Args()[1])
		if !ok {
			return "", false
		}
		return base + "." + key, true
	}
	return "", false
}

// refsIn lists the references read anywhere in e.
func refsIn(e ast.Expr) []string {
	var out []string
	var visit func(ast.Expr)
	visit = func(e ast.Expr) {
		if ref, ok := refOf(e); ok {
			out = append(out, ref)
			return
		}
		switch e.Kind() {
		case ast.SelectKind:
			visit(e.AsSelect().Operand())
		case ast.CallKind:
			call := e.AsCall()
			if call.IsMemberFunction() {
				visit(call.Target())
			}
			for _, a := range call.Args() {
				visit(a)
			}
		case ast.ListKind:
			for _, el := range e.AsList().Elements() {
				visit(el)
			}
		case ast.MapKind:
			for _, en := range e.AsMap().Entries() {
				if en.Kind() == ast.MapEntryKind {
					visit(en.AsMapEntry().Key())
					visit(en.AsMapEntry().Value())
				}
			}
		case ast.StructKind:
			for _, f := range e.AsStruct().Fields() {
				if f.Kind() == ast.StructFieldKind {
					visit(f.AsStructField().Value())
				}
			}
		case ast.ComprehensionKind:
			c := e.AsComprehension()
			visit(c.IterRange())
			visit(c.AccuInit())
			visit(c.LoopCondition())
			visit(c.LoopStep())
			visit(c.Result())
		}
	}
	visit(e)
	slices.Sort(out)
	return slices.Compact(out)
}

// literal returns a string, int, uint or double literal as text: a string
// as itself, a number as CEL writes it.
func literal(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	switch v := e.AsLiteral().(type) {
	case types.String:
		return string(v), true
	case types.Int:
		return strconv.FormatInt(int64(v), 10), true
	case types.Uint:
		return strconv.FormatUint(uint64(v), 10), true
	case types.Double:
		return strconv.FormatFloat(float64(v), 'g', -1, 64), true
	}
	return "", false
}

func stringLiteral(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

func literalList(elems []ast.Expr) ([]string, bool) {
	out := make([]string, 0, len(elems))
	for _, el := range elems {
		v, ok := literal(el)
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// sameExpr reports whether two expressions are the same tree (ignoring
// node IDs): comparing an expression with itself does not depend on any
// value.
func sameExpr(a, b ast.Expr) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case ast.LiteralKind:
		return a.AsLiteral().Equal(b.AsLiteral()) == types.True && a.AsLiteral().Type() == b.AsLiteral().Type()
	case ast.IdentKind:
		return a.AsIdent() == b.AsIdent()
	case ast.SelectKind:
		sa, sb := a.AsSelect(), b.AsSelect()
		return sa.FieldName() == sb.FieldName() && sa.IsTestOnly() == sb.IsTestOnly() && sameExpr(sa.Operand(), sb.Operand())
	case ast.CallKind:
		ca, cb := a.AsCall(), b.AsCall()
		if ca.FunctionName() != cb.FunctionName() || ca.IsMemberFunction() != cb.IsMemberFunction() || len(ca.Args()) != len(cb.Args()) {
			return false
		}
		if ca.IsMemberFunction() && !sameExpr(ca.Target(), cb.Target()) {
			return false
		}
		for i := range ca.Args() {
			if !sameExpr(ca.Args()[i], cb.Args()[i]) {
				return false
			}
		}
		return true
	case ast.ListKind:
		la, lb := a.AsList().Elements(), b.AsList().Elements()
		if len(la) != len(lb) {
			return false
		}
		for i := range la {
			if !sameExpr(la[i], lb[i]) {
				return false
			}
		}
		return true
	}
	return false
}
