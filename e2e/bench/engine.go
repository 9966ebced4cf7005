package main

import (
	"context"
	"net"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// engineAddr is the address of the harness's stand-in Engine service, passed
// to every analyzer on its command line and in Handshake.
var engineAddr string

// engine is the Engine service analyzers may log to: it accepts and drops
// log messages, as the engine prints them outside the timed path.
type engine struct {
	pulumirpc.UnimplementedEngineServer
	srv  *grpc.Server
	addr string
}

func (e *engine) Log(context.Context, *pulumirpc.LogRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func startEngine() (*engine, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &engine{srv: grpc.NewServer(), addr: lis.Addr().String()}
	pulumirpc.RegisterEngineServer(e.srv, e)
	go func() { _ = e.srv.Serve(lis) }()
	engineAddr = e.addr
	return e, nil
}

func (e *engine) stop() { e.srv.Stop() }
