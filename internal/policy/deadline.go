package policy

import (
	"sync"
	"sync/atomic"
	"time"
)

// deadlines expires the evaluations in flight whose time is up. One timer
// serves every call, armed for the earliest deadline: a timer per call costs
// more than a whole policy (it is inserted into and removed from the
// runtime's timer heap while the caller waits on it, often waking another
// thread). Few evaluations are ever in flight at once (the engine waits for
// each answer), so a slice is enough.
var deadlines watchdog

type watchdog struct {
	mu       sync.Mutex
	inFlight []*evaluation
	timer    *time.Timer
	armedFor time.Time // zero when the timer is not armed
}

// add watches e until remove; e.expires must be set.
func (w *watchdog) add(e *evaluation) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inFlight = append(w.inFlight, e)
	if w.armedFor.IsZero() || e.expires.Before(w.armedFor) {
		w.arm(e.expires)
	}
}

// remove stops watching e. The timer stays armed: when it fires it finds
// the next deadline, if any.
func (w *watchdog) remove(e *evaluation) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, f := range w.inFlight {
		if f == e {
			last := len(w.inFlight) - 1
			w.inFlight[i] = w.inFlight[last]
			w.inFlight[last] = nil
			w.inFlight = w.inFlight[:last]
			return
		}
	}
}

// arm makes the timer fire at t. Called with w.mu held.
func (w *watchdog) arm(t time.Time) {
	w.armedFor = t
	d := time.Until(t)
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.fire)
		return
	}
	w.timer.Reset(d)
}

// fire expires every evaluation whose deadline has passed and re-arms the
// timer for the earliest one left.
func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	var next time.Time
	for _, e := range w.inFlight {
		if !e.expires.After(now) {
			if e.state.CompareAndSwap(running, expired) {
				close(e.wake)
			}
			continue
		}
		if next.IsZero() || e.expires.Before(next) {
			next = e.expires
		}
	}
	w.armedFor = time.Time{}
	if !next.IsZero() {
		w.arm(next)
	}
}

// workers runs bounded evaluations. A worker goroutine that finished one
// waits for the next instead of exiting: a fresh goroutine's stack has to
// grow (and be copied) to the depth the policies need on every call, which
// costs more than most policies. A worker stuck in a blocked policy is
// simply not idle; new ones start as needed.
var workers = workerPool{queue: make(chan *evaluation)}

// maxIdleWorkers bounds the goroutines kept waiting for work.
const maxIdleWorkers = 8

type workerPool struct {
	idle  atomic.Int32
	queue chan *evaluation // unbuffered: a send succeeds only to an idle worker
}

// start runs e.work on an idle worker, or on a new one.
func (wp *workerPool) start(e *evaluation) {
	select {
	case wp.queue <- e:
	default:
		go wp.serve(e)
	}
}

func (wp *workerPool) serve(e *evaluation) {
	for {
		e.work()
		e = nil // keep nothing of a finished evaluation alive while idle
		if wp.idle.Add(1) > maxIdleWorkers {
			wp.idle.Add(-1)
			return
		}
		e = <-wp.queue
		wp.idle.Add(-1)
	}
}
