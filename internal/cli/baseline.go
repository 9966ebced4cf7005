package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packconfig"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/report"
)

// readBaseline reads the findings of an earlier `check --format json`
// report. Reports written before fingerprints existed still work: their
// entries match on policy, URN, path shape and kind alone.
func readBaseline(path string) ([]report.BaselineEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading baseline: %w", err)
	}
	var doc struct {
		Findings *[]report.BaselineEntry `json:"findings"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("baseline %s: not a `check --format json` report: %v", path, err)
	}
	if doc.Findings == nil {
		return nil, fmt.Errorf("baseline %s: not a `check --format json` report: no \"findings\"", path)
	}
	for i, e := range *doc.Findings {
		if e.Policy == "" || e.Kind == "" {
			return nil, fmt.Errorf("baseline %s: findings[%d]: policy and kind are required", path, i)
		}
	}
	return *doc.Findings, nil
}

// matchBaseline marks the findings the baseline holds and records what it
// holds that no longer occurs. Matching counts: a baseline entry matches
// one finding, so a second finding with the same fingerprint (possible when
// the offending value may not be hashed) is new.
func matchBaseline(rep *report.Report, file string, entries []report.BaselineEntry) {
	exact := map[string]int{}
	legacy := map[string]int{} // entries without a fingerprint, by coarse fingerprint
	for _, e := range entries {
		if e.Fingerprint != "" {
			exact[e.Fingerprint]++
		} else {
			legacy[coarse(e)]++
		}
	}
	summary := &report.BaselineSummary{File: file, Fixed: []report.BaselineEntry{}}
	for i, f := range rep.Findings {
		n := &rep.Notes[i]
		switch {
		case exact[n.Fingerprint] > 0:
			exact[n.Fingerprint]--
		case legacy[Fingerprint(f, "")] > 0:
			legacy[Fingerprint(f, "")]--
		default:
			continue
		}
		n.Baselined = true
		summary.Baselined++
	}
	for _, e := range entries {
		key, counts := e.Fingerprint, exact
		if key == "" {
			key, counts = coarse(e), legacy
		}
		if counts[key] > 0 {
			counts[key]--
			summary.Fixed = append(summary.Fixed, e)
		}
	}
	rep.Baseline = summary
}

func coarse(e report.BaselineEntry) string {
	return Fingerprint(policy.Finding{Policy: e.Policy, URN: e.URN, Path: e.Path, Kind: e.Kind}, "")
}

// exceptionReviewDays is how far ahead the review date in a written
// exception's reason lies: the engine's exceptions have no expiry, so the
// date is for people (and a CI job that greps for it), not enforced.
const exceptionReviewDays = 90

// writeExceptions writes the findings that fail now as a version 2
// --policy-pack-config file: the config given with --policy-pack-config
// (if any, converted from version 1), plus one exception per policy naming
// every resource it fails on. Exceptions match a policy and a URN, not a
// property path, so an exception also lets later violations of that policy
// on that resource through: that is the engine's granularity.
func writeExceptions(path, configPath string, rep *report.Report, now time.Time) (int, error) {
	targets := map[string][]string{}
	for _, f := range rep.Findings {
		if f.Excepted || !report.Blocks(f) || f.URN == "" {
			continue
		}
		if !containsString(targets[f.Policy], f.URN) {
			targets[f.Policy] = append(targets[f.Policy], f.URN)
		}
	}
	doc := map[string]json.RawMessage{}
	if configPath != "" {
		var err error
		if doc, err = versionTwo(configPath); err != nil {
			return 0, err
		}
	}
	doc["version"] = json.RawMessage("2")
	existing := map[string]json.RawMessage{}
	if raw, ok := doc["exceptions"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &existing); err != nil {
			return 0, fmt.Errorf("%s: \"exceptions\" is not an object", configPath)
		}
	}
	review := now.AddDate(0, 0, exceptionReviewDays).Format("2006-01-02")
	policies := make([]string, 0, len(targets))
	for p := range targets {
		policies = append(policies, p)
	}
	sort.Strings(policies)
	for _, p := range policies {
		urns := targets[p]
		sort.Strings(urns)
		id := uniqueID(existing, "baseline-"+exceptionIDPart(p))
		raw, err := json.Marshal(map[string]any{
			"reason": fmt.Sprintf("Existing %s violations on %d resources, accepted when the pack was adopted on %s. "+
				"Review by %s: fix them and delete this exception.", p, len(urns), now.Format("2006-01-02"), review),
			"match": []map[string][]string{{"policies": {p}, "targets": urns}},
		})
		if err != nil {
			return 0, err
		}
		existing[id] = raw
	}
	if _, errs := packconfig.ParseExceptions(existing); len(errs) > 0 { // never write a file the engine would refuse
		return 0, fmt.Errorf("writing exceptions: %w", errors.Join(errs...))
	}
	rawExceptions, err := json.Marshal(existing)
	if err != nil {
		return 0, err
	}
	doc["exceptions"] = rawExceptions
	var out bytes.Buffer
	raw, err := json.Marshal(doc)
	if err != nil {
		return 0, err
	}
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return 0, err
	}
	out.WriteByte('\n')
	if _, err := packconfig.Parse(out.Bytes()); err != nil {
		return 0, fmt.Errorf("writing exceptions: %w", err)
	}
	return len(policies), os.WriteFile(path, out.Bytes(), 0o644)
}

// versionTwo reads a config file as the top-level object of a version 2
// file: a version 1 file's policies move under "policies".
func versionTwo(path string) (map[string]json.RawMessage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy pack config: %w", err)
	}
	doc := map[string]json.RawMessage{}
	if strings.TrimSpace(string(data)) == "" {
		return doc, nil
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc == nil {
		return map[string]json.RawMessage{}, nil // parsed already; a null is an empty file
	}
	var version float64
	if raw, ok := doc["version"]; ok && json.Unmarshal(raw, &version) == nil {
		return doc, nil
	}
	v2 := map[string]json.RawMessage{}
	if env, ok := doc["environments"]; ok {
		v2["environments"] = env
		delete(doc, "environments")
	}
	if len(doc) > 0 {
		raw, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		v2["policies"] = raw
	}
	return v2, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// exceptionIDPart keeps the characters an exception ID may hold.
func exceptionIDPart(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

func uniqueID(taken map[string]json.RawMessage, id string) string {
	if _, ok := taken[id]; !ok {
		return id
	}
	for n := 2; ; n++ {
		candidate := fmt.Sprintf("%s-%d", id, n)
		if _, ok := taken[candidate]; !ok {
			return candidate
		}
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
