package logquery_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/logquery"
)

// Sets of entries the cases are judged on.
var (
	worker = logquery.Entry{Parent: "projects/etl-prod-1234", ResourceType: "dataflow_step",
		LogID: "dataflow.googleapis.com/worker", Severity: logquery.SeverityInfo}
	workerWarning = logquery.Entry{Parent: "projects/etl-prod-1234", ResourceType: "dataflow_step",
		LogID: "dataflow.googleapis.com/worker", Severity: logquery.SeverityWarning}
	jobMessage = logquery.Entry{Parent: "projects/etl-prod-1234", ResourceType: "dataflow_step",
		LogID: "dataflow.googleapis.com/job-message", Severity: logquery.SeverityDebug}
	otherDataflowLog = logquery.Entry{Parent: "projects/etl-prod-1234", ResourceType: "dataflow_step",
		LogID: "dataflow.googleapis.com/", AnyLogIDSuffix: true, Severity: logquery.SeverityInfo}
	storageRead = logquery.Entry{Parent: "projects/etl-prod-1234", ResourceType: "gcs_bucket",
		LogID: "cloudaudit.googleapis.com/data_access", Severity: logquery.SeverityInfo, ServiceName: "storage.googleapis.com"}
	childWorker = logquery.Entry{ResourceType: "dataflow_step", LogID: "dataflow.googleapis.com/worker",
		Severity: logquery.SeverityInfo}
)

