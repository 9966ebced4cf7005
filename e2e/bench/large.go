package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/estate"
)

// largeResult says whether the pack accepted an AnalyzeStack request larger
// than 256 MiB.
type largeResult struct {
	Variant  string
	Bytes    int
	Accepted bool
	Took     time.Duration
	Err      string
}

// largeRequestMin is the request size the pack must accept.
const largeRequestMin = 256 << 20

// checkLargeRequest sends one AnalyzeStack of just over 256 MiB: 257
// bucket objects with 1 MiB of inline content each.
func checkLargeRequest(ctx context.Context, v variant) largeResult {
	var res largeResult
	p, err := launch(v.command())
	if err != nil {
		res.Err = err.Error()
		return res
	}
	defer p.stop()
	client, conn, err := dial(p.port)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if _, _, err := configure(cctx, client, v); err != nil {
		res.Err = err.Error()
		return res
	}
	content := strings.Repeat("0123456789abcdef", (1<<20)/16)
	req := &pulumirpc.AnalyzeStackRequest{}
	for i := 0; i < 257; i++ {
		name := fmt.Sprintf("blob-%d", i)
		props, err := structpb.NewStruct(map[string]any{"bucket": estate.GCPProject + "-raw", "name": name, "content": content})
		if err != nil {
			res.Err = err.Error()
			return res
		}
		typ := "gcp:storage/bucketObject:BucketObject"
		req.Resources = append(req.Resources, &pulumirpc.AnalyzerResource{Urn: estate.URN(typ, name), Type: typ, Name: name,
			Properties: props})
	}
	res.Bytes = proto.Size(req)
	if res.Bytes < largeRequestMin {
		res.Err = fmt.Sprintf("built only %d bytes", res.Bytes)
		return res
	}
	t := time.Now()
	_, err = client.AnalyzeStack(cctx, req)
	res.Took = time.Since(t)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	res.Accepted = true
	return res
}
