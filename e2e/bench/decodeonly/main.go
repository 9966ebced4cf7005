// Command decodeonly is the benchmark's floor over the real transport: an
// analyzer that decodes every request into the property model (the resource's
// properties and its provider's, each provider once per AnalyzeStack, as the
// pack does) and answers with nothing. It is built as its own binary by the
// harness (e2e/bench); it links only gRPC and sdk/v3's property decoder.
package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/propertyrpc"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// maxMessageSize is the pack's and the Node SDK's limit.
const maxMessageSize = 400 << 20

type server struct {
	pulumirpc.UnimplementedAnalyzerServer
	decoded int // properties decoded, so the work is observable
}

func (s *server) decode(st *structpb.Struct) error {
	if st == nil {
		return nil
	}
	m, err := propertyrpc.Unmarshal(st)
	s.decoded += m.Len()
	return err
}

func (s *server) Handshake(context.Context, *pulumirpc.AnalyzerHandshakeRequest) (*pulumirpc.AnalyzerHandshakeResponse, error) {
	return &pulumirpc.AnalyzerHandshakeResponse{}, nil
}

func (s *server) ConfigureStack(context.Context, *pulumirpc.AnalyzerStackConfigureRequest) (*pulumirpc.AnalyzerStackConfigureResponse, error) {
	return &pulumirpc.AnalyzerStackConfigureResponse{}, nil
}

func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: "0.0.0"}, nil
}

func (s *server) GetAnalyzerInfo(context.Context, *emptypb.Empty) (*pulumirpc.AnalyzerInfo, error) {
	return &pulumirpc.AnalyzerInfo{Name: "decode-only", Version: "0.0.0", SupportsConfig: true}, nil
}

func (s *server) Configure(context.Context, *pulumirpc.ConfigureAnalyzerRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (s *server) Analyze(_ context.Context, req *pulumirpc.AnalyzeRequest) (*pulumirpc.AnalyzeResponse, error) {
	if err := s.decode(req.GetProperties()); err != nil {
		return nil, err
	}
	if err := s.decode(req.GetProvider().GetProperties()); err != nil {
		return nil, err
	}
	return &pulumirpc.AnalyzeResponse{}, nil
}

func (s *server) AnalyzeStack(_ context.Context, req *pulumirpc.AnalyzeStackRequest) (*pulumirpc.AnalyzeResponse, error) {
	providers := map[string]property.Map{}
	for _, r := range req.GetResources() {
		if err := s.decode(r.GetProperties()); err != nil {
			return nil, err
		}
		p := r.GetProvider()
		if p == nil {
			continue
		}
		if _, ok := providers[p.GetUrn()]; ok {
			continue
		}
		m, err := propertyrpc.Unmarshal(p.GetProperties())
		if err != nil {
			return nil, err
		}
		providers[p.GetUrn()] = m
	}
	return &pulumirpc.AnalyzeResponse{}, nil
}

func main() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "decodeonly:", err)
		os.Exit(1)
	}
	g := grpc.NewServer(grpc.MaxRecvMsgSize(maxMessageSize), grpc.MaxSendMsgSize(maxMessageSize))
	pulumirpc.RegisterAnalyzerServer(g, &server{})
	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)
	if err := g.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, "decodeonly:", err)
		os.Exit(1)
	}
}
