package gcp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestClassifyLogFilter(t *testing.T) {
	safe := []string{
		`resource.type = "gce_instance"`,
		`resource.type="gce_instance"`,
		`resource.type=gce_instance`,
		`resource.type = gce_instance AND severity < WARNING`,
		`resource.type:"gce"`,
		`resource.type:gce_instance`,
		`resource.type = ("gce_instance" OR "k8s_container")`,
		`resource.type = "gce_instance" OR resource.type = "k8s_container"`,
		`(resource.type = "gce_instance" OR logName = "projects/p/logs/syslog") AND severity <= INFO`,
		`logName = "projects/p/logs/foo"`,
		`logName="projects/p/logs/stdout" severity<ERROR`,
		`logName:"logs/syslog"`,
		`logName:"projects/p/logs/nginx"`,
		`logName:"stdout"`,
		`log_id("syslog")`,
		`protoPayload.serviceName = "storage.googleapis.com"`,
		`protoPayload.serviceName="storage.googleapis.com" AND protoPayload.methodName:"storage.objects.get"`,
		`resource.type = "k8s_container" sample(insertId, 0.1)`,
		`resource.type = "gce_instance" AND NOT logName:"cloudaudit.googleapis.com"`,
		`resource.type = "gce_instance" -logName:"cloudaudit.googleapis.com"`,
		`resource.type = "gce_instance" AND logName != "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access"`,
		`resource.type="gce_instance" -- keep Dataflow and audit logs` + "\n" + `severity < ERROR`,
		`resource.type = "gce_instance" AND labels."k8s-pod/app" = "web"`,
		`RESOURCE.TYPE = "gce_instance"`, // field names: the canonical form is lower case
		`resource.type = "GCE_INSTANCE"`,
	}
	for _, f := range safe {
		v := gcp.ClassifyLogFilter(f)
		assert.False(t, v.CanMatch, "%s: %s", f, v.Reason)
	}

	matching := map[string]string{
		``:                                   "is empty",
		`   `:                                "is empty",
		`-- only a comment`:                  "is empty",
		`severity < ERROR`:                   "no top-level",
		`severity >= DEFAULT`:                "no top-level",
		`sample(insertId, 0.1)`:              "no top-level",
		`NOT resource.type = "gce_instance"`: "no top-level",
		`-resource.type = "gce_instance"`:    "no top-level",
		`resource.type != "gce_instance"`:    "no top-level",
		`resource.type =~ "gce_.*"`:          "no top-level",
		`resource.type = "gce_instance" OR severity < ERROR`:          "no top-level",
		`resource.type = "gce_instance" OR NOT resource.type = "k8s"`: "no top-level",
		// OR binds tighter than AND: this is gce AND (ERROR OR dataflow_step)
		`resource.type = "gce_instance" AND severity = ERROR OR resource.type = "dataflow_step"`: "names",
		`resource.type = "dataflow_step"`:                                       "names",
		`resource.type = ("gce_instance" OR "dataflow_step")`:                   "names",
		`resource.type:"step"`:                                                  "names",
		`resource.type = "audited_resource"`:                                    "names",
		`logName = "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access"`:   "names",
		`logName = "projects/p/logs/cloudaudit.googleapis.com/activity"`:        "names",
		`logName:"cloudaudit.googleapis.com"`:                                   "names",
		`logName:"logs/cloudaudit"`:                                             "names",
		`logName:"projects/p/logs/"`:                                            "names",
		`logName:"data_access"`:                                                 "names",
		`logName = "projects/p/logs/dataflow.googleapis.com%2Fworker"`:          "names",
		`log_id("cloudaudit.googleapis.com/data_access")`:                       "names",
		`log_id("dataflow.googleapis.com/job-message")`:                         "names",
		`protoPayload.serviceName = "dataflow.googleapis.com"`:                  "names",
		`protoPayload.serviceName:"googleapis.com"`:                             "names",
		`resource.type = "gce_instance" logName:"cloudaudit.googleapis.com"`:    "names",
		`resource.type = "gce_instance" AND "dataflow.googleapis.com"`:          "names",
		`NOT logName != "projects/p/logs/cloudaudit.googleapis.com%2Factivity"`: "names",
		`jsonPayload.message:"dataflow_step"`:                                   "names",
		`resource.type = (`:                                                     "cannot be parsed",
		`resource.type = "gce_instance`:                                         "cannot be parsed",
		`resource.type == "gce_instance"`:                                       "cannot be parsed",
		`NOT`:                                                                   "cannot be parsed",
		`(resource.type = "gce_instance"`:                                       "cannot be parsed",
	}
	for f, reason := range matching {
		v := gcp.ClassifyLogFilter(f)
		if assert.True(t, v.CanMatch, "%q should be able to match Dataflow or audit logs", f) {
			assert.Contains(t, v.Reason, reason, "%q", f)
		}
	}

	v := gcp.ClassifyLogFilter(`severity < ERROR AND (resource.type = "gce_instance" OR logName:"cloudaudit.googleapis.com")`)
	assert.True(t, v.CanMatch)
	assert.Equal(t, `logName:"cloudaudit.googleapis.com"`, v.Clause)
}
