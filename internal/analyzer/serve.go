package analyzer

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxMessageSize matches the Node and Python SDKs: stacks can be large.
const maxMessageSize = 400 << 20

// Serve listens on a loopback port, prints it as the first line of stdout
// (the engine reads nothing else first) and serves until the engine kills
// the process or ctx ends.
func Serve(ctx context.Context, srv *Server, stdout, stderr io.Writer) error {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	g := grpc.NewServer(
		grpc.MaxRecvMsgSize(maxMessageSize),
		grpc.MaxSendMsgSize(maxMessageSize),
		grpc.ChainUnaryInterceptor(recoverInterceptor(srv, stderr)),
		// Long-lived goroutines for requests: a fresh goroutine per call
		// grows its stack again through the request's nested decoding, which
		// costs as much as most policies.
		grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))),
	)
	pulumirpc.RegisterAnalyzerServer(g, srv)
	if _, err := fmt.Fprintf(stdout, "%d\n", lis.Addr().(*net.TCPAddr).Port); err != nil {
		return err
	}
	if f, ok := stdout.(*os.File); ok {
		_ = f.Sync()
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		g.Stop()
	}()
	return g.Serve(lis)
}

// recoverInterceptor keeps a panic outside the evaluator's own recovery (in
// conversion, say) from killing the process, which would abort the
// deployment without a word.
// Analysis calls fail closed with a mandatory violation rather than a gRPC
// error; the panic value is not printed, as it may hold resource data.
func recoverInterceptor(srv *Server, stderr io.Writer) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			fmt.Fprintf(stderr, "dataflow-guardrails: internal error (%T) in %s\n%s", rec, info.FullMethod, debug.Stack())
			switch r := req.(type) {
			case *pulumirpc.AnalyzeRequest:
				if info.FullMethod == pulumirpc.Analyzer_Remediate_FullMethodName {
					resp, err = &pulumirpc.RemediateResponse{}, nil
					return
				}
				resp, err = &pulumirpc.AnalyzeResponse{Diagnostics: srv.internalError(r.GetType(), r.GetUrn())}, nil
			case *pulumirpc.AnalyzeStackRequest:
				resp, err = &pulumirpc.AnalyzeResponse{Diagnostics: srv.internalError("", "")}, nil
			default:
				err = status.Errorf(codes.Internal, "dataflow-guardrails: internal error in %s", info.FullMethod)
			}
		}()
		return handler(ctx, req)
	}
}
