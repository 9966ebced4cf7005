package logquery_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/logquery"
)

func TestClassify(t *testing.T) {
	safe := []string{
		// a log name restriction rules out Dataflow and audit logs at once
		`log_id("syslog")`,
		`logName = "projects/p/logs/foo"`,
		`logName="projects/p/logs/stdout" severity<ERROR`,
		`logName:"logs/syslog"`,
		`logName:"projects/p/logs/nginx"`,
		`logName:"stdout"`,
		`resource.type = "k8s_container" log_id("stdout") sample(insertId, 0.1)`,
		`log_id("stdout") "GET /healthz"`,
		`log_id("stdout") SEARCH("connection reset")`,
		`log_id("syslog") -protoPayload.serviceName:*`,
		// a resource type restriction plus a clause ruling out audit logs
		`resource.type = "gce_instance" AND NOT logName:"cloudaudit.googleapis.com"`,
		`resource.type = "gce_instance" -logName:"cloudaudit.googleapis.com"`,
		`resource.type=gce_instance -logName:"logs/cloudaudit" severity<=INFO`,
		`resource.type = gce_instance AND severity < WARNING AND NOT logName:"cloudaudit.googleapis.com%2F"`,
		`resource.type="gce_instance" -logName:cloudaudit -- keep Dataflow and audit logs` + "\n" + `severity < ERROR`,
		`resource.type = "GCE_INSTANCE" -logName:"CLOUDAUDIT.GOOGLEAPIS.COM"`,
		`RESOURCE.TYPE = "gce_instance" NOT LOGNAME:"cloudaudit"`, // field names: the canonical form is lower case
		`resource.type = "gce_instance" NOT (logName:"cloudaudit.googleapis.com" OR severity >= ERROR)`,
		`resource.type = "gce_instance" NOT protoPayload.@type = "type.googleapis.com/google.cloud.audit.AuditLog"`,
		`resource.type = "gce_instance" -protoPayload.@type:"AuditLog"`,
		`resource.type = "gce_instance" NOT "cloudaudit.googleapis.com"`,
		`resource.type = ("gce_instance" OR "k8s_container") -logName:"cloudaudit.googleapis.com"`,
		`resource.type = "gce_instance" OR resource.type = "k8s_container" -logName:"cloudaudit.googleapis.com"`,
		`(resource.type = "gce_instance" OR logName = "projects/p/logs/syslog") AND severity <= INFO AND -logName:"cloudaudit.googleapis.com"`,
		`resource.type = "gce_instance" AND labels."k8s-pod/app" = "web" AND -logName:"cloudaudit.googleapis.com"`,
		`resource.type = "gce_instance" AND logName != "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access" -logName:"cloudaudit"`,
		// audit entries carry neither textPayload nor jsonPayload
		`resource.type:"gce" jsonPayload.message:"health check"`,
		`resource.type = ("gce_instance" OR "k8s_container") textPayload:"GET /healthz"`,
		`resource.type = "k8s_container" jsonPayload.latency > 0`,
		`(resource.type = "gce_instance" jsonPayload.x = "y") OR log_id("stdout")`,
		// another protoPayload type
		`resource.type = "gae_app" protoPayload.@type = "type.googleapis.com/google.appengine.logging.v1.RequestLog" protoPayload.status < 400`,
		`resource.type = "gae_app" protoPayload.@type:"RequestLog"`,
	}
	for _, f := range safe {
		v := logquery.Classify(f)
		assert.False(t, v.CanMatch, "%s: %s", f, v.Reason)
	}

	const (
		noRestriction = "no top-level AND-ed clause restricting it"
		keepsAudit    = "no top-level AND-ed clause ruling out Cloud Audit Logs"
		names         = "names Dataflow or Cloud Audit Logs"
		auditOnly     = "names Cloud Audit Logs: only audit log entries carry that protoPayload field"
	)
	matching := map[string]string{
		``:                                   "is empty",
		`   `:                                "is empty",
		`-- only a comment`:                  "is empty",
		`severity < ERROR`:                   noRestriction,
		`severity >= DEFAULT`:                noRestriction,
		`sample(insertId, 0.1)`:              noRestriction,
		`NOT resource.type = "gce_instance"`: noRestriction,
		`-resource.type = "gce_instance"`:    noRestriction,
		`resource.type != "gce_instance"`:    noRestriction,
		`resource.type =~ "gce_.*"`:          noRestriction,
		`resource.type = "gce_instance" OR severity < ERROR`:          noRestriction,
		`resource.type = "gce_instance" OR NOT resource.type = "k8s"`: noRestriction,
		// rules out audit logs but not Dataflow's (job messages are text, worker logs JSON)
		`textPayload:"timeout"`:                         noRestriction,
		`jsonPayload.message:"health"`:                  noRestriction,
		`NOT logName:"cloudaudit.googleapis.com"`:       noRestriction,
		`-logName:"cloudaudit" -resource.type:dataflow`: noRestriction,
		// audit entries carry the audited resource's type
		`resource.type = "gce_instance"`:                                                              keepsAudit,
		`resource.type="gce_instance"`:                                                                keepsAudit,
		`resource.type=gce_instance`:                                                                  keepsAudit,
		`resource.type="gcs_bucket"`:                                                                  keepsAudit,
		`resource.type = gce_instance AND severity < WARNING`:                                         keepsAudit,
		`resource.type:"gce"`:                                                                         keepsAudit,
		`resource.type = ("gce_instance" OR "k8s_container")`:                                         keepsAudit,
		`resource.type = "gce_instance" OR resource.type = "k8s_container"`:                           keepsAudit,
		`RESOURCE.TYPE = "gce_instance"`:                                                              keepsAudit,
		`resource.type = "k8s_container" sample(insertId, 0.1)`:                                       keepsAudit,
		`(resource.type = "gce_instance" OR logName = "projects/p/logs/syslog") AND severity <= INFO`: keepsAudit,
		`resource.type = "gce_instance" AND labels."k8s-pod/app" = "web"`:                             keepsAudit,
		`resource.type = "gce_instance" httpRequest.status < 400`:                                     keepsAudit,
		// negations that keep some audit logs matched
		`resource.type = "gce_instance" AND logName != "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access"`:              keepsAudit,
		`resource.type = "gce_instance" NOT logName = "projects/p/logs/cloudaudit.googleapis.com%2Factivity"`:                  keepsAudit,
		`resource.type = "gce_instance" -logName:"cloudaudit.googleapis.com/"`:                                                 keepsAudit, // the stored name has %2F
		`resource.type = "gce_instance" -logName:"projects/p/logs/cloudaudit.googleapis.com"`:                                  keepsAudit, // other projects' audit logs
		`resource.type = "gce_instance" NOT (logName:"cloudaudit.googleapis.com" AND severity >= ERROR)`:                       keepsAudit,
		`resource.type = "gce_instance" NOT protoPayload.@type = "type.googleapis.com/google.appengine.logging.v1.RequestLog"`: keepsAudit,
		`resource.type = "gce_instance" -textPayload:"x"`:                                                                      keepsAudit,
		// OR binds tighter than AND: this is gce AND (ERROR OR dataflow_step)
		`resource.type = "gce_instance" AND severity = ERROR OR resource.type = "dataflow_step"`: names,
		`resource.type = "dataflow_step"`:                                       names,
		`resource.type = ("gce_instance" OR "dataflow_step")`:                   names,
		`resource.type:"step"`:                                                  names,
		`resource.type = "audited_resource"`:                                    names,
		`logName = "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access"`:   names,
		`logName = "projects/p/logs/cloudaudit.googleapis.com/activity"`:        names,
		`logName:"cloudaudit.googleapis.com"`:                                   names,
		`logName:"logs/cloudaudit"`:                                             names,
		`logName:"projects/p/logs/"`:                                            names,
		`logName:"data_access"`:                                                 names,
		`logName = "projects/p/logs/dataflow.googleapis.com%2Fworker"`:          names,
		`log_id("cloudaudit.googleapis.com/data_access")`:                       names,
		`log_id("dataflow.googleapis.com/job-message")`:                         names,
		`protoPayload.serviceName = "dataflow.googleapis.com"`:                  names,
		`protoPayload.serviceName:"googleapis.com"`:                             names,
		`resource.type = "gce_instance" logName:"cloudaudit.googleapis.com"`:    names,
		`resource.type = "gce_instance" AND "dataflow.googleapis.com"`:          names,
		`NOT logName != "projects/p/logs/cloudaudit.googleapis.com%2Factivity"`: names,
		`jsonPayload.message:"dataflow_step"`:                                   names,
		// an @type naming audit logs
		`resource.type="gce_instance" protoPayload.@type="type.googleapis.com/google.cloud.audit.AuditLog"`: names,
		`log_id("syslog") protoPayload.@type:"audit"`:                                                       names,
		`resource.type="gce_instance" protoPayload.@type:*`:                                                 names,
		`resource.type="gce_instance" protoPayload.@type:"google.cloud"`:                                    names,
		`resource.type = "gae_app" protoPayload.@type =~ "RequestLog$"`:                                     names,
		// a bare search term or SEARCH() term inside a Dataflow or audit token or log ID
		`resource.type="gce_instance" AND "cloudaudit"`:                    names,
		`resource.type="gce_instance" AND data_access`:                     names,
		`resource.type="gce_instance" AND SEARCH("dataflow")`:              names,
		`resource.type="gce_instance" -logName:cloudaudit "activity"`:      names,
		`log_id("syslog") policy`:                                          names,
		`log_id("syslog") system_event`:                                    names,
		`log_id("syslog") SEARCH(textPayload, "boot system_event")`:        names,
		`log_id("syslog") SEARCH("` + "`cloudaudit.googleapis.com`" + `")`: names,
		`log_id("syslog") "cloudaudit.googleapis.com%2Fdata_access"`:       names,
		// a field path naming Dataflow
		`resource.type="gce_instance" labels."dataflow.googleapis.com/job_id":*`: names,
		// protoPayload fields only audit entries carry
		`protoPayload.serviceName = "storage.googleapis.com"`:                                                   auditOnly,
		`protoPayload.serviceName="storage.googleapis.com" AND protoPayload.methodName:"storage.objects.get"`:   auditOnly,
		`log_id("syslog") protoPayload.methodName = "storage.objects.get"`:                                      auditOnly,
		`resource.type="gce_instance" -logName:cloudaudit protoPayload.authenticationInfo.principalEmail:"ci@"`: auditOnly,
		`resource.type="gce_instance" NOT protoPayload.method_name != "v1.compute.instances.insert"`:            auditOnly,
		`resource.type = (`:               "cannot be parsed",
		`resource.type = "gce_instance`:   "cannot be parsed",
		`resource.type == "gce_instance"`: "cannot be parsed",
		`NOT`:                             "cannot be parsed",
		`(resource.type = "gce_instance"`: "cannot be parsed",
	}
	for f, reason := range matching {
		v := logquery.Classify(f)
		if assert.True(t, v.CanMatch, "%q should be able to match Dataflow or audit logs", f) {
			assert.Contains(t, v.Reason, reason, "%q", f)
		}
	}

	v := logquery.Classify(`severity < ERROR AND (resource.type = "gce_instance" OR logName:"cloudaudit.googleapis.com")`)
	assert.True(t, v.CanMatch)
	assert.Equal(t, `logName:"cloudaudit.googleapis.com"`, v.Clause)

	v = logquery.Classify(`resource.type="gce_instance" AND SEARCH("dataflow")`)
	assert.Equal(t, `SEARCH("dataflow")`, v.Clause)
	v = logquery.Classify(`resource.type="gce_instance" protoPayload.serviceName="storage.googleapis.com"`)
	assert.Equal(t, `protoPayload.serviceName="storage.googleapis.com"`, v.Clause)
}
