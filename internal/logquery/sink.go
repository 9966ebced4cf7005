package logquery

import (
	"slices"
	"strings"
)

// ClassifySink is Classify for what a sink routes: the
// entries its filter matches and none of its exclusion filters does, the
// query `(filter) AND NOT (exclusion 1) AND NOT (exclusion 2) ...`. Each
// part is parsed on its own first: an unreadable filter fails closed, an
// unreadable exclusion carves nothing out.
//
// Besides what Classify accepts, a top-level negation rules out
// Dataflow logs when what it negates covers every one of them: a
// resource.type has-match on a part of "dataflow" (resource.type:"dataflow",
// so every Dataflow resource type the classifier knows), or log name
// has-matches covering both the dataflow.googleapis.com and the
// datapipelines.googleapis.com log IDs (as stored, with %2F).
// `NOT resource.type = "dataflow_step"` alone does not: the classifier
// counts every resource type containing "dataflow" as Dataflow's.
func ClassifySink(filter string, exclusions ...string) Verdict {
	var parts []string
	if !Blank(filter) {
		if _, err := parseLogFilter(filter); err != nil {
			return Classify(filter)
		}
		parts = append(parts, "(\n"+filter+"\n)")
	}
	for _, e := range exclusions {
		if Blank(e) {
			continue
		}
		if _, err := parseLogFilter(e); err != nil {
			continue
		}
		parts = append(parts, "NOT (\n"+e+"\n)")
	}
	if len(parts) == 0 {
		return Classify("")
	}
	query := strings.Join(parts, "\nAND\n")
	root, err := parseLogFilter(query)
	if err != nil {
		return Classify(query)
	}
	if n, why := root.namesDangerous(true); n != nil {
		clause := query[n.start:n.end]
		if inner, ok := strings.CutPrefix(clause, "(\n"); ok && (slices.Contains(parts, clause) || slices.Contains(parts, "NOT "+clause)) {
			clause = strings.TrimSuffix(inner, "\n)") // a whole part: quote it as written
		}
		return Verdict{CanMatch: true, Reason: why, Clause: strings.TrimSpace(clause)}
	}
	if !rulesOutDataflowLogs(root) {
		return Verdict{CanMatch: true, Reason: "lets Dataflow logs through: no top-level AND-ed clause restricts it " +
			"to resource types or log names other than Dataflow's, and neither a NOT in it nor an exclusion takes out " +
			"every Dataflow resource type (resource.type:\"dataflow\")"}
	}
	if !root.rulesOut(auditLogs) {
		return Verdict{CanMatch: true, Reason: "lets Cloud Audit Logs through: no top-level AND-ed clause, NOT in " +
			"it or exclusion takes out every audit log (logName:\"cloudaudit.googleapis.com\"); audit entries carry the " +
			"audited resource's type, so a resource.type restriction alone keeps matching them"}
	}
	return Verdict{}
}

// rulesOutDataflowLogs is rulesOut(dataflowLogs) that also accepts a
// negation of something covering every Dataflow log.
func rulesOutDataflowLogs(n *lfNode) bool {
	switch n.kind {
	case lfAnd:
		for _, c := range n.children {
			if rulesOutDataflowLogs(c) {
				return true
			}
		}
		return false
	case lfOr:
		for _, c := range n.children {
			if !rulesOutDataflowLogs(c) {
				return false
			}
		}
		return len(n.children) > 0
	case lfNot:
		return dataflowCoverage(n.children[0]).complete()
	}
	return n.rulesOut(dataflowLogs)
}

// coverage is what part of the Dataflow logs a clause, taken positively,
// matches in full.
type coverage uint8

const (
	coversDataflowTypes     coverage = 1 << iota // every resource type containing "dataflow"
	coversDataflowLogNames                       // every dataflow.googleapis.com log
	coversPipelinesLogNames                      // every datapipelines.googleapis.com log
)

// complete: a Dataflow entry carries a Dataflow resource type and a Dataflow
// or Data Pipelines log name (the classifier rules Dataflow out on either),
// so covering all of one dimension covers them all.
func (c coverage) complete() bool {
	return c&coversDataflowTypes != 0 || c&(coversDataflowLogNames|coversPipelinesLogNames) == coversDataflowLogNames|coversPipelinesLogNames
}

// Stored log names of Dataflow and Data Pipelines, as has-matches see them.
const (
	dataflowLogNameCore  = "logs/dataflow.googleapis.com%2f"
	pipelinesLogNameCore = "logs/datapipelines.googleapis.com%2f"
)

func dataflowCoverage(n *lfNode) coverage {
	switch n.kind {
	case lfOr:
		var c coverage
		for _, ch := range n.children {
			c |= dataflowCoverage(ch)
		}
		return c
	case lfAnd:
		c := ^coverage(0)
		for _, ch := range n.children {
			c &= dataflowCoverage(ch)
		}
		if len(n.children) == 0 {
			return 0
		}
		return c
	case lfCompare:
		if n.op != ":" || len(n.values) == 0 {
			return 0
		}
		var of func(v string) coverage
		switch n.field {
		case fieldResourceType:
			of = func(v string) coverage {
				if substringOfLower(v, "dataflow") {
					return coversDataflowTypes
				}
				return 0
			}
		case fieldLogName:
			of = logNameCoverage
		default:
			return 0
		}
		if n.orList { // (a OR b): each value covers its share
			var c coverage
			for _, v := range n.values {
				c |= of(v)
			}
			return c
		}
		c := ^coverage(0)
		for _, v := range n.values {
			c &= of(v)
		}
		return c
	case lfGlobal:
		// a bare term matches an entry when any field, resource.type and
		// logName included, contains it
		c := logNameCoverage(n.values[0])
		if substringOfLower(n.values[0], "dataflow") {
			c |= coversDataflowTypes
		}
		return c
	}
	return 0
}

func logNameCoverage(v string) coverage {
	var c coverage
	if substringOfLower(v, dataflowLogNameCore) {
		c |= coversDataflowLogNames
	}
	if substringOfLower(v, pipelinesLogNameCore) {
		c |= coversPipelinesLogNames
	}
	return c
}
