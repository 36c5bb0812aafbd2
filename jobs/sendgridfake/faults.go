package sendgridfake

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Fault is one misbehaviour of the API. A fault with a Status answers with that
// status and never records the request as accepted; a fault with only a Delay is a
// slow success (accepted after the delay, unless the client gave up first).
type Fault struct {
	// Status is the HTTP status to answer with (429, 500, 503…); 0 for none.
	Status int
	// Delay holds the answer back this long, or until the client disconnects.
	Delay time.Duration
	// Message replaces the default error message in the body.
	Message string

	// RateLimitHeaders adds X-RateLimit-Limit, X-RateLimit-Remaining: 0 and
	// X-RateLimit-Reset to a 429. Real /v3/mail/send sends none of them (other
	// SendGrid endpoints do), so they are off by default: a client must cope with a
	// bare 429.
	RateLimitHeaders bool
	// RateLimitLimit is the X-RateLimit-Limit value; 0 means 600.
	RateLimitLimit int
	// ResetIn sets X-RateLimit-Reset to now+ResetIn in Unix seconds (rounded up);
	// 0 means one second, a negative value gives a reset already past.
	ResetIn time.Duration
	// RetryAfter, when positive, adds a Retry-After header in whole seconds.
	RetryAfter time.Duration
}

// TooManyRequests is a bare 429, as /v3/mail/send really answers.
func TooManyRequests() Fault { return Fault{Status: http.StatusTooManyRequests} }

// ServerError is a 5xx answer with the given status (500, 502, 503…).
func ServerError(status int) Fault { return Fault{Status: status} }

// RateLimited is a 429 with rate-limit headers whose reset is resetIn from now.
func RateLimited(resetIn time.Duration) Fault {
	return Fault{Status: http.StatusTooManyRequests, RateLimitHeaders: true, ResetIn: resetIn}
}

// Slow is a success answered after delay.
func Slow(delay time.Duration) Fault { return Fault{Delay: delay} }

// faults is the fault configuration, guarded by Server.mu.
type faults struct {
	script []Fault    // consumed one per request, before any random fault
	rate   float64    // probability of randomFault per request
	random Fault      // the fault drawn with probability rate
	rng    *rand.Rand // seeded, so a failing run can be replayed
	always *Fault     // applied to every request once the script is empty
}

// Script queues faults: each authenticated request to the send route takes the
// next one, in order. An entry with the zero Fault lets that request through
// untouched, so Script(TooManyRequests(), Fault{}, ServerError(500)) fails the first
// and third requests only. Calling Script again appends.
func (s *Server) Script(fs ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.script = append(s.faults.script, fs...)
}

// SetFaultRate makes each request (once the script is exhausted) fail with f with
// probability p, drawn from an RNG seeded with seed so a run can be reproduced.
// p = 0 turns random faults off.
func (s *Server) SetFaultRate(p float64, seed uint64, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rate, s.faults.random = p, f
	s.faults.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// SetFault applies f to every request once the script is exhausted (e.g. a
// permanent Slow(time.Minute) to test timeouts). The zero Fault clears it.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == (Fault{}) {
		s.faults.always = nil
		return
	}
	s.faults.always = &f
}

// ClearFaults removes the script, the random rate and the standing fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = faults{}
}

// nextFault decides this request's fault.
func (s *Server) nextFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := &s.faults
	if len(fs.script) > 0 {
		f := fs.script[0]
		fs.script = fs.script[1:]
		return f, f != (Fault{})
	}
	if fs.always != nil {
		return *fs.always, true
	}
	if fs.rate > 0 && fs.rng != nil && fs.rng.Float64() < fs.rate {
		return fs.random, true
	}
	return Fault{}, false
}

// writeFault answers with f's status and headers, in SendGrid's error shape.
func (s *Server) writeFault(w http.ResponseWriter, f Fault) {
	msg := f.Message
	if msg == "" {
		switch {
		case f.Status == http.StatusTooManyRequests:
			msg = "too many requests"
		case f.Status >= 500:
			msg = "internal error"
		default:
			msg = http.StatusText(f.Status)
		}
	}
	h := w.Header()
	if f.Status == http.StatusTooManyRequests && f.RateLimitHeaders {
		limit := f.RateLimitLimit
		if limit == 0 {
			limit = 600
		}
		in := f.ResetIn
		if in == 0 {
			in = time.Second
		}
		reset := s.clock().Add(in)
		sec := reset.Unix()
		if reset.Nanosecond() > 0 {
			sec++ // round up: the client must not come back before the reset
		}
		h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", strconv.FormatInt(sec, 10))
	}
	if f.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	writeErrors(w, f.Status, APIError{Message: msg})
}
