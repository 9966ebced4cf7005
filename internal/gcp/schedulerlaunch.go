package gcp

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// CloudSchedulerJob is the type token of a Cloud Scheduler job.
const CloudSchedulerJob = "gcp:cloudscheduler/job:Job"

// schedulerLaunch reads a Cloud Scheduler job whose HTTP target POSTs to a
// Dataflow launch method as the Data Pipeline that launches the same job:
// the request body (base64 JSON) becomes the Pipeline workload request the
// method takes, field for field (the Pipeline's workload requests are the
// same messages), the project and location come from the URI, the schedule
// from the job and the OAuth token's account is the identity that launches,
// like a Pipeline's schedulerServiceAccountEmail. Methods
// (https://cloud.google.com/dataflow/docs/reference/rest):
//
//	POST v1b3/projects/P/locations/L/flexTemplates:launch  LaunchFlexTemplateRequest
//	POST v1b3/projects/P[/locations/L]/templates:launch?gcsPath=G  LaunchTemplateParameters
//	POST v1b3/projects/P[/locations/L]/templates  CreateJobFromTemplateRequest
//
// typ is empty for any other job. A body that is not known yet makes the
// workload unknown (the preview advisory); a body that is not JSON launches
// nothing (Dataflow rejects it) and so is not a launch.
func schedulerLaunch(r *Resource) (typ string, props map[string]property.Value) {
	target := r.Get("httpTarget")
	uri, ok := target.Get("uri").String()
	if !ok {
		return "", nil
	}
	if m, ok := target.Get("httpMethod").String(); ok && !strings.EqualFold(m, "POST") {
		return "", nil
	}
	call, ok := parseDataflowLaunchURI(uri)
	if !ok {
		return "", nil
	}
	props = map[string]property.Value{}
	if call.location != "" {
		props["region"] = property.New(call.location)
	}
	if token := target.Get("oauthToken"); !token.IsAbsent() {
		props["scheduleInfo"] = property.New(property.NewMap(map[string]property.Value{"schedule": r.Get("schedule").Raw()}))
		props["schedulerServiceAccountEmail"] = token.Get("serviceAccountEmail").Raw()
	}
	body := target.Get("body")
	if body.IsUnknown() {
		props["workload"] = property.New(property.Computed)
		return DataflowPipeline, props
	}
	text, _ := body.String()
	doc, ok := decodeLaunchBody(text)
	if !ok {
		return "", nil
	}
	doc = protoJSONNames(doc, "")
	request := map[string]property.Value{"projectId": property.New(call.project)}
	if call.location != "" {
		request["location"] = property.New(call.location)
	}
	var requestKey string
	switch call.method {
	case "flexTemplates:launch":
		requestKey = "dataflowFlexTemplateRequest"
		for _, k := range []string{"launchParameter", "validateOnly"} {
			if v, ok := doc[k]; ok {
				request[k] = anyValue(v)
			}
		}
	case "templates:launch":
		requestKey = "dataflowLaunchTemplateRequest"
		request["launchParameters"] = anyValue(doc)
		if call.gcsPath != "" {
			request["gcsPath"] = property.New(call.gcsPath)
		}
	case "templates":
		// CreateJobFromTemplateRequest: jobName, gcsPath, parameters,
		// environment (a RuntimeEnvironment) at the top.
		requestKey = "dataflowLaunchTemplateRequest"
		launch := map[string]any{}
		for k, v := range doc {
			if k == "gcsPath" {
				request["gcsPath"] = anyValue(v)
				continue
			}
			launch[k] = v
		}
		request["launchParameters"] = anyValue(launch)
	}
	// A secret body stays secret in every field read from it.
	props["workload"] = property.New(property.NewMap(map[string]property.Value{
		requestKey: property.New(property.NewMap(request)),
	})).WithSecret(body.Secret())
	return DataflowPipeline, props
}

// dataflowLaunchCall is a Dataflow launch method named by a URI.
type dataflowLaunchCall struct {
	project, location, method, gcsPath string
}

