// Command fakegcp stands in for the pulumi-gcp resource provider (plugin
// "gcp" 9.6.0) in the end-to-end tests, where the real provider binary cannot
// be obtained. It talks the provider protocol to the real Pulumi engine,
// echoes inputs as outputs and computes the few outputs the policies depend
// on, the way pulumi-gcp would:
//
//   - a service account's email, member and name from accountId and project;
//   - effectiveLabels and pulumiLabels (provider defaultLabels + own labels);
//   - a storage bucket's name when none is given (resource name + "-" + 7
//     hex characters);
//   - ids.
//
// During a preview those computed outputs are unknown, as they are for the
// real provider. Every real (non-preview) Create and Update is appended as one
// JSON line {op, type, urn, inputs} to the file named by $FAKEGCP_LOG, so tests
// can see what the provider was asked to do. Nothing leaves the machine.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	version = "9.6.0"
	// unknown is the engine's wire sentinel for a value not known yet.
	unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
	// defaultProject stands in for the project gcloud would supply.
	defaultProject = "etl-prod-1234"
	// LogEnv names the file every real Create and Update is appended to.
	LogEnv = "FAKEGCP_LOG"
)

// labelled lists resource types that carry labels even when none are given,
// so their effectiveLabels come from the provider's defaultLabels. Any other
// resource with a labels input is treated the same way.
var labelled = map[string]bool{
	"gcp:dataflow/job:Job":                         true,
	"gcp:dataflow/flexTemplateJob:FlexTemplateJob": true,
	"gcp:storage/bucket:Bucket":                    true,
	"gcp:kms/cryptoKey:CryptoKey":                  true,
	"gcp:pubsub/topic:Topic":                       true,
	"gcp:pubsub/subscription:Subscription":         true,
	"gcp:bigquery/dataset:Dataset":                 true,
}

