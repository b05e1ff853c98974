package auth

import (
	"math"
	"sync"
	"time"
)

// Limiter is an in-memory token-bucket rate limiter keyed by string (a username and client
// IP, a user id). Each key may spend burst requests at once and regains one every interval.
// It is per process: with several gateway replicas each enforces its own budget, which the
// account lockout (kept in PostgreSQL) backs up.
type Limiter struct {
	mu       sync.Mutex
	every    time.Duration
	burst    float64
	now      func() time.Time
	buckets  map[string]*bucket
	maxKeys  int
	lastTidy time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns a Limiter that allows burst requests per key and refills one every
// interval. now is the clock; nil means time.Now.
func NewLimiter(every time.Duration, burst int, now func() time.Time) *Limiter {
	if every <= 0 {
		every = time.Second
	}
	if burst < 1 {
		burst = 1
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{every: every, burst: float64(burst), now: now, buckets: map[string]*bucket{}, maxKeys: 100_000}
}

// Allow spends one request of key. When the key is out of budget it returns false and how
// long until the next request would be allowed.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.tidy(now)
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+float64(elapsed)/float64(l.every))
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) * float64(l.every))
	return false, wait
}

// Until says how long until key may spend a request (0: now), spending nothing.
func (l *Limiter) Until(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return 0
	}
	tokens := b.tokens
	if elapsed := l.now().Sub(b.at); elapsed > 0 {
		tokens += float64(elapsed) / float64(l.every)
	}
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) * float64(l.every))
}

// tidy drops full buckets (they behave exactly like absent ones) once a minute, and when the
// map is at its cap, so that many distinct keys cannot grow memory without bound.
func (l *Limiter) tidy(now time.Time) {
	if len(l.buckets) < l.maxKeys && now.Sub(l.lastTidy) < time.Minute {
		return
	}
	l.lastTidy = now
	full := time.Duration(l.burst * float64(l.every))
	for k, b := range l.buckets {
		if now.Sub(b.at) >= full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.maxKeys {
		// Still full of active keys: start over rather than grow. This forgives some
		// clients early; the database lockout still holds.
		l.buckets = map[string]*bucket{}
	}
}
