package logquery

import (
	"fmt"
	"slices"
	"strings"
)

type lfKind uint8

const (
	lfAnd lfKind = iota + 1
	lfOr
	lfNot
	lfCompare // field op value(s)
	lfGlobal  // a bare value: a has-match against every field
	lfFunc    // sample(...), log_id(...), SEARCH(...), ...
)

type lfNode struct {
	kind     lfKind
	children []*lfNode
	field    string   // canonical field (lfCompare), lower-case name (lfFunc)
	op       string   // comparison operator
	values   []string // compared values, function arguments, global value
	// orList is true when values came from a parenthesised list joined only
	// by OR (or a single value); false for AND/NOT lists.
	orList     bool
	start, end int // byte span in the filter, for messages
}

// The two families of logs a filter must stay away from.
type logFamily uint8

const (
	dataflowLogs logFamily = iota + 1
	auditLogs
)

// rulesOut reports whether the node, taken positively, confines matches to
// log entries outside the family.
func (n *lfNode) rulesOut(f logFamily) bool {
	switch n.kind {
	case lfAnd:
		for _, c := range n.children {
			if c.rulesOut(f) {
				return true
			}
		}
		return false
	case lfOr:
		for _, c := range n.children {
			if !c.rulesOut(f) {
				return false
			}
		}
		return len(n.children) > 0
	case lfNot:
		// Only audit logs can be ruled out by a negation, and only by one
		// that covers every audit log; Dataflow needs a positive restriction.
		return f == auditLogs && n.children[0].coversAllAuditLogs()
	case lfCompare:
		return n.compareRulesOut(f)
	case lfFunc:
		return n.field == "log_id" && len(n.values) == 1 && !logIDDangerous(n.values[0])
	}
	return false
}

func (n *lfNode) compareRulesOut(f logFamily) bool {
	if len(n.values) == 0 {
		return false
	}
	switch {
	case n.field == fieldResourceType, n.field == fieldLogName:
		if f == auditLogs && n.field == fieldResourceType {
			return false // audit entries carry the audited resource's type
		}
		if (n.op != "=" && n.op != ":") || !n.orList {
			return false
		}
		for _, v := range n.values {
			if valueDangerous(n.field, n.op, v) {
				return false
			}
		}
		return true
	case f == auditLogs && payloadField(n.field):
		return requiresField(n.op)
	case f == auditLogs && n.field == fieldProtoType:
		if (n.op != "=" && n.op != ":") || !n.orList {
			return false
		}
		for _, v := range n.values {
			if protoTypeNamesAudit(n.op, v) {
				return false
			}
		}
		return true
	}
	return false
}

// coversAllAuditLogs reports whether the node, taken positively, matches
// every audit log entry, so that its negation rules them all out.
func (n *lfNode) coversAllAuditLogs() bool {
	switch n.kind {
	case lfOr:
		for _, c := range n.children {
			if c.coversAllAuditLogs() {
				return true
			}
		}
	case lfAnd:
		for _, c := range n.children {
			if !c.coversAllAuditLogs() {
				return false
			}
		}
		return len(n.children) > 0
	case lfCompare:
		var covers func(v string) bool
		switch {
		case n.field == fieldLogName && n.op == ":":
			covers = func(v string) bool { return substringOfLower(v, auditLogNameCore) }
		case n.field == fieldProtoType && n.op == ":":
			covers = func(v string) bool { return substringOfLower(v, auditLogType) }
		case n.field == fieldProtoType && n.op == "=":
			covers = func(v string) bool { return strings.EqualFold(strings.TrimSpace(v), auditLogType) }
		default:
			return false
		}
		if n.orList {
			// (a OR b): covering with one value is enough.
			return slices.ContainsFunc(n.values, covers)
		}
		for _, v := range n.values {
			if !covers(v) {
				return false
			}
		}
		return len(n.values) > 0
	case lfGlobal:
		// a bare term matches an entry when any field, logName included,
		// contains it
		return substringOfLower(n.values[0], auditLogNameCore)
	}
	return false
}

// substringOfLower reports whether v, lowercased and not decoded (the
// comparison is with the stored, URL-encoded log name), is a non-empty
// substring of s.
func substringOfLower(v, s string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return v != "" && strings.Contains(s, v)
}