// LogEntry is one line of the $FAKEGCP_LOG file.
type LogEntry struct {
	Op     string         `json:"op"` // "create" or "update"
	Type   string         `json:"type"`
	URN    string         `json:"urn"`
	ID     string         `json:"id"`
	Inputs map[string]any `json:"inputs"`
}

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	mu            sync.Mutex
	project       string
	defaultLabels map[string]*structpb.Value
	logPath       string
}

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"gcp","version":"` + version + `"}`}, nil
}

func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

// Configure reads the provider's project and defaultLabels. The engine sends
// provider inputs both as args and as "gcp:config:<key>" variables; non-string
// values such as defaultLabels arrive JSON-encoded.
func (p *provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	args := req.GetArgs().GetFields()
	project := stringField(args, "project")
	if project == "" {
		project = req.GetVariables()["gcp:config:project"]
	}
	var labels map[string]*structpb.Value
	if v, ok := args["defaultLabels"]; ok {
		labels = labelMap(unsecret(v))
	} else if s, ok := req.GetVariables()["gcp:config:defaultLabels"]; ok {
		labels = labelMap(structpb.NewStringValue(s))
	}
	p.mu.Lock()
	p.project, p.defaultLabels = project, labels
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true, SupportsPreview: true}, nil
}

// Check echoes the inputs and auto-names buckets, keeping an existing name.
func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news := cloneStruct(req.GetNews())
	if req.GetType() == "gcp:storage/bucket:Bucket" || strings.Contains(req.GetUrn(), "::gcp:storage/bucket:Bucket::") {
		if _, ok := news.Fields["name"]; !ok {
			if old, ok := req.GetOlds().GetFields()["name"]; ok {
				news.Fields["name"] = old
			} else {
				news.Fields["name"] = structpb.NewStringValue(urnName(req.GetUrn()) + "-" + suffix(req.GetRandomSeed()))
			}
		}
	}
	return &pulumirpc.CheckResponse{Inputs: news}, nil
}

// Diff reports the top-level inputs that changed; nothing is ever replaced.
func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds := req.GetOldInputs()
	if olds == nil {
		olds = req.GetOlds()
	}
	var changed []string
	keys := map[string]bool{}
	for k := range olds.GetFields() {
		keys[k] = true
	}
	for k := range req.GetNews().GetFields() {
		keys[k] = true
	}
	for k := range keys {
		if !proto.Equal(olds.GetFields()[k], req.GetNews().GetFields()[k]) {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed}, nil
}

func (p *provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	typ := resourceType(req.GetType(), req.GetUrn())
	id, outs := p.outputs(typ, req.GetUrn(), req.GetProperties(), req.GetPreview())
	if !req.GetPreview() {
		if err := p.record("create", typ, req.GetUrn(), id, req.GetProperties()); err != nil {
			return nil, err
		}
	} else {
		id = ""
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: outs}, nil
}

func (p *provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	typ := resourceType(req.GetType(), req.GetUrn())
	_, outs := p.outputs(typ, req.GetUrn(), req.GetNews(), req.GetPreview())
	if !req.GetPreview() {
		if err := p.record("update", typ, req.GetUrn(), req.GetId(), req.GetNews()); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.UpdateResponse{Properties: outs}, nil
}

// Read returns what the engine already knows: the fake cloud never drifts.
func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *provider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// outputs returns the id and the outputs for a resource: its inputs plus the
// values pulumi-gcp computes, which are unknown during a preview.
func (p *provider) outputs(typ, urn string, inputs *structpb.Struct, preview bool) (string, *structpb.Struct) {
	outs := cloneStruct(inputs)
	in := outs.Fields
	computed := map[string]*structpb.Value{}

	p.mu.Lock()
	project, defaults := p.project, p.defaultLabels
	p.mu.Unlock()
	if s := stringField(in, "project"); s != "" {
		project = s
	}
	if project == "" {
		project = defaultProject
	}

	var id string
	switch typ {
	case "gcp:serviceaccount/account:Account":
		email := stringField(in, "accountId") + "@" + project + ".iam.gserviceaccount.com"
		id = "projects/" + project + "/serviceAccounts/" + email
		computed["email"] = structpb.NewStringValue(email)
		computed["member"] = structpb.NewStringValue("serviceAccount:" + email)
		computed["name"] = structpb.NewStringValue(id)
		computed["project"] = structpb.NewStringValue(project)
	case "gcp:kms/keyRing:KeyRing":
		id = "projects/" + project + "/locations/" + stringField(in, "location") + "/keyRings/" + stringField(in, "name")
	case "gcp:kms/cryptoKey:CryptoKey":
		id = stringField(in, "keyRing") + "/cryptoKeys/" + stringField(in, "name")
	default:
		if name := stringField(in, "name"); name != "" && name != unknown {
			id = name
		} else {
			id = urnName(urn) + "-" + suffix(nil)
		}
	}

	if labels, ok := in["labels"]; ok || labelled[typ] {
		merged := map[string]*structpb.Value{}
		for k, v := range defaults {
			merged[k] = v
		}
		own := unsecret(labels)
		if own.GetStringValue() == unknown {
			merged = nil
		} else {
			for k, v := range own.GetStructValue().GetFields() {
				merged[k] = v
			}
		}
		var value *structpb.Value
		if merged == nil {
			value = structpb.NewStringValue(unknown)
		} else {
			value = structpb.NewStructValue(&structpb.Struct{Fields: merged})
		}
		computed["effectiveLabels"] = value
		computed["pulumiLabels"] = value
	}

	for k, v := range computed {
		if preview {
			v = structpb.NewStringValue(unknown)
		}
		in[k] = v
	}
	return id, outs
}

// record appends one JSON line to $FAKEGCP_LOG.
func (p *provider) record(op, typ, urn, id string, inputs *structpb.Struct) error {
	if p.logPath == "" {
		return nil
	}
	line, err := json.Marshal(LogEntry{Op: op, Type: typ, URN: urn, ID: id, Inputs: inputs.AsMap()})
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.OpenFile(p.logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// secretSig is the key that marks a secret-wrapped value on the wire.
const secretSig = "4dabf18193072939515e22adb298388d"

// unsecret returns the value inside a secret wrapper, or v itself.
func unsecret(v *structpb.Value) *structpb.Value {
	if f := v.GetStructValue().GetFields(); f != nil && f[secretSig] != nil {
		return f["value"]
	}
	return v
}

// labelMap reads a labels map, given as a map or as its JSON encoding.
func labelMap(v *structpb.Value) map[string]*structpb.Value {
	if s, ok := v.GetKind().(*structpb.Value_StringValue); ok {
		var m map[string]any
		if json.Unmarshal([]byte(s.StringValue), &m) != nil {
			return nil
		}
		st, err := structpb.NewStruct(m)
		if err != nil {
			return nil
		}
		return st.Fields
	}
	return v.GetStructValue().GetFields()
}

func stringField(m map[string]*structpb.Value, key string) string {
	return unsecret(m[key]).GetStringValue()
}

func cloneStruct(s *structpb.Struct) *structpb.Struct {
	if s == nil {
		return &structpb.Struct{Fields: map[string]*structpb.Value{}}
	}
	c := proto.Clone(s).(*structpb.Struct)
	if c.Fields == nil {
		c.Fields = map[string]*structpb.Value{}
	}
	return c
}

// resourceType falls back to the URN when the engine leaves the type empty.
func resourceType(typ, urn string) string {
	if typ != "" {
		return typ
	}
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return ""
	}
	chain := parts[2]
	if i := strings.LastIndex(chain, "$"); i >= 0 {
		chain = chain[i+1:]
	}
	return chain
}

func urnName(urn string) string {
	return urn[strings.LastIndex(urn, "::")+2:]
}

// suffix returns 7 hex characters, derived from the engine's random seed when
// it sends one (so preview and update agree), random otherwise.
func suffix(seed []byte) string {
	if len(seed) == 0 {
		seed = make([]byte, 16)
		_, _ = rand.Read(seed)
	}
	sum := sha256.Sum256(seed)
	return hex.EncodeToString(sum[:])[:7]
}

func main() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "fakegcp: %v\n", err)
		os.Exit(1)
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(400<<20), grpc.MaxSendMsgSize(400<<20))
	pulumirpc.RegisterResourceProviderServer(srv, &provider{logPath: os.Getenv(LogEnv)})
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)
	if err := srv.Serve(lis); err != nil {
		fmt.Fprintf(os.Stderr, "fakegcp: %v\n", err)
		os.Exit(1)
	}
}