// parseDataflowLaunchURI recognises the Dataflow launch methods however the
// URI spells them: any case of host, a port, percent-escapes, repeated
// slashes, extra query parameters.
func parseDataflowLaunchURI(uri string) (dataflowLaunchCall, bool) {
	u, err := url.Parse(strings.TrimSpace(uri))
	if err != nil || !strings.EqualFold(u.Hostname(), "dataflow.googleapis.com") {
		return dataflowLaunchCall{}, false
	}
	path, err := url.PathUnescape(u.EscapedPath())
	if err != nil {
		return dataflowLaunchCall{}, false
	}
	var parts []string
	for _, p := range strings.Split(path, "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	// v1b3 projects P [locations L] method
	if len(parts) < 4 || parts[1] != "projects" {
		return dataflowLaunchCall{}, false
	}
	call := dataflowLaunchCall{project: parts[2]}
	rest := parts[3:]
	if len(rest) == 3 && rest[0] == "locations" {
		call.location, rest = rest[1], rest[2:]
	}
	if len(rest) != 1 {
		return dataflowLaunchCall{}, false
	}
	switch rest[0] {
	case "flexTemplates:launch", "templates:launch", "templates":
		call.method = rest[0]
	default:
		return dataflowLaunchCall{}, false
	}
	call.gcsPath = u.Query().Get("gcsPath")
	return call, true
}

// decodeLaunchBody reads a scheduler body: base64 (as pulumi-gcp holds it;
// the URL alphabet and missing padding accepted too) of a JSON object, or
// the JSON itself.
func decodeLaunchBody(text string) (map[string]any, bool) {
	text = strings.TrimSpace(text)
	raw := []byte(text)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil {
			raw = b
			break
		}
	}
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil || doc == nil {
		return nil, false
	}
	return doc, true
}

// launchMapFields hold user keys (parameters, labels), which keep their
// spelling; every other object is a message, whose fields the Dataflow API
// also accepts in their proto (snake_case) names.
var launchMapFields = map[string]bool{
	"parameters": true, "launchOptions": true, "transformNameMapping": true,
	"transformNameMappings": true, "additionalUserLabels": true,
}

// protoJSONNames renames snake_case message fields to the lowerCamelCase
// names the model reads, as a proto3 JSON parser accepts both. A field given
// in both spellings becomes unknown: which one wins is not ours to guess.
func protoJSONNames(doc map[string]any, field string) map[string]any {
	if launchMapFields[field] {
		return doc
	}
	out := make(map[string]any, len(doc))
	conflict := map[string]bool{}
	for k, v := range doc {
		name := lowerCamel(k)
		if _, seen := out[name]; seen {
			conflict[name] = true
		}
		out[name] = protoJSONValue(v, name)
	}
	for name := range conflict {
		out[name] = unknownJSON{}
	}
	return out
}

func protoJSONValue(v any, field string) any {
	switch v := v.(type) {
	case map[string]any:
		return protoJSONNames(v, field)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = protoJSONValue(e, field)
		}
		return out
	}
	return v
}

func lowerCamel(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	var b strings.Builder
	up := false
	for _, c := range s {
		switch {
		case c == '_':
			up = b.Len() > 0
		case up && 'a' <= c && c <= 'z':
			b.WriteRune(c - 'a' + 'A')
			up = false
		default:
			b.WriteRune(c)
			up = false
		}
	}
	return b.String()
}

// unknownJSON marks a decoded value the model must treat as unknown.
type unknownJSON struct{}

// anyValue converts decoded JSON into a property value.
func anyValue(v any) property.Value {
	switch v := v.(type) {
	case nil:
		return property.Value{}
	case unknownJSON:
		return property.New(property.Computed)
	case bool:
		return property.New(v)
	case float64:
		return property.New(v)
	case string:
		return property.New(v)
	case []any:
		out := make([]property.Value, len(v))
		for i, e := range v {
			out[i] = anyValue(e)
		}
		return property.New(out)
	case map[string]any:
		out := make(map[string]property.Value, len(v))
		for k, e := range v {
			out[k] = anyValue(e)
		}
		return property.New(property.NewMap(out))
	}
	return property.Value{}
}
