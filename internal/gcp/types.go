package gcp

//go:generate go -C ../../e2e run ./tools/gcptypes -out ../internal/gcp/zz_types.go

import (
	"slices"
	"sync"
)

// IAMKind is the shape of a pulumi-gcp IAM resource.
type IAMKind uint8

const (
	IAMMember  IAMKind = iota + 1 // role, member, condition
	IAMBinding                    // role, members, condition
	IAMPolicy                     // policyData JSON
)

// Scope is what an IAM resource grants on.
type Scope uint8

const (
	ScopeResource Scope = iota + 1 // a bucket, topic, dataset, key, ...
	ScopeOrganization
	ScopeFolder
	ScopeProject
	ScopeServiceAccount
)

func (s Scope) String() string {
	switch s {
	case ScopeOrganization:
		return "organization"
	case ScopeFolder:
		return "folder"
	case ScopeProject:
		return "project"
	case ScopeServiceAccount:
		return "service account"
	}
	return "resource"
}

// iamType describes one generated IAM resource type.
type iamType struct {
	Kind  IAMKind
	Scope Scope
	// Target lists the input properties that name what is granted on
	// (for example serviceAccountId or bucket), in SDK declaration order.
	Target []string
}

// IAMTypeInfo returns the IAM shape of a type token.
func IAMTypeInfo(token string) (kind IAMKind, scope Scope, target []string, ok bool) {
	t, ok := iamTypes[token]
	return t.Kind, t.Scope, t.Target, ok
}

// IAMTypes lists every IAM type token of a kind (all kinds when kind is 0).
func IAMTypes(kind IAMKind) []string {
	if kind == 0 {
		return slices.Clone(allIAMTypes())
	}
	var out []string
	for _, tok := range allIAMTypes() {
		if iamTypes[tok].Kind == kind {
			out = append(out, tok)
		}
	}
	return out
}

// allIAMTypes is every IAM type token, sorted once: the policies' type lists
// are built from it at start-up.
var allIAMTypes = sync.OnceValue(func() []string {
	out := make([]string, 0, len(iamTypes))
	for tok := range iamTypes {
		out = append(out, tok)
	}
	sortStrings(out)
	return out
})

// LabelTypes lists the type tokens whose args have a top-level `labels` input
// that holds resource labels (pulumi-gcp gives it effectiveLabels).
func LabelTypes() []string {
	var out []string
	for t, path := range labelFields {
		if len(path) == 1 && path[0] == "labels" {
			out = append(out, t)
		}
	}
	sortStrings(out)
	return out
}

// UserLabelTypes lists the type tokens whose labels input is `userLabels`.
func UserLabelTypes() []string { return setList(userLabelTypes) }

func setList(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
