package app

import (
	"sync"
	"time"
)

// Limiter is a fixed-window counter per key (IP, or IP and email): at most Max
// events per Window. It guards the login form and, later, public forms. State is
// per process; with several web processes each enforces its own window, which
// still bounds an attacker to Max × processes.
type Limiter struct {
	Max    int
	Window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	start time.Time
	count int
}

// NewLimiter builds a limiter with the clock now.
func NewLimiter(max int, per time.Duration, now func() time.Time) *Limiter {
	return &Limiter{Max: max, Window: per, now: now, windows: map[string]*window{}}
}

// Allow counts one event for key and reports whether it is within the limit, and
// if not, how long until the window resets.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.windows) > 100_000 {
		for k, w := range l.windows { // drop expired windows so memory stays bounded
			if now.Sub(w.start) >= l.Window {
				delete(l.windows, k)
			}
		}
	}
	w, ok := l.windows[key]
	if !ok || now.Sub(w.start) >= l.Window {
		w = &window{start: now}
		l.windows[key] = w
	}
	w.count++
	if w.count > l.Max {
		return false, w.start.Add(l.Window).Sub(now)
	}
	return true, 0
}

// Reset forgets a key (after a successful login).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.windows, key)
	l.mu.Unlock()
}
