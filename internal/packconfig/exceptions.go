package packconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Exceptions are policy exceptions, in ID order (see CompareExceptionIDs). A
// violation that an exception matches doesn't fail the operation.
type Exceptions []Exception

// Exception exempts the violations any of its match entries matches.
type Exception struct {
	ID     string
	Reason string
	Match  []ExceptionMatch
}

// ExceptionMatch matches a violation of any of its policies reported against
// any of its targets.
type ExceptionMatch struct {
	Policies []string
	// Targets are URNs, compared exactly.
	Targets []string
}

// Match returns the IDs of the exceptions that match a violation of
// policyName reported against urn, lowest ID first; nil if none.
func (e Exceptions) Match(policyName, urn string) (ids []string) {
	for _, x := range e.Matching(policyName, urn) {
		ids = append(ids, x.ID)
	}
	return ids
}

// Matching is Match returning the exceptions themselves (the engine puts ID
// and reason in the violation event).
func (e Exceptions) Matching(policyName, urn string) []Exception {
	var out []Exception
	for _, x := range e {
		if slices.ContainsFunc(x.Match, func(m ExceptionMatch) bool { return m.matches(policyName, urn) }) {
			out = append(out, x)
		}
	}
	return out
}

func (m ExceptionMatch) matches(policyName, urn string) bool {
	return slices.Contains(m.Policies, policyName) && slices.Contains(m.Targets, urn)
}

// UnknownPolicies returns, for each exception in order, the policies it names
// that aren't in known, as "id: policy". The engine only warns about them: a
// newer version of the pack may have removed a policy.
func (e Exceptions) UnknownPolicies(known []string) []string {
	var out []string
	for _, x := range e {
		var seen []string
		for _, m := range x.Match {
			for _, p := range m.Policies {
				if !slices.Contains(seen, p) && !slices.Contains(known, p) {
					seen = append(seen, p)
					out = append(out, x.ID+": "+p)
				}
			}
		}
	}
	return out
}

// parseExceptionsBlock parses the raw "exceptions" value of a version 2 file.
func parseExceptionsBlock(raw json.RawMessage) (Exceptions, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, errors.New(`"exceptions" must be an object that maps exception IDs to exceptions`)
	}
	set, errs := ParseExceptions(entries)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return set, nil
}

// ParseExceptions parses exceptions keyed by ID (the "exceptions" object of a
// config file, or what Pulumi Cloud returns). It returns the valid ones in ID
// order and an error for each invalid one, also in ID order.
func ParseExceptions(entries map[string]json.RawMessage) (Exceptions, []error) {
	ids := make([]string, 0, len(entries))
	for id := range entries {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return CompareExceptionIDs(ids[i], ids[j]) < 0 })

	var set Exceptions
	var errs []error
	for _, id := range ids {
		x, err := parseException(id, entries[id])
		if err != nil {
			errs = append(errs, fmt.Errorf("policy exception %q: %w", id, err))
			continue
		}
		set = append(set, x)
	}
	return set, errs
}

// exceptionDoc and matchDoc are the JSON shapes of an exception. Like the
// engine, which decodes into the same shapes with encoding/json, keys match
// case-insensitively and unknown keys are ignored.
type exceptionDoc struct {
	Reason string     `json:"reason"`
	Match  []matchDoc `json:"match"`
}

type matchDoc struct {
	Policies []string `json:"policies"`
	Targets  []string `json:"targets"`
}

func parseException(id string, raw json.RawMessage) (Exception, error) {
	x := Exception{ID: id}
	if !isExceptionID(id) {
		return x, errors.New("the ID must be non-empty and contain only letters, digits, '-', '.' and '_'")
	}
	fields, ok := jsonObject(raw)
	if !ok {
		return x, errors.New("must be an object")
	}
	// The exact key "match" gets a shape check first; the decode below is
	// case-insensitive, as in the engine.
	if m, ok := fields["match"]; ok {
		var list []json.RawMessage
		if err := json.Unmarshal(m, &list); err != nil {
			return x, errors.New(`"match" must be a list of {"policies", "targets"} entries`)
		}
		for i, entry := range list {
			if _, ok := jsonObject(entry); !ok {
				return x, fmt.Errorf("match[%d]: must be an object", i)
			}
		}
	}

	var doc exceptionDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return x, err
	}
	if strings.TrimSpace(doc.Reason) == "" {
		return x, errors.New(`"reason" is required`)
	}
	x.Reason = doc.Reason
	if len(doc.Match) == 0 {
		return x, errors.New(`"match" must list at least one {"policies", "targets"} entry`)
	}
	for i, m := range doc.Match {
		if err := checkMatch(m); err != nil {
			return x, fmt.Errorf("match[%d]: %w", i, err)
		}
		x.Match = append(x.Match, ExceptionMatch(m))
	}
	return x, nil
}

func checkMatch(m matchDoc) error {
	if len(m.Policies) == 0 {
		return errors.New(`"policies" must list at least one policy`)
	}
	for _, p := range m.Policies {
		if p == "" {
			return errors.New(`"policies" can't contain an empty name`)
		}
		if p == "all" {
			return errors.New(`"policies" must name policies; "all" isn't allowed`)
		}
	}
	if len(m.Targets) == 0 {
		return errors.New(`"targets" must list at least one URN`)
	}
	for _, t := range m.Targets {
		if err := checkURN(t); err != nil {
			return fmt.Errorf("target %q is not a valid URN: %w", t, err)
		}
	}
	return nil
}

// checkURN accepts what the engine's URN parser accepts: the "urn:pulumi:"
// prefix and at least three "::" separators (counted without overlap). The
// stack, project, type and name parts aren't checked.
func checkURN(s string) error {
	const prefix = "urn:pulumi:"
	switch {
	case s == "":
		return errors.New("missing required URN")
	case !strings.HasPrefix(s, prefix) || strings.Count(s, "::") < 3:
		return errors.New(`want "urn:pulumi:<stack>::<project>::<type>::<name>"`)
	}
	return nil
}

// isExceptionID reports whether id is a non-empty run of ASCII letters,
// digits, '-', '.' and '_' (a Pulumi name).
func isExceptionID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// jsonObject decodes a JSON object's fields; false if raw isn't an object.
func jsonObject(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, false
	}
	return fields, true
}

// CompareExceptionIDs orders exception IDs the way the engine does: split
// into runs of digits and runs of other bytes, digit runs compare as numbers
// (EXC-9 < EXC-10), other runs byte by byte; IDs equal by that measure (EXC-7,
// EXC-007) are ordered byte by byte.
func CompareExceptionIDs(a, b string) int {
	if c := compareNatural(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func compareNatural(a, b string) int {
	for a != "" && b != "" {
		ra, rb := run(a), run(b)
		if isDigit(ra[0]) && isDigit(rb[0]) {
			na, nb := strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			if len(na) != len(nb) {
				if len(na) < len(nb) {
					return -1
				}
				return 1
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
		} else if c := strings.Compare(ra, rb); c != 0 {
			return c
		}
		a, b = a[len(ra):], b[len(rb):]
	}
	return strings.Compare(a, b)
}

// run returns the longest non-empty prefix of s made only of digits or only of
// other bytes.
func run(s string) string {
	d := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == d {
		i++
	}
	return s[:i]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
