package gcp

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
)

func stackOf(specs ...[2]string) *Stack {
	var rs []*Resource
	for _, s := range specs {
		rs = append(rs, &Resource{Type: s[0], URN: s[1]})
	}
	return NewStack("p", "s", rs)
}

func urnsOf(rs []*Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.URN)
	}
	return out
}

func TestOfTypeKeepsStackOrder(t *testing.T) {
	s := stackOf([2]string{"b", "1"}, [2]string{"a", "2"}, [2]string{"c", "3"}, [2]string{"a", "4"}, [2]string{"b", "5"})
	assert.Equal(t, []string{"1", "2", "4", "5"}, urnsOf(s.OfType("a", "b", "a")))
	assert.Equal(t, []string{"3"}, urnsOf(s.OfType("c")))
	assert.Empty(t, s.OfType("none"))
	assert.Empty(t, s.OfType())
}

func TestWithURNsKeepsStackOrder(t *testing.T) {
	s := stackOf([2]string{"a", "1"}, [2]string{"a", "2"}, [2]string{"a", "3"})
	assert.Equal(t, []string{"1", "3"}, urnsOf(s.WithURNs([]string{"3", "1", "3", "missing"})))
	// A repeated URN yields every resource that has it, as a scan of the stack would.
	d := stackOf([2]string{"a", "1"}, [2]string{"a", "2"}, [2]string{"b", "1"})
	got := d.WithURNs([]string{"1"})
	assert.Equal(t, []*Resource{d.Resources[0], d.Resources[2]}, got)
	r, ok := d.Lookup("1")
	assert.True(t, ok)
	assert.Same(t, d.Resources[2], r, "Lookup finds the last resource of a repeated URN")
}

func TestViewsMemoizeAndMatchTheModel(t *testing.T) {
	r := &Resource{Type: "gcp:projects/iAMMember:IAMMember", URN: "u", Props: property.NewMap(map[string]property.Value{
		"role": property.New("roles/editor"), "member": property.New("user:a@b.c"), "project": property.New("p"),
	})}
	var nilViews *Views
	want, _ := Grants(r)
	got, _ := nilViews.Grants(r)
	assert.Equal(t, want, got)

	var v Views
	v.Reset(r)
	first, _ := v.Grants(r)
	second, _ := v.Grants(r)
	assert.Equal(t, want, first)
	assert.Same(t, &first[0], &second[0], "the single resource's grants are computed once")

	other := &Resource{Type: r.Type, URN: "o", Props: r.Props}
	a, _ := v.Grants(other)
	b, _ := v.Grants(other)
	assert.Same(t, &a[0], &b[0], "other resources are memoized too")
	v.Reset(nil)
	c, _ := v.Grants(other)
	assert.NotSame(t, &a[0], &c[0], "Reset drops what was memoized")
}
