package logquery

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The syntax tree of a query. The grammar is the Logging query language's
// (https://cloud.google.com/logging/docs/view/logging-query-language):
// NOT (or `-`) binds tightest, then OR, then AND; juxtaposition is an
// implicit AND; only capitalised AND, OR and NOT are operators (lower-case
// ones are search terms); `--` starts a comment to the end of the line; a
// parenthesised value list (`field = ("a" OR NOT "b")`) applies the field and
// operator to each value, with the same operators.

type nodeKind uint8

const (
	nodeAnd nodeKind = iota + 1
	nodeOr
	nodeNot
	nodeCompare // field op value
	nodeGlobal  // a bare value: a has-match against every field
	nodeCall    // log_id(...), sample(...), SEARCH(...), ...
)

type node struct {
	kind     nodeKind
	children []*node
	field    string // canonical field (nodeCompare), lower-case name (nodeCall)
	op       string // comparison operator
	value    string // compared value (nodeCompare, nodeGlobal)
	quoted   bool   // the value was a quoted string
	args     []string
	// alts are the same comparison or search term with the other readings
	// of a string that holds a backslash escape other than \": the language
	// reference does not say whether "\." is ".", stays "\." (for a regular
	// expression) or, like "\x64", is a character code; the node matches
	// what any reading matches.
	alts []*node
	// uncertain: a function argument or field path holds such an escape; the
	// node decides nothing.
	uncertain bool
	// start and end are the byte span in the query, for messages.
	start, end int

	reOnce sync.Once // the compiled regular expression of =~ and !~
	re     *compiledRegexp
}

// compiledRegexp is a regular expression both as Go matches strings and as
// a program the pattern search runs.
type compiledRegexp struct {
	re   *regexp.Regexp
	prog *syntax.Prog
}

// regexp compiles the value of a =~ or !~ comparison once; nil when it is
// not valid RE2.
func (n *node) regexp() *compiledRegexp {
	n.reOnce.Do(func() {
		re, err := regexp.Compile(n.value)
		if err != nil {
			return
		}
		parsed, err := syntax.Parse(n.value, syntax.Perl)
		if err != nil {
			return
		}
		prog, err := syntax.Compile(parsed.Simplify())
		if err != nil {
			return
		}
		n.re = &compiledRegexp{re: re, prog: prog}
	})
	return n.re
}

// ---- lexer -----------------------------------------------------------------

type tokKind uint8

const (
	tkEOF tokKind = iota
	tkLParen
	tkRParen
	tkComma
	tkOp
	tkString
	tkWord
	tkAnd
	tkOr
	tkNot
	tkMinus
)

type token struct {
	kind       tokKind
	text       string // operator, word, or unquoted string
	start, end int
	spaceAfter bool     // whitespace (or a comment) follows the token
	alts       []string // other readings of a string with an escape other than \"
	uncertain  bool     // a quoted path segment with such an escape
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// isWordByte is any byte that can continue a bare word.
func isWordByte(c byte) bool {
	switch c {
	case '(', ')', '"', '=', '!', '<', '>', ':', ',', '~':
		return false
	}
	return !isSpace(c)
}

func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(s) { // white space and comments
			if isSpace(s[i]) {
				i++
				continue
			}
			if strings.HasPrefix(s[i:], "--") {
				for i < len(s) && s[i] != '\n' {
					i++
				}
				continue
			}
			break
		}
		if len(toks) > 0 {
			toks[len(toks)-1].spaceAfter = toks[len(toks)-1].end < i
		}
		if i >= len(s) {
			return append(toks, token{kind: tkEOF, start: i, end: i}), nil
		}
		start := i
		switch c := s[i]; {
		case c == '(':
			toks = append(toks, token{kind: tkLParen, text: "(", start: i, end: i + 1})
			i++
		case c == ')':
			toks = append(toks, token{kind: tkRParen, text: ")", start: i, end: i + 1})
			i++
		case c == ',':
			toks = append(toks, token{kind: tkComma, text: ",", start: i, end: i + 1})
			i++
		case c == '=' || c == '!' || c == '<' || c == '>' || c == ':':
			op := string(c)
			if i+1 < len(s) && (s[i+1] == '=' || s[i+1] == '~') && c != ':' {
				op += string(s[i+1])
			}
			switch op {
			case "=", "!=", "<", "<=", ">", ">=", ":", "=~", "!~":
			default:
				return nil, fmt.Errorf("unexpected %q at %d", op, i)
			}
			i += len(op)
			toks = append(toks, token{kind: tkOp, text: op, start: start, end: i})
		case c == '"':
			readings, n, err := readString(s[i:])
			if err != nil {
				return nil, err
			}
			i += n
			toks = append(toks, token{kind: tkString, text: readings[0], alts: readings[1:], start: start, end: i})
		case c == '-':
			toks = append(toks, token{kind: tkMinus, text: "-", start: i, end: i + 1})
			i++
		default:
			var b strings.Builder
			uncertain := false
			for i < len(s) {
				if isWordByte(s[i]) {
					b.WriteByte(s[i])
					i++
					continue
				}
				// a quoted path segment: labels."k8s-pod/app"
				if s[i] == '"' && i > start && s[i-1] == '.' {
					readings, n, err := readString(s[i:])
					if err != nil {
						return nil, err
					}
					b.WriteString(readings[0])
					uncertain = uncertain || len(readings) > 1
					i += n
					continue
				}
				break
			}
			if i == start { // a character no token begins with, such as a lone ~
				return nil, fmt.Errorf("unexpected %q at %d", s[i], i)
			}
			word := b.String()
			kind := tkWord
			switch word {
			case "AND":
				kind = tkAnd
			case "OR":
				kind = tkOr
			case "NOT":
				kind = tkNot
			}
			toks = append(toks, token{kind: kind, text: word, start: start, end: i, uncertain: uncertain})
		}
	}
}

