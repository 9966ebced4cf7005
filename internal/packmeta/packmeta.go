// Package packmeta reads the few PulumiPolicy.yaml fields the pack reports
// about itself, without a YAML dependency in the pack binary.
package packmeta

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Meta is the pack-level metadata from PulumiPolicy.yaml.
type Meta struct {
	Version     string
	Description string
}

var semverRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

// Parse reads top-level `version:` and `description:` scalars.
func Parse(data []byte) (Meta, error) {
	var m Meta
	for _, line := range strings.Split(string(data), "\n") {
		key, value, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(key, " ") || strings.HasPrefix(key, "#") {
			continue
		}
		value = unquote(strings.TrimSpace(value))
		switch strings.TrimSpace(key) {
		case "version":
			m.Version = value
		case "description":
			m.Description = value
		}
	}
	if !semverRE.MatchString(m.Version) {
		return m, fmt.Errorf("version %q is not a semantic version", m.Version)
	}
	return m, nil
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		if s[0] == '"' {
			if u, err := strconv.Unquote(s); err == nil {
				return u
			}
		}
		return s[1 : len(s)-1]
	}
	return s
}