// namesDangerous returns the first clause that, taken positively, selects
// Dataflow or audit logs by name, and why.
func (n *lfNode) namesDangerous(positive bool) (*lfNode, string) {
	switch n.kind {
	case lfAnd, lfOr:
		for _, c := range n.children {
			if hit, why := c.namesDangerous(positive); hit != nil {
				return hit, why
			}
		}
	case lfNot:
		return n.children[0].namesDangerous(!positive)
	case lfCompare:
		pos := positive
		if n.op == "!=" || n.op == "!~" {
			pos = !pos
		}
		if !pos {
			return nil, ""
		}
		restrictingField := n.field == fieldResourceType || n.field == fieldLogName || n.field == fieldServiceName
		for _, v := range n.values {
			if restrictingField && (n.op == "=" || n.op == ":" || n.op == "!=") {
				if nv := normalizeLogValue(v); nv != "" && nv != "*" && valueDangerous(n.field, n.op, v) {
					return n, reasonNames
				}
				continue
			}
			if containsAny(normalizeLogValue(v), dangerousTokens) {
				return n, reasonNames
			}
		}
		op := n.op // the operator as the clause is taken: NOT a != b is a = b
		if !positive {
			op = strings.TrimPrefix(op, "!")
			if op == "~" {
				op = "=~"
			}
		}
		if !requiresField(op) {
			return nil, ""
		}
		switch {
		case n.field == fieldServiceName || auditOnlyField(n.field):
			return n, reasonAuditOnlyField
		case n.field == fieldProtoType && slices.ContainsFunc(n.values, func(v string) bool { return protoTypeNamesAudit(op, v) }):
			return n, reasonNames
		case strings.Contains(n.field, "dataflow") || containsAny(n.field, dangerousTokens):
			// such as labels."dataflow.googleapis.com/job_id"
			return n, reasonNames
		}
	case lfGlobal:
		if positive && searchTermDangerous(n.values[0]) {
			return n, reasonNames
		}
	case lfFunc:
		if !positive {
			return nil, ""
		}
		switch n.field {
		case "log_id":
			for _, v := range n.values {
				if nv := normalizeLogValue(v); nv != "" && logIDDangerous(v) {
					return n, reasonNames
				}
			}
			return nil, ""
		case "search":
			if len(n.values) > 0 && searchQueryDangerous(n.values[len(n.values)-1]) {
				return n, reasonNames
			}
		}
		for _, v := range n.values {
			if containsAny(normalizeLogValue(v), dangerousTokens) {
				return n, reasonNames
			}
		}
	}
	return nil, ""
}

// ---- lexer -----------------------------------------------------------------

type lfTokKind uint8