func TestMatch(t *testing.T) {
	const (
		always    = logquery.Always
		never     = logquery.Never
		sometimes = logquery.Sometimes
	)
	cases := []struct {
		filter string
		entry  logquery.Entry
		want   logquery.Result
	}{
		{``, worker, always},
		{"-- only a comment\n", storageRead, always},
		// ':' is a substring test: a project's log name prefix matches all of its logs
		{`logName:"projects/etl-prod-1234/"`, worker, always},
		{`logName:"projects/etl-prod-1234/"`, storageRead, always},
		{`logName:"etl-prod"`, otherDataflowLog, always},
		{`logName:"projects/etl-prod-1234/logs"`, storageRead, always},
		{`logName:"projects/etl-prod-1234/"`, childWorker, sometimes},
		// RE2, unanchored, case-sensitive
		{`logName=~"^projects/etl-prod-1234/logs/(syslog|cos_system)$"`, worker, never},
		{`logName=~"^projects/etl-prod-1234/logs/(syslog|cos_system)$"`, otherDataflowLog, never},
		{`logName=~"^projects/etl-prod-1234/logs/(syslog|cos_system)$"`, storageRead, never},
		{`logName=~"syslog"`, otherDataflowLog, sometimes},
		{`logName=~"syslog"`, worker, never},
		{`logName=~"dataflow"`, otherDataflowLog, always},
		{`logName=~"DATAFLOW"`, worker, never},
		{`logName=~"(?i)DATAFLOW"`, worker, always},
		{`logName=~"cloudaudit.googleapis.com%2Fdata_access$"`, storageRead, always},
		{`logName!~"^projects/etl-prod-1234/logs/(syslog|cos_system)$"`, otherDataflowLog, always},
		{`resource.type=~"^dataflow"`, worker, always},
		{`resource.type=~"[invalid"`, worker, sometimes},
		// Google's cost-saving exclusions (issue 13) match neither
		{`resource.type="k8s_container" AND resource.labels.namespace_name="kube-system"`, worker, never},
		{`resource.type="k8s_container" AND resource.labels.namespace_name="kube-system"`, storageRead, never},
		{`resource.type="http_load_balancer" AND httpRequest.status<400`, storageRead, never},
		{`resource.type="k8s_container"`, otherDataflowLog, never},
		// Dataflow's cost-control exclusion
		{`resource.type = "dataflow_step" AND labels."dataflow.googleapis.com/job_name" !~ ".*debug" AND severity = (DEFAULT OR DEBUG OR INFO OR NOTICE)`, worker, sometimes},
		{`resource.type = "dataflow_step" AND labels."dataflow.googleapis.com/job_name" !~ ".*debug" AND severity = (DEFAULT OR DEBUG OR INFO OR NOTICE)`, workerWarning, never},
		{`resource.type = "dataflow_step" AND labels."dataflow.googleapis.com/job_name" !~ ".*debug" AND severity = (DEFAULT OR DEBUG OR INFO OR NOTICE)`, storageRead, never},
		{`resource.type = "dataflow_step" severity < WARNING`, jobMessage, always},
		{`severity >= 400`, workerWarning, always},
		// operands are NFKC_CF-normalized: case, ligatures, default-ignorable code points
		{`resource.type = "DATAFLOW_STEP"`, worker, always},
		{"resource.type = \"data\ufb02ow_step\"", worker, always},
		{"resource.type = \"data\u200bflow_step\"", worker, always},
		{"resource.type:\"\u0064ataflow\"", worker, always},
		// a backslash escape other than \" is read every way it may be: the
		// escaped character, the backslash kept, a character code
		{`resource.type = "data\flow_step"`, worker, sometimes},
		{`resource.type = "\x64ataflow_step"`, worker, sometimes},
		{`resource.type = "gce\_instance"`, worker, never},
		{`logName=~"dataflow\.googleapis\.com%2Fworker$"`, worker, always},
		{`logName=~"^projects/etl-prod-1234/logs/syslog\.log$"`, otherDataflowLog, never},
		{`log_id("dataflow.googleapis.com\/worker")`, worker, sometimes},
		{`resource.type = "gce_instance" textPayload:"say \"hi\""`, worker, never},
		// NOT, -, and OR binding tighter than AND
		{`NOT resource.type:"dataflow"`, worker, never},
		{`-resource.type:dataflow`, otherDataflowLog, never},
		{`NOT resource.type = "dataflow_step"`, worker, never},
		{`resource.type = "gce_instance" AND severity = ERROR OR resource.type = "dataflow_step"`, worker, never},
		{`resource.type = "dataflow_step" AND severity = ERROR OR resource.type = "gce_instance"`, workerWarning, never},
		{`resource.type = "dataflow_step" AND severity = WARNING OR resource.type = "gce_instance"`, workerWarning, always},
		{`resource.type = ("gce_instance" OR "dataflow_step")`, worker, always},
		{`resource.type = ("gce_instance" OR NOT "dataflow_step")`, worker, never},
		{`resource.type : ("dataflow" AND "step")`, worker, always},
		{`resource.type = gce_instance resource.type = dataflow_step`, worker, never},
		{`resource.type = "gce_instance" or resource.type = "dataflow_step"`, worker, never}, // lower-case or is a search term
		// audit logs by log name, payload and service
		{`-logName:"cloudaudit.googleapis.com"`, storageRead, never},
		{`log_id("cloudaudit.googleapis.com/data_access")`, storageRead, always},
		{`LOG_ID("cloudaudit.googleapis.com%2Fdata_access")`, storageRead, sometimes}, // log_id() takes the decoded ID
		{`log_id("CloudAudit.googleapis.com/data_access")`, storageRead, sometimes},
		{`logName = "projects/etl-prod-1234/logs/cloudaudit.googleapis.com%2Fdata_access"`, storageRead, always},
		{`logName = "projects/etl-prod-1234/logs/cloudaudit.googleapis.com/data_access"`, storageRead, sometimes}, // Google asks for %2F
		{`logName:"cloudaudit.googleapis.com/"`, storageRead, sometimes},
		{`logName != "projects/etl-prod-1234/logs/cloudaudit.googleapis.com%2Fdata_access"`, storageRead, never},
		{`protoPayload.serviceName = "storage.googleapis.com"`, storageRead, always},
		{`protoPayload.serviceName = "storage.googleapis.com"`, worker, never},
		{`protoPayload.serviceName = "dataflow.googleapis.com"`, worker, never},
		{`protoPayload.methodName = "storage.objects.get"`, storageRead, sometimes},
		{`NOT protoPayload.@type = "type.googleapis.com/google.cloud.audit.AuditLog"`, storageRead, never},
		{`textPayload:"timeout"`, storageRead, never},
		{`NOT textPayload:"timeout"`, storageRead, always},
		{`textPayload != "timeout"`, storageRead, never}, // a missing field fails every comparison
		{`jsonPayload.message:"health"`, worker, sometimes},
		{`"cloudaudit"`, storageRead, always},
		{`cloudaudit`, worker, sometimes},
		{`data_access`, storageRead, always},
		{`SEARCH(textPayload, "x")`, storageRead, never},
		{`SEARCH("x")`, storageRead, sometimes},
		{`sample(insertId, 0.1)`, worker, sometimes},
		{`sample(jsonPayload.x, 1)`, storageRead, never},
		// log_id over the Dataflow log IDs the pack does not list
		{`log_id("dataflow.googleapis.com/worker")`, worker, always},
		{`log_id("dataflow.googleapis.com/worker")`, jobMessage, never},
		{`log_id("dataflow.googleapis.com/vm-health")`, otherDataflowLog, sometimes},
		{`log_id("syslog")`, otherDataflowLog, never},
		{`logName:"logs/syslog"`, otherDataflowLog, never},
		{`logName:"stdout"`, otherDataflowLog, sometimes},
		{`logName:"dataflow.googleapis.com%2Fvm-"`, otherDataflowLog, sometimes},
		{`logName = "projects/etl-prod-1234/logs/syslog"`, otherDataflowLog, never},
		// the built-in _Default sink filter
		{`NOT LOG_ID("cloudaudit.googleapis.com/activity") AND NOT LOG_ID("externalaudit.googleapis.com/activity") AND NOT LOG_ID("cloudaudit.googleapis.com/system_event") AND NOT LOG_ID("externalaudit.googleapis.com/system_event") AND NOT LOG_ID("cloudaudit.googleapis.com/access_transparency") AND NOT LOG_ID("externalaudit.googleapis.com/access_transparency")`, otherDataflowLog, always},
		{`source(projects/etl-prod-1234)`, worker, always},
		{`source(projects/other)`, worker, never},
	}
	for _, c := range cases {
		q, err := logquery.Parse(c.filter)
		require.NoError(t, err, c.filter)
		assert.Equal(t, c.want.String(), q.Match(c.entry).String(), "%s on %s %s", c.filter, c.entry.LogID, c.entry.Severity)
	}
}

