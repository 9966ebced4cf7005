package logquery

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Result is what a query does to a set of log entries: it matches none of
// them, every one of them, or some (or the evaluator cannot tell which:
// then it says Sometimes, which is the safe answer in both directions, for
// "can this exclusion drop one of them?" and for "does this sink route all
// of them?").
type Result uint8

const (
	mayMatch Result = 1 << iota
	mayMiss

	// Always: every entry of the set matches.
	Always = mayMatch
	// Never: no entry of the set matches.
	Never = mayMiss
	// Sometimes: some entries may match and others not.
	Sometimes = mayMatch | mayMiss
)

// CanMatch reports whether some entry of the set may match.
func (r Result) CanMatch() bool { return r&mayMatch != 0 }

// String is the result as a word, for tests and messages.
func (r Result) String() string {
	switch r {
	case Always:
		return "always"
	case Never:
		return "never"
	case Sometimes:
		return "sometimes"
	}
	return "invalid"
}

// And is the result of both: entries that match a and b.
func (r Result) And(o Result) Result { return and(r, o) }

// Not is the result of the negation.
func (r Result) Not() Result { return not(r) }

func and(a, b Result) Result {
	var r Result
	if a&mayMatch != 0 && b&mayMatch != 0 {
		r |= mayMatch
	}
	if a&mayMiss != 0 || b&mayMiss != 0 {
		r |= mayMiss
	}
	return r
}

func or(a, b Result) Result {
	var r Result
	if a&mayMatch != 0 || b&mayMatch != 0 {
		r |= mayMatch
	}
	if a&mayMiss != 0 && b&mayMiss != 0 {
		r |= mayMiss
	}
	return r
}

func not(a Result) Result {
	var r Result
	if a&mayMatch != 0 {
		r |= mayMiss
	}
	if a&mayMiss != 0 {
		r |= mayMatch
	}
	return r
}

func boolResult(b bool) Result {
	if b {
		return Always
	}
	return Never
}

// Query is a parsed Logging query (a sink or exclusion filter).
type Query struct {
	root *node // nil for a blank query, which matches every entry
}

// Parse reads a Logging query. A blank query (white space and comments
// only) matches every entry.
func Parse(filter string) (*Query, error) {
	if Blank(filter) {
		return &Query{}, nil
	}
	root, err := parse(filter)
	if err != nil {
		return nil, err
	}
	return &Query{root: root}, nil
}

// Blank reports whether a filter is empty but for white space and comments:
// it matches every log entry.
func Blank(filter string) bool { return strings.TrimSpace(stripComments(filter)) == "" }

// Match evaluates the query over the set of entries e stands for.
func (q *Query) Match(e Entry) Result {
	if q == nil || q.root == nil {
		return Always
	}
	return e.eval(q.root)
}

// Entry describes a set of log entries: the fields the evaluator knows are
// the same for all of them; every other field may hold anything.
type Entry struct {
	// Parent is the resource that owns the entries, such as
	// "projects/etl-prod-1234"; "" when it is not known (the child projects
	// of a folder, say): then the log name is not known either.
	Parent       string
	ResourceType string
	// LogID is the log ID, decoded ("dataflow.googleapis.com/worker"). With
	// AnyLogIDSuffix it is a prefix instead: the entries have every log ID
	// that begins with it and goes on.
	LogID          string
	AnyLogIDSuffix bool
	Severity       Severity
	// ServiceName is set for Cloud Audit Logs entries: their protoPayload
	// is an AuditLog of that service. Other entries carry no protoPayload.
	ServiceName string
	// Class is the class of logs the entries belong to.
	Class *Class
}

// IsAudit reports whether the entries are Cloud Audit Logs entries.
func (e Entry) IsAudit() bool { return e.ServiceName != "" }

// auditLogType is protoPayload.@type of every audit log entry.
const auditLogType = "type.googleapis.com/google.cloud.audit.AuditLog"

// unlistedDataflowLogID is what the pack assumes the rest of a Dataflow log
// ID it does not list holds: lower-case letters, digits and hyphens, like
// every one Google documents (job-message, worker-startup, nvidia-mps).
const unlistedDataflowLogID = "abcdefghijklmnopqrstuvwxyz0123456789-"

// fieldState is what the evaluator knows of one field of the entries.
type fieldState uint8

const (
	missing      fieldState = iota + 1 // no entry has the field
	shaped                             // every entry has a value of the pattern
	present                            // every entry has the field, with any value
	maybeMissing                       // the field may be missing or hold anything
)

type fieldValue struct {
	state fieldState
	p     pattern
	// decoded: the reading of a log name with its log ID decoded, compared
	// with the value decoded too (regular expressions excepted).
	decoded bool
}