const (
	tkEOF lfTokKind = iota
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

type lfToken struct {
	kind       lfTokKind
	text       string // operator, word, or unquoted string
	start, end int
	spaceAfter bool // whitespace (or a comment) follows the token
}

// stripLogComments removes `--` comments (to the end of the line) outside
// quoted strings, for the emptiness test.
func stripLogComments(s string) string {
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
		case !inStr && c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isLogSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// isWordByte is any byte that can continue a bare word.
func isWordByte(c byte) bool {
	switch c {
	case '(', ')', '"', '=', '!', '<', '>', ':', ',', '~':
		return false
	}
	return !isLogSpace(c)
}

func lexLogFilter(s string) ([]lfToken, error) {
	var toks []lfToken
	i := 0
	for {
		// skip whitespace and comments
		for i < len(s) {
			if isLogSpace(s[i]) {
				i++
				continue
			}
			if s[i] == '-' && i+1 < len(s) && s[i+1] == '-' {
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
			toks = append(toks, lfToken{kind: tkEOF, start: i, end: i})
			return toks, nil
		}
		start := i
		c := s[i]
		switch {
		case c == '(':
			toks = append(toks, lfToken{kind: tkLParen, text: "(", start: i, end: i + 1})
			i++
		case c == ')':
			toks = append(toks, lfToken{kind: tkRParen, text: ")", start: i, end: i + 1})
			i++
		case c == ',':
			toks = append(toks, lfToken{kind: tkComma, text: ",", start: i, end: i + 1})
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
			toks = append(toks, lfToken{kind: tkOp, text: op, start: start, end: i})
		case c == '"':
			str, n, err := readLogString(s[i:])
			if err != nil {
				return nil, err
			}
			i += n
			toks = append(toks, lfToken{kind: tkString, text: str, start: start, end: i})
		case c == '-':
			toks = append(toks, lfToken{kind: tkMinus, text: "-", start: i, end: i + 1})
			i++
		default:
			var b strings.Builder
			for i < len(s) {
				if isWordByte(s[i]) {
					b.WriteByte(s[i])
					i++
					continue
				}
				// a quoted path segment: labels."k8s-pod/app"
				if s[i] == '"' && i > start && s[i-1] == '.' {
					str, n, err := readLogString(s[i:])
					if err != nil {
						return nil, err
					}
					b.WriteString(str)
					i += n
					continue
				}
				break
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
			toks = append(toks, lfToken{kind: kind, text: word, start: start, end: i})
		}
	}
}

// readLogString reads a double-quoted string at the start of s, returning
// its content and the bytes consumed.
func readLogString(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

// ---- parser ----------------------------------------------------------------

type lfParser struct {
	toks []lfToken
	pos  int
}

func parseLogFilter(s string) (*lfNode, error) {
	toks, err := lexLogFilter(s)
	if err != nil {
		return nil, err
	}
	p := &lfParser{toks: toks}
	n, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tkEOF {
		return nil, fmt.Errorf("unexpected %q at %d", p.peek().text, p.peek().start)
	}
	return n, nil
}

func (p *lfParser) peek() lfToken { return p.toks[p.pos] }

func (p *lfParser) next() lfToken {
	t := p.toks[p.pos]
	if t.kind != tkEOF {
		p.pos++
	}
	return t
}

func (p *lfParser) prevEnd() int {
	if p.pos == 0 {
		return 0
	}
	return p.toks[p.pos-1].end
}

// startsTerm reports whether a token can begin a term, for implicit AND.
func startsTerm(k lfTokKind) bool {
	switch k {
	case tkLParen, tkString, tkWord, tkNot, tkMinus:
		return true
	}
	return false
}

// parseAnd: the loosest level, explicit or implicit AND of OR-expressions.
func (p *lfParser) parseAnd() (*lfNode, error) {
	first, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	children := []*lfNode{first}
	for {
		t := p.peek()
		if t.kind == tkAnd {
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
	return &lfNode{kind: lfAnd, children: children, start: first.start, end: p.prevEnd()}, nil
}

func (p *lfParser) parseOr() (*lfNode, error) {
	first, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	children := []*lfNode{first}
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
	return &lfNode{kind: lfOr, children: children, start: first.start, end: p.prevEnd()}, nil
}

func (p *lfParser) parseNot() (*lfNode, error) {
	t := p.peek()
	if t.kind == tkNot || t.kind == tkMinus {
		p.next()
		c, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &lfNode{kind: lfNot, children: []*lfNode{c}, start: t.start, end: c.end}, nil
	}
	return p.parsePrimary()
}

func (p *lfParser) parsePrimary() (*lfNode, error) {
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
		return &lfNode{kind: lfGlobal, values: []string{t.text}, start: t.start, end: t.end}, nil
	case tkWord:
		nt := p.peek()
		switch {
		case nt.kind == tkOp:
			p.next()
			values, orList, err := p.parseValue()
			if err != nil {
				return nil, err
			}
			return &lfNode{kind: lfCompare, field: canonicalField(t.text), op: nt.text, values: values, orList: orList,
				start: t.start, end: p.prevEnd()}, nil
		case nt.kind == tkLParen && !t.spaceAfter:
			p.next()
			args, err := p.parseArgs()
			if err != nil {
				return nil, err
			}
			return &lfNode{kind: lfFunc, field: strings.ToLower(t.text), values: args, start: t.start, end: p.prevEnd()}, nil
		}
		return &lfNode{kind: lfGlobal, values: []string{t.text}, start: t.start, end: t.end}, nil
	}
	return nil, fmt.Errorf("unexpected %q at %d", t.text, t.start)
}

// parseValue reads the right side of a comparison: a string, a bare word, a
// negative number, or a parenthesised list of values joined by OR (orList)
// or by AND/NOT/juxtaposition.
func (p *lfParser) parseValue() ([]string, bool, error) {
	t := p.next()
	switch t.kind {
	case tkString, tkWord:
		return []string{t.text}, true, nil
	case tkMinus:
		w := p.next()
		if w.kind != tkWord {
			return nil, false, fmt.Errorf("expected a value after -")
		}
		return []string{"-" + w.text}, true, nil
	case tkLParen:
		var values []string
		orList := true
		expectValue := true
		for {
			t := p.next()
			switch t.kind {
			case tkRParen:
				if len(values) == 0 || expectValue {
					return nil, false, fmt.Errorf("empty value list")
				}
				return values, orList, nil
			case tkString, tkWord:
				if !expectValue {
					orList = false // juxtaposition: implicit AND
				}
				values = append(values, t.text)
				expectValue = false
			case tkOr:
				expectValue = true
			case tkAnd, tkNot, tkMinus:
				orList = false
				expectValue = true
			default:
				return nil, false, fmt.Errorf("unexpected %q in a value list", t.text)
			}
		}
	}
	return nil, false, fmt.Errorf("expected a value at %d", t.start)
}

// parseArgs reads function arguments up to the closing parenthesis; nested
// parentheses are kept flat.
func (p *lfParser) parseArgs() ([]string, error) {
	var args []string
	depth := 0
	for {
		t := p.next()
		switch t.kind {
		case tkEOF:
			return nil, fmt.Errorf("missing ) in function call")
		case tkLParen:
			depth++
		case tkRParen:
			if depth == 0 {
				return args, nil
			}
			depth--
		case tkString, tkWord:
			args = append(args, t.text)
		}
	}
}
