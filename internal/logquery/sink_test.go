package logquery_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/logquery"
)

func TestClassifySink(t *testing.T) {
	const carve = `resource.type:"dataflow" OR logName:"cloudaudit.googleapis.com"`
	routesNone := []struct {
		filter     string
		exclusions []string
	}{
		{`log_id("syslog")`, nil},
		{`NOT resource.type:"dataflow" AND NOT logName:"cloudaudit.googleapis.com"`, nil},
		{`-resource.type:dataflow -logName:cloudaudit severity >= WARNING`, nil},
		{`NOT "dataflow" -logName:"cloudaudit"`, nil},
		{`NOT logName:("dataflow.googleapis.com" OR "datapipelines.googleapis.com") NOT logName:"cloudaudit"`, nil},
		{``, []string{carve}},
		{`severity >= INFO`, []string{`resource.type:"dataflow"`, `logName:"cloudaudit.googleapis.com"`}},
		{``, []string{`logName:"dataflow.googleapis.com" OR logName:"datapipelines.googleapis.com"`, "-- audit\n" + `logName:"cloudaudit"`}},
		{`resource.type = "gce_instance" -- a comment at the end`, []string{`logName:"cloudaudit"`}},
		{`(resource.type="gce_instance")`, []string{`logName:"cloudaudit"`}},
	}
	for _, c := range routesNone {
		v := logquery.ClassifySink(c.filter, c.exclusions...)
		assert.False(t, v.CanMatch, "%q less %q: %s", c.filter, c.exclusions, v.Reason)
	}

	routesSome := []struct {
		filter     string
		exclusions []string
		reason     string
		clause     string
	}{
		{``, nil, "is empty", ""},
		{``, []string{``}, "is empty", ""},
		{``, []string{`resource.type:"dataflow" OR (`}, "is empty", ""},
		{`resource.type = (`, []string{carve}, "cannot be parsed", ""},
		{`resource.type="k8s_container"`, nil, "lets Cloud Audit Logs through", ""},
		{`NOT resource.type="dataflow_step" AND NOT logName:"cloudaudit"`, nil, "lets Dataflow logs through", ""},
		{`NOT resource.type:"dataflow" OR severity >= ERROR`, []string{`logName:"cloudaudit"`}, "lets Dataflow logs through", ""},
		{``, []string{`resource.type="dataflow_step" OR logName:"cloudaudit"`}, "lets Dataflow logs through", ""},
		{``, []string{`(` + carve + `) AND severity < ERROR`}, "lets Dataflow logs through", ""},
		{``, []string{`logName:"dataflow.googleapis.com" OR logName:"cloudaudit"`}, "lets Dataflow logs through", ""},
		{``, []string{`resource.type:"dataflow"`}, "lets Cloud Audit Logs through", ""},
		{`resource.type="dataflow_step"`, []string{`severity < ERROR`}, "names Dataflow", `resource.type="dataflow_step"`},
		{`log_id("syslog")`, []string{`NOT logName:"cloudaudit.googleapis.com"`}, "names Dataflow", `logName:"cloudaudit.googleapis.com"`},
		{`log_id("syslog") OR log_id("cloudaudit.googleapis.com/activity")`, nil, "names Dataflow", `log_id("cloudaudit.googleapis.com/activity")`},
	}
	for _, c := range routesSome {
		v := logquery.ClassifySink(c.filter, c.exclusions...)
		if assert.True(t, v.CanMatch, "%q less %q", c.filter, c.exclusions) {
			assert.Contains(t, v.Reason, c.reason, "%q less %q", c.filter, c.exclusions)
			assert.Equal(t, c.clause, v.Clause, "%q less %q", c.filter, c.exclusions)
		}
	}

	// Without exclusions or negations it agrees with Classify.
	for _, f := range []string{`log_id("stdout")`, `resource.type="gce_instance" -logName:"cloudaudit"`, `severity>=ERROR`,
		`protoPayload.serviceName="storage.googleapis.com"`, `resource.type = "gce_instance`, `logName:"logs/cloudaudit.googleapis.com%2Factivity"`} {
		assert.Equal(t, logquery.Classify(f).CanMatch, logquery.ClassifySink(f).CanMatch, f)
	}
}
