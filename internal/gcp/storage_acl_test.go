package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestParseRoleEntity(t *testing.T) {
	for _, tc := range []struct{ in, role, entity string }{
		{"READER:allUsers", "READER", "allUsers"},
		{" OWNER : project-owners-123 ", "OWNER", "project-owners-123"},
		{"READER:group-data@example.com", "READER", "group-data@example.com"},
		{"allUsers", "", "allUsers"}, // malformed pair: still read as an entity
		{"", "", ""},
	} {
		role, entity := gcp.ParseRoleEntity(tc.in)
		assert.Equal(t, tc.role, role, tc.in)
		assert.Equal(t, tc.entity, entity, tc.in)
	}
}

func TestPublicACLEntitiesAndCannedACLs(t *testing.T) {
	for entity, want := range map[string]bool{
		"allUsers": true, "AllUsers": true, " allAuthenticatedUsers ": true, "ALLAUTHENTICATEDUSERS": true,
		"group-allusers@example.com": false, "domain-example.com": false, "project-viewers-123": false,
		"user-allUsers@example.com": false, "": false,
	} {
		assert.Equal(t, want, gcp.IsPublicACLEntity(entity), entity)
	}
	for name, want := range map[string]string{
		"publicRead": "allUsers", "publicReadWrite": "allUsers", "public-read": "allUsers", "PUBLIC_READ_WRITE": "allUsers",
		"authenticatedRead": "allAuthenticatedUsers", "authenticated-read": "allAuthenticatedUsers",
		"private": "", "projectPrivate": "", "bucketOwnerRead": "", "bucketOwnerFullControl": "", "": "",
	} {
		entity, public := gcp.PublicCannedACL(name)
		assert.Equal(t, want, entity, name)
		assert.Equal(t, want != "", public, name)
	}
}

func TestReadStorageACL(t *testing.T) {
	acl, ok := gcp.ReadStorageACL(resource(gcp.StorageBucketACL, map[string]property.Value{
		"bucket":       str("b"),
		"roleEntities": property.New([]property.Value{str("OWNER:project-owners-1"), computed, str("READER:allUsers")}),
		"defaultAcl":   str("publicRead"),
	}))
	require.True(t, ok)
	require.Len(t, acl.Entries, 3)
	assert.Equal(t, "roleEntities[2]", acl.Entries[2].Value.Path())
	assert.Equal(t, "READER", acl.Entries[2].Role)
	assert.Equal(t, "allUsers", acl.Entries[2].Entity)
	assert.True(t, acl.Entries[1].Value.IsUnknown())
	require.Len(t, acl.Canned, 1, "an absent predefinedAcl is not reported")
	assert.Equal(t, "defaultAcl", acl.Canned[0].Path())

	acl, ok = gcp.ReadStorageACL(resource(gcp.StorageObjectACL, map[string]property.Value{"roleEntities": computed, "predefinedAcl": computed}))
	require.True(t, ok)
	require.Len(t, acl.Entries, 1)
	assert.Equal(t, "roleEntities", acl.Entries[0].Value.Path())
	require.Len(t, acl.Canned, 1)
	assert.True(t, acl.Canned[0].IsUnknown())

	acl, ok = gcp.ReadStorageACL(resource(gcp.StorageObjectAccessControl, map[string]property.Value{
		"bucket": str("b"), "object": str("o"), "entity": str("allAuthenticatedUsers"), "role": str("READER"),
	}))
	require.True(t, ok)
	require.Len(t, acl.Entries, 1)
	assert.Equal(t, gcp.ACLEntry{Value: acl.Entries[0].Value, Role: "READER", Entity: "allAuthenticatedUsers"}, acl.Entries[0])
	assert.Equal(t, "entity", acl.Entries[0].Value.Path())

	_, ok = gcp.ReadStorageACL(resource("gcp:storage/bucket:Bucket", map[string]property.Value{"name": str("b")}))
	assert.False(t, ok)
}

func TestStorageACLTypesAndProperties(t *testing.T) {
	types := gcp.StorageACLTypes()
	assert.Len(t, types, 6)
	assert.Equal(t, []string{"roleEntities", "predefinedAcl", "defaultAcl"}, gcp.StorageACLProperties(gcp.StorageBucketACL))
	assert.Equal(t, []string{"entity", "role"}, gcp.StorageACLProperties(gcp.StorageDefaultObjectAccessControl))
	assert.Nil(t, gcp.StorageACLProperties("gcp:storage/bucket:Bucket"))
}
