package gcp

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// The model's allocation-free fast paths must agree with the plain
// implementations they replace, kept here as references. The fuzz targets'
// seeds run with every `go test`.

func refParseMember(raw string) Member {
	m := Member{Raw: raw}
	refParseInto(&m, strings.TrimSpace(raw), true)
	return m
}

// refParseInto classifies with a lowered copy where parseMember folds case
// in place; what follows the prefix is read by the same helpers, whose own
// folding is checked against asciiLower below.
func refParseInto(m *Member, s string, deletedAllowed bool) {
	lower := strings.ToLower(s)
	switch {
	case lower == "allusers":
		m.Kind = MemberAllUsers
	case lower == "allauthenticatedusers":
		m.Kind = MemberAllAuthenticatedUsers
	case deletedAllowed && strings.HasPrefix(lower, "deleted:"):
		var rest string
		rest, m.UID = cutUID(strings.TrimSpace(s[len("deleted:"):]))
		refParseInto(m, rest, false)
		m.Deleted, m.Undeleted, m.Kind = true, m.Kind, MemberDeleted
	case strings.HasPrefix(lower, "principalset://"):
		parseFederated(m, s[len("principalSet://"):], true)
	case strings.HasPrefix(lower, "principal://"):
		parseFederated(m, s[len("principal://"):], false)
	default:
		parsePrefixed(m, s)
	}
}

// asciiLower lowers ASCII letters only, byte for byte, so offsets into it
// are offsets into s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func refNormalizeRole(role string) string {
	role = strings.TrimSpace(role)
	switch strings.ToUpper(role) {
	case "OWNER":
		return "roles/bigquery.dataOwner"
	case "WRITER":
		return "roles/bigquery.dataEditor"
	case "READER":
		return "roles/bigquery.dataViewer"
	}
	return role
}

func refCanonicalOptionName(name string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(strings.TrimSpace(name)))
}

// refDefaultLabels is ProviderDefaultLabels' JSON reading without the fast
// path: nil for a string json.Unmarshal rejects.
func refDefaultLabels(s string) map[string]property.Value {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil
	}
	pm := make(map[string]property.Value, len(m))
	for k, val := range m {
		if str, ok := val.(string); ok {
			pm[k] = property.New(str)
		} else {
			pm[k] = property.New(property.Null)
			if b, err := json.Marshal(val); err == nil {
				pm[k] = property.New(string(b))
			}
		}
	}
	return pm
}

var textSeeds = []string{
	"", " ", "allUsers", " ALLUSERS ", "allAuthenticatedUsers", "alluſers", "deleted:user:a@b.c",
	"principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/*",
	"PRINCIPAL://iam.googleapis.com/locations/global/workforcePools/p/subject/x",
	"serviceAccount:Worker@P.iam.gserviceaccount.com", "SERVICEACCOUNT:w@p.iam.gserviceaccount.com?uid=1",
	"principalSet://goog/public:all", "PrincipalSet://GOOG/Public:All/", "principal://goog/subject/A@B.com",
	"principalSet://cloudresourcemanager.googleapis.com/projects/123/type/ServiceAccount",
	"principalSet://cloudresourcemanager.googleapis.com/Organization/1/Type/serviceaccount/",
	"principal://iam.googleapis.com/projects/-/serviceAccounts/W@P.iam.gserviceaccount.com",
	"serviceAccount:p.svc.id.goog[ns/ksa]", "deleted:serviceAccount:w@p.iam.gserviceaccount.com?uid=12",
	"deleted:deleted:user:a@b.c", "deleted:", "principalSet://", "principal:///", "serviceAccount:[]", "p[x]",
	"user:A@B.com", "group:g@b.com", "domain:example.com", "projectOwner:p", "projectEditor:p", "ſerviceAccount:x@y",
	"İser:x", "user", ":", "owner", "Owner", "WRITER", " reader ", "wrıter", "roles/editor", "roles/bigquery.dataOwner",
	"--default_worker_log_level", "defaultWorkerLogLevel", "service-account-email", " a b ", "Ünïcode_Name", "K",
	`{"env":"prod","team":"data"}`, ` { "env" : "prod" , "env" : "dev" } `, `{}`, `{ }`, `null`, `[]`, `{"a":1}`,
	`{"a":"b\"c"}`, `{"a":"é"}`, `{"a":"b"} x`, `{"a":"b",}`, `{"a" "b"}`, `{"a":"b"`, `{"a":"` + "\x7f" + `"}`,
	`{"a":"` + "\x01" + `"}`, `{"a":true}`, `{"a":{"b":"c"}}`, "{\t\"a\"\n:\r\"b\"}",
	`{"bindings":[{"role":"roles/editor","members":["user:a@b.c","group:g@b.c"]},{"role":"roles/viewer","members":[]}],"etag":"BwX","version":1}`,
	`[1, -0, 0.5, 1e3, 1E-2, -12.5e+2, true, false, null]`, `1e400`, `01`, `1.`, `.5`, `-`, `[1,]`, `[[[]]]`, `{"a":[{}]}`, `tru`, `nul`, `"x"`, `3`,
}

func FuzzFastPathsMatchReferences(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ParseMember(s), refParseMember(s); !reflect.DeepEqual(got, want) {
			t.Errorf("ParseMember(%q) = %+v, want %+v", s, got, want)
		}
		for _, needle := range []string{"/serviceaccounts/", "/workloadidentitypools/", "serviceaccount:", "allusers"} {
			if got, want := foldIndex(s, needle), strings.Index(asciiLower(s), needle); got != want {
				t.Errorf("foldIndex(%q, %q) = %d, want %d", s, needle, got, want)
			}
			if got, want := foldPrefix(s, needle), strings.HasPrefix(asciiLower(s), needle); got != want {
				t.Errorf("foldPrefix(%q, %q) = %v, want %v", s, needle, got, want)
			}
		}
		if got, want := NormalizeRole(s), refNormalizeRole(s); got != want {
			t.Errorf("NormalizeRole(%q) = %q, want %q", s, got, want)
		}
		want := refCanonicalOptionName(s)
		if got := CanonicalOptionName(s); got != want {
			t.Errorf("CanonicalOptionName(%q) = %q, want %q", s, got, want)
		}
		for _, key := range []string{want, "serviceaccountemail", "", s} {
			if got := isOptionKey(s, key); got != (want == key) {
				t.Errorf("isOptionKey(%q, %q) = %v, want %v", s, key, got, want == key)
			}
		}
		if fast, ok := parsePlainJSON(s); ok {
			var doc any
			if err := json.Unmarshal([]byte(s), &doc); err != nil {
				t.Errorf("parsePlainJSON(%q) reads what json.Unmarshal rejects: %v", s, err)
			} else if ref := FromJSON(doc); !reflect.DeepEqual(fast, ref) {
				t.Errorf("parsePlainJSON(%q) = %v, json.Unmarshal and FromJSON read %v", s, fast, ref)
			}
		}
		if fast, ok := parseFlatStringObject(s); ok {
			if ref := refDefaultLabels(s); !reflect.DeepEqual(fast, ref) {
				t.Errorf("parseFlatStringObject(%q) = %v, json.Unmarshal reads %v", s, fast, ref)
			}
		}
	})
}

func TestFastDefaultLabelsCoverTheUsualConfig(t *testing.T) {
	for _, s := range []string{`{"env":"prod","team":"data"}`, ` { "env" : "prod" } `, `{}`} {
		if _, ok := parseFlatStringObject(s); !ok {
			t.Errorf("parseFlatStringObject(%q) falls back to encoding/json", s)
		}
	}
}