func TestParseErrors(t *testing.T) {
	for _, f := range []string{`resource.type = ("gce_instance"`, `resource.type = `, `"unterminated`, `a =! b`, `(a`, `logName~"x"`} {
		_, err := logquery.Parse(f)
		assert.Error(t, err, f)
	}
}

func TestClasses(t *testing.T) {
	classes := logquery.ClassConfig{
		DataflowResourceTypes:   logquery.DefaultDataflowResourceTypes,
		AuditResourceTypes:      logquery.DefaultAuditResourceTypes,
		DataflowMinimumSeverity: logquery.SeverityWarning,
	}.Classes()
	require.Len(t, classes, 6)
	assert.Equal(t, "Dataflow job and worker logs", classes[0].Name())
	assert.Equal(t, "Data Access audit logs of BigQuery (bigquery.googleapis.com)", classes[1].Name())
	for _, e := range classes[0].Entries("projects/p") {
		assert.GreaterOrEqual(t, e.Severity, logquery.SeverityWarning)
	}
	for _, c := range classes[1:] {
		for _, e := range c.Entries("") {
			assert.True(t, e.IsAudit())
			assert.GreaterOrEqual(t, e.Severity, logquery.SeverityInfo, "the floor never applies to audit logs")
		}
	}
	for _, types := range logquery.DefaultAuditResourceTypes {
		for _, typ := range types {
			assert.NotEmpty(t, logquery.ResourceTypeSources[typ], typ)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`resource.type = ("a" OR NOT "b") logName=~"^x$" -severity<ERROR sample(insertId, 0.1)`)
	f.Add(`log_id("x") "term" SEARCH(textPayload, "y") NOT (a:b OR c!~"d")`)
	f.Fuzz(func(t *testing.T, filter string) {
		q, err := logquery.Parse(filter)
		if err != nil {
			return
		}
		for _, e := range []logquery.Entry{worker, otherDataflowLog, storageRead, childWorker} {
			_ = q.Match(e)
		}
	})
}

func TestMatchChildProjects(t *testing.T) {
	for filter, want := range map[string]logquery.Result{
		`logName:"projects/etl-prod-1234/"`:                                      logquery.Sometimes,
		`logName:"logs/nginx-access"`:                                            logquery.Never,
		`logName=~"^projects/[^/]+/logs/(syslog|cos_system)$"`:                   logquery.Never,
		`logName:"dataflow.googleapis.com"`:                                      logquery.Always,
		`log_id("dataflow.googleapis.com/worker")`:                               logquery.Always,
		`logName = "projects/p/logs/dataflow.googleapis.com%2Fworker"`:           logquery.Sometimes,
		`NOT logName:("dataflow.googleapis.com" OR "cloudaudit.googleapis.com")`: logquery.Never,
	} {
		q, err := logquery.Parse(filter)
		require.NoError(t, err)
		assert.Equal(t, want.String(), q.Match(childWorker).String(), filter)
	}
}
