// Package hotpath holds the Go benchmarks of the pack's hot paths over the
// generated estate (e2e/estate): the model's grant and label views, the
// evaluator (Pack.Analyze and Pack.AnalyzeStack, the whole catalog) and the
// analyzer server's handlers. They live in the e2e module with the
// generator, so the pack's own module ships neither. Run with
//
//	go -C e2e test ./hotpath -run '^$' -bench . -benchmem
//
// They run only when -bench is given; -benchtime=1x makes a smoke run.
package hotpath
