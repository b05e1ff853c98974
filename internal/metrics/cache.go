package metrics

import (
	"encoding/binary"
	"sync"

	"go.temporal.io/sdk/client"
)

// cachedHandler wraps the SDK's tally handler so that a metric is looked up once per (tag set,
// name): the SDK asks for its handlers and metrics again on every request and workflow task,
// and each tally lookup sanitizes the name and tags, appends _total/_seconds and allocates
// (docs/PERFORMANCE.md §10.1, issue 21 item 2). The children of a handler are keyed by the tags
// given to WithTags, sorted, so a map's iteration order does not matter; the cache holds as many
// entries as the SDK has tag sets and names (namespace, task queue, workflow, activity and
// operation names), the set tally's own registry keeps anyway. Safe for concurrent use.
type cachedHandler struct {
	inner    client.MetricsHandler
	mu       sync.RWMutex
	children map[string]*cachedHandler
	counters map[string]client.MetricsCounter
	gauges   map[string]client.MetricsGauge
	timers   map[string]client.MetricsTimer
}

func newCachedHandler(inner client.MetricsHandler) *cachedHandler {
	return &cachedHandler{
		inner:    inner,
		children: map[string]*cachedHandler{},
		counters: map[string]client.MetricsCounter{},
		gauges:   map[string]client.MetricsGauge{},
		timers:   map[string]client.MetricsTimer{},
	}
}

// Unwrap returns the wrapped handler (the SDK's contrib/tally.ScopeFromHandler unwraps).
func (h *cachedHandler) Unwrap() client.MetricsHandler { return h.inner }

// WithTags returns the one child handler for these tags.
func (h *cachedHandler) WithTags(tags map[string]string) client.MetricsHandler {
	var buf [128]byte
	key := tagsKey(buf[:0], tags)
	h.mu.RLock()
	c := h.children[string(key)] // no allocation: the compiler looks up without converting
	h.mu.RUnlock()
	if c != nil {
		return c
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if c = h.children[string(key)]; c == nil {
		c = newCachedHandler(h.inner.WithTags(tags))
		h.children[string(key)] = c
	}
	return c
}

// Counter returns the one counter of this name.
func (h *cachedHandler) Counter(name string) client.MetricsCounter {
	return lookup(&h.mu, h.counters, name, h.inner.Counter)
}

// Gauge returns the one gauge of this name.
func (h *cachedHandler) Gauge(name string) client.MetricsGauge {
	return lookup(&h.mu, h.gauges, name, h.inner.Gauge)
}

// Timer returns the one timer of this name.
func (h *cachedHandler) Timer(name string) client.MetricsTimer {
	return lookup(&h.mu, h.timers, name, h.inner.Timer)
}

func lookup[M any](mu *sync.RWMutex, m map[string]M, name string, create func(string) M) M {
	mu.RLock()
	v, ok := m[name]
	mu.RUnlock()
	if ok {
		return v
	}
	mu.Lock()
	defer mu.Unlock()
	if v, ok = m[name]; !ok {
		v = create(name)
		m[name] = v
	}
	return v
}

// tagsKey appends the tags to b sorted by key, each key and value prefixed by its length (so
// no separator can be confused with a tag's text). The map is read once: its pairs are sorted
// by an insertion sort as they come (the SDK's tag sets have one to four tags; past six
// the pairs spill to the heap, which is correct, only slower).
func tagsKey(b []byte, tags map[string]string) []byte {
	var small [6][2]string
	kv := small[:0]
	for k, v := range tags {
		kv = append(kv, [2]string{k, v})
		for i := len(kv) - 1; i > 0 && kv[i-1][0] > kv[i][0]; i-- {
			kv[i-1], kv[i] = kv[i], kv[i-1]
		}
	}
	for _, p := range kv {
		b = appendString(b, p[0])
		b = appendString(b, p[1])
	}
	return b
}

// appendString appends s to b after its length (one byte below 128, else a uvarint).
func appendString(b []byte, s string) []byte {
	if len(s) < 0x80 {
		b = append(b, byte(len(s)))
	} else {
		b = binary.AppendUvarint(b, uint64(len(s)))
	}
	return append(b, s...)
}
