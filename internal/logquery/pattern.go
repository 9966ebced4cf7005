package logquery

import (
	"regexp/syntax"
	"strings"
)

// A pattern is a set of strings the evaluator knows the shape of: literal
// parts, and runs of one or more characters of an alphabet between them.
// The log names of a set of entries are one: projects/<any project
// ID>/logs/dataflow.googleapis.com%2F<any rest>. Equality, substring and RE2
// questions over a pattern are decided exactly where the pattern is literal
// and in the pattern's favour elsewhere, so Never is never wrong.
type pattern []segment

type segment struct {
	lit      string // a literal part, or
	alphabet string // a run of one or more of these characters
}

func lit(s string) segment        { return segment{lit: s} }
func run(alphabet string) segment { return segment{alphabet: alphabet} }

// projectIDAlphabet is what a project ID may hold: lower-case letters,
// digits and hyphens (https://cloud.google.com/resource-manager/docs/creating-managing-projects).
// Legacy domain-scoped IDs (example.com:project) are not modelled.
const projectIDAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789-"

// slot is one character position of a pattern: a fixed byte, or a run.
type slot struct {
	fixed    byte
	alphabet string // "" for a fixed byte
}

func (p pattern) slots() []slot {
	var out []slot
	for _, s := range p {
		if s.alphabet != "" {
			out = append(out, slot{alphabet: s.alphabet})
			continue
		}
		for i := 0; i < len(s.lit); i++ {
			out = append(out, slot{fixed: s.lit[i]})
		}
	}
	return out
}

// The automaton of a pattern: state 2i is "before slot i", 2i+1 "inside the
// run of slot i, one or more characters read"; 2n accepts.
type patternAutomaton struct{ slots []slot }

func (a patternAutomaton) accepting(state int) bool { return state == 2*len(a.slots) }

// epsilon returns the states reachable from state without reading.
func (a patternAutomaton) epsilon(state int) []int {
	if state%2 == 1 {
		return []int{state, state + 1}
	}
	return []int{state}
}