func known(s string) fieldValue { return fieldValue{state: shaped, p: pattern{lit(s)}} }

// fieldValues returns the values a field may be compared as. A log name is
// stored with its log ID URL-encoded, and Google asks for it encoded in
// queries; a log name written decoded is also read against the decoded name
// (for =, != and :), so that a comparison Cloud Logging might read either way
// is undecided rather than guessed. Regular expressions see the stored value
// only, and so do the log names of unlisted Dataflow log IDs and of entries
// whose project is not known (whose decoded rest may hold any slash).
func (e Entry) fieldValues(field string) []fieldValue {
	switch {
	case field == "resource.type":
		return []fieldValue{known(e.ResourceType)}
	case field == "logname":
		encoded := url.PathEscape(e.LogID)
		var p pattern
		if e.Parent != "" {
			p = pattern{lit(e.Parent + "/logs/" + encoded)}
		} else {
			// the project of a folder's or organization's child
			p = pattern{lit("projects/"), run(projectIDAlphabet), lit("/logs/" + encoded)}
		}
		if e.AnyLogIDSuffix {
			p = append(p, run(unlistedDataflowLogID))
		}
		out := []fieldValue{{state: shaped, p: p}}
		if _, ok := p.literal(); ok {
			out = append(out, fieldValue{state: shaped, p: pattern{lit(e.Parent + "/logs/" + e.LogID)}, decoded: true})
		}
		return out
	case field == "protopayload.servicename":
		if e.IsAudit() {
			return []fieldValue{known(e.ServiceName)}
		}
		return []fieldValue{{state: missing}}
	case field == "protopayload.@type":
		if e.IsAudit() {
			return []fieldValue{known(auditLogType)}
		}
		return []fieldValue{{state: missing}}
	case field == "protopayload" || strings.HasPrefix(field, "protopayload."):
		if e.IsAudit() {
			return []fieldValue{{state: maybeMissing}}
		}
		return []fieldValue{{state: missing}}
	case field == "textpayload" || field == "jsonpayload" || strings.HasPrefix(field, "jsonpayload."):
		// An entry has one payload: audit entries carry protoPayload.
		if e.IsAudit() {
			return []fieldValue{{state: missing}}
		}
		return []fieldValue{{state: maybeMissing}}
	case field == "insertid" || field == "timestamp" || field == "receivetimestamp":
		return []fieldValue{{state: present}}
	}
	return []fieldValue{{state: maybeMissing}}
}

func (e Entry) eval(n *node) Result {
	switch n.kind {
	case nodeAnd:
		r := Always
		for _, c := range n.children {
			if r = and(r, e.eval(c)); r == Never {
				return Never
			}
		}
		return r
	case nodeOr:
		r := Never
		for _, c := range n.children {
			if r = or(r, e.eval(c)); r == Always {
				return Always
			}
		}
		return r
	case nodeNot:
		return not(e.eval(n.children[0]))
	case nodeCompare, nodeGlobal, nodeCall:
		if n.uncertain {
			return Sometimes
		}
		r := e.evalOne(n)
		for _, a := range n.alts {
			r |= e.evalOne(a)
		}
		return r
	}
	return Sometimes
}

// evalOne evaluates a comparison, search term or function call.
func (e Entry) evalOne(n *node) Result {
	switch n.kind {
	case nodeCompare:
		if n.field == "severity" {
			return compareSeverity(e.Severity, n.op, n.value)
		}
		var r Result
		for _, v := range e.fieldValues(n.field) {
			if v.decoded && (n.op == "=~" || n.op == "!~") {
				continue
			}
			r |= compare(v, n)
		}
		return r
	case nodeGlobal:
		return e.global(n.value)
	case nodeCall:
		return e.call(n)
	}
	return Sometimes
}

// global is a bare search term: it matches an entry when any field has it
// as a substring. Fields the evaluator does not know may hold it.
func (e Entry) global(term string) Result {
	t := normalize(strings.TrimSpace(term))
	if t == "" {
		return Always
	}
	candidates := []string{e.ResourceType, e.Severity.String()}
	if e.Parent != "" {
		candidates = append(candidates, e.Parent+"/logs/"+url.PathEscape(e.LogID))
	}
	if e.IsAudit() {
		candidates = append(candidates, e.ServiceName, auditLogType)
	}
	for _, c := range candidates {
		if strings.Contains(strings.ToLower(c), t) {
			return Always
		}
	}
	return Sometimes
}

