package gcp

import "strings"

// Cloud Storage ACL type tokens: the legacy access control lists of buckets,
// objects and the default ACL new objects get.
const (
	StorageBucketACL                  = "gcp:storage/bucketACL:BucketACL"
	StorageBucketAccessControl        = "gcp:storage/bucketAccessControl:BucketAccessControl"
	StorageDefaultObjectACL           = "gcp:storage/defaultObjectACL:DefaultObjectACL"
	StorageDefaultObjectAccessControl = "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl"
	StorageObjectACL                  = "gcp:storage/objectACL:ObjectACL"
	StorageObjectAccessControl        = "gcp:storage/objectAccessControl:ObjectAccessControl"
)

// storageACLType names the inputs of one ACL type that say who gets access.
type storageACLType struct {
	// RoleEntities is a list input of `ROLE:entity` strings.
	RoleEntities string
	// Entity is a single-entity input; its role is in Role.
	Entity, Role string
	// Canned lists inputs holding a predefined ("canned") ACL name.
	Canned []string
}

// storageACLTypes is read from the pulumi-gcp v9.6.0 args structs. BucketACL's
// defaultAcl is the bucket's predefined default object ACL.
var storageACLTypes = map[string]storageACLType{
	StorageBucketACL:                  {RoleEntities: "roleEntities", Canned: []string{"predefinedAcl", "defaultAcl"}},
	StorageBucketAccessControl:        {Entity: "entity", Role: "role"},
	StorageDefaultObjectACL:           {RoleEntities: "roleEntities"},
	StorageDefaultObjectAccessControl: {Entity: "entity", Role: "role"},
	StorageObjectACL:                  {RoleEntities: "roleEntities", Canned: []string{"predefinedAcl"}},
	StorageObjectAccessControl:        {Entity: "entity", Role: "role"},
}

// StorageACLTypes lists the Cloud Storage ACL type tokens ReadStorageACL reads.
func StorageACLTypes() []string {
	out := make([]string, 0, len(storageACLTypes))
	for tok := range storageACLTypes {
		out = append(out, tok)
	}
	sortStrings(out)
	return out
}

// StorageACLProperties lists the inputs ReadStorageACL reads for a type token,
// so a conformance test can check them against the SDK.
func StorageACLProperties(token string) []string {
	t, ok := storageACLTypes[token]
	if !ok {
		return nil
	}
	var out []string
	for _, p := range append([]string{t.RoleEntities, t.Entity, t.Role}, t.Canned...) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ACLEntry is one role/entity pair of a storage ACL.
type ACLEntry struct {
	// Value is the property read: an element of roleEntities, the entity
	// input, or an unknown roleEntities list. Role and Entity are empty when
	// it is not a known string.
	Value Value
	// Role is the ACL role (OWNER, WRITER, READER) when known.
	Role string
	// Entity is the grantee: allUsers, allAuthenticatedUsers, user-EMAIL,
	// group-EMAIL, domain-DOMAIN, project-TEAM-PROJECT, ...
	Entity string
}

// StorageACL is what a storage ACL resource grants.
type StorageACL struct {
	Entries []ACLEntry
	// Canned holds the predefined ACL inputs that are set or unknown.
	Canned []Value
}

// ReadStorageACL reads a storage ACL resource; ok is false for other types.
func ReadStorageACL(r *Resource) (acl StorageACL, ok bool) {
	t, ok := storageACLTypes[r.Type]
	if !ok {
		return StorageACL{}, false
	}
	if t.RoleEntities != "" {
		list := r.Get(t.RoleEntities)
		if list.IsUnknown() {
			acl.Entries = append(acl.Entries, ACLEntry{Value: list})
		}
		for _, e := range list.Items() {
			entry := ACLEntry{Value: e}
			if s, known := e.String(); known {
				entry.Role, entry.Entity = ParseRoleEntity(s)
			}
			acl.Entries = append(acl.Entries, entry)
		}
	}
	if t.Entity != "" {
		e := r.Get(t.Entity)
		if !e.IsAbsent() {
			entry := ACLEntry{Value: e}
			if s, known := e.String(); known {
				entry.Entity = strings.TrimSpace(s)
				entry.Role = strings.TrimSpace(r.Get(t.Role).Str())
			}
			acl.Entries = append(acl.Entries, entry)
		}
	}
	for _, name := range t.Canned {
		if v := r.Get(name); !v.IsAbsent() {
			acl.Canned = append(acl.Canned, v)
		}
	}
	return acl, true
}

// ParseRoleEntity splits a `ROLE:entity` pair. A string without a colon is
// read as an entity alone, so a malformed pair naming allUsers still counts.
func ParseRoleEntity(s string) (role, entity string) {
	role, entity, found := strings.Cut(strings.TrimSpace(s), ":")
	if !found {
		return "", role
	}
	return strings.TrimSpace(role), strings.TrimSpace(entity)
}

// IsPublicACLEntity reports whether an ACL entity is everyone on the internet
// (allUsers) or every Google account (allAuthenticatedUsers), in any case.
func IsPublicACLEntity(entity string) bool {
	e := strings.TrimSpace(entity)
	return strings.EqualFold(e, "allUsers") || strings.EqualFold(e, "allAuthenticatedUsers")
}

// PublicCannedACL reports whether a predefined ACL name grants access to
// allUsers or allAuthenticatedUsers (publicRead, publicReadWrite,
// authenticatedRead, also in their XML API spellings such as public-read),
// and to which of the two.
func PublicCannedACL(name string) (entity string, public bool) {
	switch strings.ToLower(strings.NewReplacer("-", "", "_", "", " ", "").Replace(name)) {
	case "publicread", "publicreadwrite":
		return "allUsers", true
	case "authenticatedread":
		return "allAuthenticatedUsers", true
	}
	return "", false
}