// step returns the states after reading c from state (letter case ignored
// when fold).
func (a patternAutomaton) step(state int, c byte, fold bool) []int {
	i := state / 2
	if state%2 == 0 && i == len(a.slots) {
		return nil
	}
	sl := a.slots[i]
	if sl.alphabet == "" {
		if state%2 == 0 && (sl.fixed == c || fold && lowerByte(sl.fixed) == lowerByte(c)) {
			return []int{2 * (i + 1)}
		}
		return nil
	}
	if inAlphabetFold(c, sl.alphabet, fold) {
		return []int{2*i + 1}
	}
	return nil
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func inAlphabetFold(c byte, alphabet string, fold bool) bool {
	if strings.IndexByte(alphabet, c) >= 0 {
		return true
	}
	if !fold {
		return false
	}
	for i := 0; i < len(alphabet); i++ {
		if lowerByte(alphabet[i]) == lowerByte(c) {
			return true
		}
	}
	return false
}

func (a patternAutomaton) closure(states map[int]bool) map[int]bool {
	out := map[int]bool{}
	for s := range states {
		for _, t := range a.epsilon(s) {
			out[t] = true
		}
	}
	return out
}

// reads runs v through the automaton from the given states.
func (a patternAutomaton) reads(from map[int]bool, v string) map[int]bool {
	cur := a.closure(from)
	for i := 0; i < len(v) && len(cur) > 0; i++ {
		next := map[int]bool{}
		for s := range cur {
			for _, t := range a.step(s, v[i], true) {
				next[t] = true
			}
		}
		cur = a.closure(next)
	}
	return cur
}

// literal returns the pattern's string when it has no run.
func (p pattern) literal() (string, bool) {
	var b strings.Builder
	for _, s := range p {
		if s.alphabet != "" {
			return "", false
		}
		b.WriteString(s.lit)
	}
	return b.String(), true
}

// equals decides, ignoring letter case, whether the strings equal v.
func (p pattern) equals(v string) Result {
	if s, ok := p.literal(); ok {
		return boolResult(strings.EqualFold(s, v))
	}
	a := patternAutomaton{p.slots()}
	for s := range a.reads(map[int]bool{0: true}, v) {
		if a.accepting(s) {
			return Sometimes
		}
	}
	return Never
}

// contains decides, ignoring letter case, whether the strings contain v.
func (p pattern) contains(v string) Result {
	lv := strings.ToLower(v)
	for _, s := range p {
		if s.alphabet == "" && strings.Contains(strings.ToLower(s.lit), lv) {
			return Always
		}
	}
	if _, ok := p.literal(); ok {
		return Never
	}
	a := patternAutomaton{p.slots()}
	all := map[int]bool{}
	for s := 0; s <= 2*len(a.slots); s++ {
		all[s] = true // v may start anywhere; every state can still reach the end
	}
	if len(a.reads(all, v)) > 0 {
		return Sometimes
	}
	return Never
}

// matchesRegexp decides an RE2 expression, applied unanchored and
// case-sensitively as Cloud Logging applies it
// (https://cloud.google.com/logging/docs/view/logging-query-language#regular-expressions).
// Always when a match lies in the pattern's leading literal, with every
// character it looks at known; Never when no run of the expression's
// program over the pattern's automaton reaches a match (assertions next to
// unknown characters assumed to hold); Sometimes otherwise.
func (p pattern) matchesRegexp(c *compiledRegexp) Result {
	re, prog := c.re, c.prog
	if s, ok := p.literal(); ok {
		return boolResult(re.MatchString(s))
	}
	if len(p) > 0 && p[0].alphabet == "" {
		if loc := re.FindStringIndex(p[0].lit); loc != nil && loc[1] < len(p[0].lit) {
			return Always
		}
	}
	a := patternAutomaton{p.slots()}
	type state struct {
		at int    // pattern automaton state
		pc uint32 // program counter
	}
	seen := map[state]bool{}
	var stack []state
	var push func(s state)
	push = func(s state) {
		if seen[s] {
			return
		}
		seen[s] = true
		stack = append(stack, s)
		for _, e := range a.epsilon(s.at) {
			push(state{e, s.pc})
		}
	}
	// A search starts a thread at every position: every state of the
	// pattern's automaton is reachable by reading some of its strings.
	for at := 0; at <= 2*len(a.slots); at++ {
		if at%2 == 0 || a.slots[at/2].alphabet != "" {
			push(state{at, uint32(prog.Start)})
		}
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		inst := &prog.Inst[s.pc]
		switch inst.Op {
		case syntax.InstMatch:
			return Sometimes
		case syntax.InstFail:
		case syntax.InstAlt, syntax.InstAltMatch:
			push(state{s.at, inst.Out})
			push(state{s.at, inst.Arg})
		case syntax.InstCapture, syntax.InstNop:
			push(state{s.at, inst.Out})
		case syntax.InstEmptyWidth:
			if a.assertionMayHold(s.at, syntax.EmptyOp(inst.Arg)) {
				push(state{s.at, inst.Out})
			}
		default: // a rune instruction reads one character
			for _, c := range a.candidates(s.at) {
				if !inst.MatchRune(rune(c)) {
					continue
				}
				for _, next := range a.step(s.at, c, false) {
					push(state{next, inst.Out})
				}
			}
		}
	}
	return Never
}

// candidates are the characters the automaton may read next from state.
func (a patternAutomaton) candidates(state int) []byte {
	i := state / 2
	if i >= len(a.slots) || (state%2 == 1 && a.slots[i].alphabet == "") {
		return nil
	}
	if sl := a.slots[i]; sl.alphabet == "" {
		return []byte{sl.fixed}
	}
	return []byte(a.slots[i].alphabet)
}

// assertionMayHold decides an empty-width assertion at a state: the
// begin-of-text and begin-of-line ones by the character before, the end ones
// by the character after, word boundaries by both; a side that is a run
// character is no newline and no end, and a word boundary next to one may
// hold.
func (a patternAutomaton) assertionMayHold(state int, want syntax.EmptyOp) bool {
	const (
		beginning = syntax.EmptyBeginText | syntax.EmptyBeginLine
		ending    = syntax.EmptyEndText | syntax.EmptyEndLine
		word      = syntax.EmptyWordBoundary | syntax.EmptyNoWordBoundary
	)
	i := state / 2
	before, after := rune(-1), rune(-1)
	prevKnown, nextKnown := false, false
	if state%2 == 0 {
		if i == 0 {
			prevKnown = true
		} else if a.slots[i-1].alphabet == "" {
			prevKnown, before = true, rune(a.slots[i-1].fixed)
		}
		if i == len(a.slots) {
			nextKnown = true
		} else if a.slots[i].alphabet == "" {
			nextKnown, after = true, rune(a.slots[i].fixed)
		}
	}
	ctx := syntax.EmptyOpContext(before, after)
	var holds syntax.EmptyOp
	if prevKnown {
		holds |= ctx & beginning
	}
	if nextKnown {
		holds |= ctx & ending
	}
	if prevKnown && nextKnown {
		holds |= ctx & word
	} else {
		holds |= word
	}
	return want&^holds == 0
}