// readString reads a double-quoted string at the start of s, returning its
// readings and the bytes consumed. The first reading takes each escaped
// character as itself; when the string holds an escape other than \", the
// others keep the backslashes (as a regular expression would see them) and,
// when the string is valid Go syntax, decode them (\t, \x64, \u0064).
func readString(s string) ([]string, int, error) {
	var plain, raw strings.Builder
	other := false
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				if s[i] != '"' {
					other = true
					raw.WriteByte('\\')
				}
				plain.WriteByte(s[i])
				raw.WriteByte(s[i])
			}
		case '"':
			readings := []string{plain.String()}
			if other {
				readings = append(readings, raw.String())
				if decoded, err := strconv.Unquote(s[:i+1]); err == nil {
					readings = append(readings, decoded)
				}
			}
			return slices.Compact(readings), i + 1, nil
		default:
			plain.WriteByte(s[i])
			raw.WriteByte(s[i])
		}
	}
	return nil, 0, fmt.Errorf("unterminated string")
}

// stripComments removes `--` comments outside quoted strings.
func stripComments(s string) string {
	var b strings.Builder
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr && c == '\\' && i+1 < len(s):
			b.WriteByte(c)
			i++
			b.WriteByte(s[i])
			continue
		case c == '"':
			inStr = !inStr
		case !inStr && strings.HasPrefix(s[i:], "--"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ---- parser ----------------------------------------------------------------

type parser struct {
	toks []token
	pos  int
}

func parse(s string) (*node, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tkEOF {
		return nil, fmt.Errorf("unexpected %q at %d", t.text, t.start)
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tkEOF {
		p.pos++
	}
	return t
}

func (p *parser) prevEnd() int {
	if p.pos == 0 {
		return 0
	}
	return p.toks[p.pos-1].end
}

// startsTerm reports whether a token can begin a term, for implicit AND.
func startsTerm(k tokKind) bool {
	switch k {
	case tkLParen, tkString, tkWord, tkNot, tkMinus:
		return true
	}
	return false
}

// parseAnd is the loosest level: explicit or implicit AND of OR-expressions.
func (p *parser) parseAnd() (*node, error) {
	first, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	children := []*node{first}
	for {
		if t := p.peek(); t.kind == tkAnd {
			p.next()
		} else if !startsTerm(t.kind) {
			break
		}
		c, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		children = append(children, c)
	}
	if len(children) == 1 {
		return first, nil
	}
	return &node{kind: nodeAnd, children: children, start: first.start, end: p.prevEnd()}, nil
}

func (p *parser) parseOr() (*node, error) {
	first, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	children := []*node{first}
	for p.peek().kind == tkOr {
		p.next()
		c, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		children = append(children, c)
	}
	if len(children) == 1 {
		return first, nil
	}
	return &node{kind: nodeOr, children: children, start: first.start, end: p.prevEnd()}, nil
}

func (p *parser) parseNot() (*node, error) {
	if t := p.peek(); t.kind == tkNot || t.kind == tkMinus {
		p.next()
		c, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &node{kind: nodeNot, children: []*node{c}, start: t.start, end: c.end}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (*node, error) {
	t := p.next()
	switch t.kind {
	case tkLParen:
		n, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		if p.next().kind != tkRParen {
			return nil, fmt.Errorf("missing )")
		}
		n.start, n.end = t.start, p.prevEnd()
		return n, nil
	case tkString:
		n := &node{kind: nodeGlobal, value: t.text, quoted: true, start: t.start, end: t.end}
		for _, a := range t.alts {
			n.alts = append(n.alts, &node{kind: nodeGlobal, value: a, quoted: true})
		}
		return n, nil
	case tkWord:
		switch nt := p.peek(); {
		case nt.kind == tkOp:
			p.next()
			n, err := p.parseValue(canonicalField(t.text), nt.text, t.start)
			if err == nil && t.uncertain {
				markUncertain(n)
			}
			return n, err
		case nt.kind == tkLParen && !t.spaceAfter:
			p.next()
			args, uncertain, err := p.parseArgs()
			if err != nil {
				return nil, err
			}
			return &node{kind: nodeCall, field: strings.ToLower(t.text), args: args, uncertain: uncertain, start: t.start, end: p.prevEnd()}, nil
		}
		return &node{kind: nodeGlobal, value: t.text, uncertain: t.uncertain, start: t.start, end: t.end}, nil
	}
	return nil, fmt.Errorf("unexpected %q at %d", t.text, t.start)
}

// parseValue reads the right side of a comparison: a string, a bare word, a
// negative number, or a parenthesised boolean expression of values, which
// becomes the same expression of comparisons.
func (p *parser) parseValue(field, op string, start int) (*node, error) {
	leaf := func(t token) *node {
		n := &node{kind: nodeCompare, field: field, op: op, value: t.text, quoted: t.kind == tkString, start: start, end: t.end}
		for _, a := range t.alts {
			n.alts = append(n.alts, &node{kind: nodeCompare, field: field, op: op, value: a, quoted: true})
		}
		return n
	}
	switch t := p.next(); t.kind {
	case tkString, tkWord:
		return leaf(t), nil
	case tkMinus:
		w := p.next()
		if w.kind != tkWord {
			return nil, fmt.Errorf("expected a value after - at %d", t.start)
		}
		n := leaf(w)
		n.value = "-" + w.text
		return n, nil
	case tkLParen:
		v := &valueParser{p: p, leaf: leaf}
		n, err := v.and()
		if err != nil {
			return nil, err
		}
		if p.next().kind != tkRParen {
			return nil, fmt.Errorf("missing ) in a value list")
		}
		if n.kind != nodeCompare {
			n.start, n.end = start, p.prevEnd()
		}
		return n, nil
	default:
		return nil, fmt.Errorf("expected a value at %d", t.start)
	}
}

// valueParser reads a parenthesised value expression with the precedence of
// the query itself.
type valueParser struct {
	p    *parser
	leaf func(token) *node
}

func (v *valueParser) and() (*node, error) {
	first, err := v.or()
	if err != nil {
		return nil, err
	}
	children := []*node{first}
	for {
		if t := v.p.peek(); t.kind == tkAnd {
			v.p.next()
		} else if !startsTerm(t.kind) {
			break
		}
		c, err := v.or()
		if err != nil {
			return nil, err
		}
		children = append(children, c)
	}
	if len(children) == 1 {
		return first, nil
	}
	return &node{kind: nodeAnd, children: children}, nil
}

func (v *valueParser) or() (*node, error) {
	first, err := v.not()
	if err != nil {
		return nil, err
	}
	children := []*node{first}
	for v.p.peek().kind == tkOr {
		v.p.next()
		c, err := v.not()
		if err != nil {
			return nil, err
		}
		children = append(children, c)
	}
	if len(children) == 1 {
		return first, nil
	}
	return &node{kind: nodeOr, children: children}, nil
}

func (v *valueParser) not() (*node, error) {
	switch t := v.p.next(); t.kind {
	case tkNot, tkMinus:
		c, err := v.not()
		if err != nil {
			return nil, err
		}
		return &node{kind: nodeNot, children: []*node{c}}, nil
	case tkLParen:
		n, err := v.and()
		if err != nil {
			return nil, err
		}
		if v.p.next().kind != tkRParen {
			return nil, fmt.Errorf("missing ) in a value list")
		}
		return n, nil
	case tkString, tkWord:
		return v.leaf(t), nil
	default:
		return nil, fmt.Errorf("unexpected %q in a value list", t.text)
	}
}

// parseArgs reads function arguments up to the closing parenthesis; nested
// parentheses are kept flat. uncertain: an argument holds an escape.
func (p *parser) parseArgs() ([]string, bool, error) {
	var args []string
	uncertain := false
	depth := 0
	for {
		switch t := p.next(); t.kind {
		case tkEOF:
			return nil, false, fmt.Errorf("missing ) in a function call")
		case tkLParen:
			depth++
		case tkRParen:
			if depth == 0 {
				return args, uncertain, nil
			}
			depth--
		case tkString, tkWord:
			args = append(args, t.text)
			uncertain = uncertain || len(t.alts) > 0
		case tkMinus:
			if w := p.peek(); w.kind == tkWord && !t.spaceAfter {
				p.next()
				args = append(args, "-"+w.text)
			}
		}
	}
}

// markUncertain marks every comparison of a value expression.
func markUncertain(n *node) {
	n.uncertain = true
	for _, c := range n.children {
		markUncertain(c)
	}
}

// canonicalField spells a field path the way the evaluator compares it:
// lower case (field names of the LogEntry and of protoPayload are not case
// sensitive), without underscores (protoPayload.service_name is
// protoPayload.serviceName).
func canonicalField(f string) string {
	return strings.ReplaceAll(strings.ToLower(f), "_", "")
}
