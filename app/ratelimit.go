package app

import (
	"context"
	"sync"
	"time"
)

// Counter counts events per key in fixed windows. The sign-in guard keeps its
// failure counts in one. MemoryCounter is the only implementation today, so
// each web process counts on its own; a database table can implement the same
// methods (an upsert returning the count) when several processes must share
// their limits.
type Counter interface {
	// Add counts one event for key and returns the key's count in its current
	// window, this event included, and how long until that window ends.
	Add(ctx context.Context, key string) (n int, resetIn time.Duration, err error)
	// Undo takes back one event counted by Add (an attempt that turned out not
	// to count), never going below zero.
	Undo(ctx context.Context, key string) error
	// Reset forgets key.
	Reset(ctx context.Context, key string) error
}

// MemoryCounter is a Counter in this process's memory, with one window length
// for every key.
type MemoryCounter struct {
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	start time.Time
	count int
}

// NewMemoryCounter builds a counter whose windows last per, on the clock now.
func NewMemoryCounter(per time.Duration, now func() time.Time) *MemoryCounter {
	return &MemoryCounter{window: per, now: now, windows: map[string]*window{}}
}

// Add implements Counter.
func (m *MemoryCounter) Add(_ context.Context, key string) (int, time.Duration, error) {
	n, reset := m.add(key)
	return n, reset, nil
}

func (m *MemoryCounter) add(key string) (int, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if len(m.windows) > 100_000 {
		for k, w := range m.windows { // drop expired windows so memory stays bounded
			if now.Sub(w.start) >= m.window {
				delete(m.windows, k)
			}
		}
	}
	w, ok := m.windows[key]
	if !ok || now.Sub(w.start) >= m.window {
		w = &window{start: now}
		m.windows[key] = w
	}
	w.count++
	return w.count, w.start.Add(m.window).Sub(now)
}

// Undo implements Counter.
func (m *MemoryCounter) Undo(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w, ok := m.windows[key]; ok && w.count > 0 {
		w.count--
	}
	return nil
}

// Reset implements Counter.
func (m *MemoryCounter) Reset(_ context.Context, key string) error {
	m.mu.Lock()
	delete(m.windows, key)
	m.mu.Unlock()
	return nil
}

// Limiter allows at most Max events per Window per key (an IP), counting every
// event. It guards public forms. State is per process; with several web
// processes each enforces its own window, which still bounds a client to
// Max × processes.
type Limiter struct {
	Max    int
	Window time.Duration
	counts *MemoryCounter
}

// NewLimiter builds a limiter with the clock now.
func NewLimiter(max int, per time.Duration, now func() time.Time) *Limiter {
	return &Limiter{Max: max, Window: per, counts: NewMemoryCounter(per, now)}
}

// Allow counts one event for key and reports whether it is within the limit, and
// if not, how long until the window resets.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	n, reset := l.counts.add(key)
	if n > l.Max {
		return false, reset
	}
	return true, 0
}
