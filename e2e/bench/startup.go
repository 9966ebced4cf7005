package main

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// startupResult is several launches of one analyzer up to Configure
// answered, with nothing analyzed: what every `pulumi preview` pays first.
type startupResult struct {
	Variant     string
	Name        string
	Runs        int
	PortMedian  time.Duration
	ReadyMedian time.Duration
	ReadyMin    time.Duration
	ReadyMax    time.Duration
	Err         error
}

func measureStartup(ctx context.Context, v variant, runs int) startupResult {
	res := startupResult{Variant: v.key, Name: v.name, Runs: runs}
	var ports, readies []time.Duration
	for i := 0; i < runs; i++ {
		port, ready, err := startOnce(ctx, v)
		if err != nil {
			res.Err = err
			return res
		}
		ports, readies = append(ports, port), append(readies, ready)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	sort.Slice(readies, func(i, j int) bool { return readies[i] < readies[j] })
	res.PortMedian, res.ReadyMedian = percentile(ports, 0.5), percentile(readies, 0.5)
	res.ReadyMin, res.ReadyMax = readies[0], readies[len(readies)-1]
	return res
}

func startOnce(ctx context.Context, v variant) (port, ready time.Duration, err error) {
	p, err := launch(v.command())
	if err != nil {
		return 0, 0, err
	}
	defer p.stop()
	client, conn, err := dial(p.port)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, _, err := configure(cctx, client, v); err != nil {
		return 0, 0, fmt.Errorf("configure: %w%s", err, p.stderrTail())
	}
	return p.portAt, time.Since(p.start), nil
}