func (e Entry) call(n *node) Result {
	switch n.field {
	case "log_id":
		if len(n.args) != 1 {
			return Sometimes
		}
		return e.logID(n.args[0])
	case "sample":
		// sample(FIELD, FRACTION): a deterministic share of the entries that
		// have FIELD; none of those without it.
		if len(n.args) > 0 && allMissing(e.fieldValues(canonicalField(n.args[0]))) {
			return Never
		}
		return Sometimes
	case "search":
		if len(n.args) == 2 && allMissing(e.fieldValues(canonicalField(n.args[0]))) {
			return Never
		}
		return Sometimes
	case "source":
		if len(n.args) != 1 || e.Parent == "" || !strings.HasPrefix(n.args[0], "projects/") {
			return Sometimes
		}
		return boolResult(strings.EqualFold(strings.TrimSpace(n.args[0]), e.Parent))
	}
	return Sometimes
}

func allMissing(vs []fieldValue) bool {
	for _, v := range vs {
		if v.state != missing {
			return false
		}
	}
	return true
}

// logID evaluates log_id(id): the entries whose log ID is id (not
// URL-encoded; an encoded one is read both ways). Letter case is compared
// exactly and ignoring case; a difference is undecided.
func (e Entry) logID(id string) Result {
	ids := []string{strings.TrimSpace(id)}
	if d, err := url.PathUnescape(ids[0]); err == nil && d != ids[0] {
		ids = append(ids, d)
	}
	var r Result
	for _, id := range ids {
		for _, fold := range []bool{false, true} {
			eq := func(a, b string) bool {
				if fold {
					return normalize(a) == normalize(b)
				}
				return a == b
			}
			if !e.AnyLogIDSuffix {
				r |= boolResult(eq(id, e.LogID))
				continue
			}
			if fold {
				id = normalize(id)
			}
			if len(id) > len(e.LogID) && eq(id[:len(e.LogID)], e.LogID) && inAlphabet(id[len(e.LogID):], unlistedDataflowLogID) {
				r |= Sometimes
			} else {
				r |= Never
			}
		}
	}
	return r
}

func inAlphabet(s, alphabet string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// value is the compared value as this reading of the field compares it,
// normalized as Cloud Logging normalizes string operands.
func (v fieldValue) value(s string) string {
	if v.decoded {
		if d, err := url.PathUnescape(s); err == nil {
			s = d
		}
	}
	return normalize(s)
}

// normalize is Cloud Logging's normalization of the operands of =, != and
// ":" ("both operands are first normalized using NFKC_CF"): so
// "dataﬂow_step", with a ligature, or "data\u200bflow_step", with a zero-width
// space, compare equal to dataflow_step. The fields the evaluator knows are
// ASCII, for which this is lower-casing.
func normalize(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
			unicode.Is(unicode.Variation_Selector, r) {
			return -1 // NFKC_CF removes default-ignorable code points
		}
		return r
	}, s)
	return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s)))
}

// compare evaluates one comparison against what is known of the field.
func compare(v fieldValue, n *node) Result {
	presence := n.op == ":" && n.value == "*" && !n.quoted
	switch v.state {
	case missing:
		// "A comparison with a missing field fails": missingField != foo is
		// false too; only a NOT around the comparison makes it true.
		return Never
	case maybeMissing:
		return Sometimes
	case present:
		if presence {
			return Always
		}
		return Sometimes
	}
	if presence {
		return Always
	}
	value := v.value(n.value)
	switch n.op {
	case "=":
		return v.p.equals(value)
	case "!=":
		return not(v.p.equals(value))
	case ":":
		return v.p.contains(value)
	case "<", "<=", ">", ">=":
		s, ok := v.p.literal()
		if !ok {
			return Sometimes
		}
		return boolResult(ordered(strings.Compare(strings.ToLower(s), strings.ToLower(value)), n.op))
	case "=~", "!~":
		re := n.regexp()
		if re == nil {
			return Sometimes // not RE2: Cloud Logging rejects it; the pack does not guess
		}
		r := v.p.matchesRegexp(re)
		if n.op == "!~" {
			return not(r)
		}
		return r
	}
	return Sometimes
}

func ordered(cmp int, op string) bool {
	switch op {
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

// compareSeverity compares the entries' severity: equality is the same
// level, order is numeric (DEFAULT 0 ... EMERGENCY 800); a value the
// evaluator cannot read is undecided.
func compareSeverity(sev Severity, op, value string) Result {
	if op == ":" && value == "*" {
		return Always // severity always has a value (DEFAULT when unset)
	}
	want, ok := ParseSeverity(value)
	if !ok {
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil {
			return Sometimes
		}
		want = Severity(n)
	}
	cmp := 0
	switch {
	case sev < want:
		cmp = -1
	case sev > want:
		cmp = 1
	}
	switch op {
	case "=", ":":
		return boolResult(cmp == 0)
	case "!=":
		return boolResult(cmp != 0)
	case "<", "<=", ">", ">=":
		return boolResult(ordered(cmp, op))
	}
	return Sometimes // regular expressions apply to strings only
}
