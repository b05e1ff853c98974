package main

import (
	"sync/atomic"
	"time"

	"go.temporal.io/server/common/dynamicconfig"
)

// dynamicConfig returns the dynamic configuration of the embedded server. This is the one
// place to change it. Every key is referenced through the server's typed setting, so a
// key that does not exist in the pinned server version fails to compile.
//
// Keys that were considered but do not exist in server v1.31.2, and so are not set:
//   - frontend.enableExecuteMultiOperation: multi-operations (update-with-start) are
//     always available in this version.
//   - frontend.enableResetWorkflowExecution...: workflow reset has no feature switch.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// Workflow updates: synchronous updates (frontend.enableUpdateWorkflowExecution)
		// and updates that return once accepted
		// (frontend.enableUpdateWorkflowExecutionAsyncAccepted).
		dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key():              true,
		dynamicconfig.FrontendEnableUpdateWorkflowExecutionAsyncAccepted.Key(): true,

		// system.enableEagerWorkflowStart: a starter that is also a worker gets the first
		// workflow task in the start response.
		dynamicconfig.EnableEagerWorkflowStart.Key(): true,

		// system.enableActivityEagerExecution: a worker may run activities it schedules
		// itself without a round trip through matching.
		dynamicconfig.EnableActivityEagerExecution.Key(): true,

		// history.enableWorkflowExecutionTimeoutTimer: workflow execution timeouts are
		// enforced by a timer task.
		dynamicconfig.EnableWorkflowExecutionTimeoutTimer.Key(): true,

		// history.allowResetWithPendingChildren: workflows with running children can be
		// reset (from the UI or the CLI).
		dynamicconfig.AllowResetWithPendingChildren.Key(): true,

		// matching.numTaskqueueReadPartitions / matching.numTaskqueueWritePartitions: one
		// partition per task queue is enough for one machine and avoids polling four.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,

		// history.hostLevelCacheMaxSize: the workflows whose mutable state the history
		// service keeps in memory (Temporal's default 128000; --history-cache-entries). A
		// province's year of 10,000 projects fits: at 8,192 each member's signal and workflow
		// task reloaded it from the store, in the set-up and the fan-outs alike (§11.1.7).
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): defaultHistoryCache,

		// history.eventsCacheMaxSizeBytes: the shard's events cache (Temporal's default
		// 512 KiB missed 96,927 times in a 10,000-project run, none at 64 MiB;
		// --events-cache-mib).
		dynamicconfig.EventsCacheMaxSizeBytes.Key(): defaultEventsCacheMiB << 20,

		// frontend.namespaceRPS.visibility: the Web UI and tests list workflows often;
		// the default of 10 requests per second is easy to hit.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
	}
}

// defaultHistoryCache and defaultEventsCacheMiB size the history service's caches: the
// mutable states of a 10,000-project year with room to spare, and their recent events. The
// devserver's memory limit follows the first (gc.go).
const (
	defaultHistoryCache   = 32768
	defaultEventsCacheMiB = 64
)

// saCacheRefresh is how long the server's services may serve search attributes from a cache
// loaded before new ones were added (its refresh interval, 60 s in v1.31.2, plus a margin).
const saCacheRefresh = 65 * time.Second

// devConfig is the dynamic configuration: dynamicConfig() plus the one setting that changes
// while the server runs, system.forceSearchAttributesCacheRefreshOnRead. With it on, every
// read of the search attributes (each history page with a search-attribute event, each
// start or upsert) re-reads the cluster metadata from the store, a cost on every decision. It
// is needed only while a search
// attribute added by this process may be missing from a service's cache, so it is on from
// start until the attributes are known to be in every cache: at once when they were in the
// store before the services started, after saCacheRefresh when this run added them.
type devConfig struct {
	static         dynamicconfig.StaticClient
	forceSARefresh atomic.Bool
	// longPoll, when above zero, is matching.longPollExpirationInterval (--long-poll-interval).
	longPoll time.Duration
	// historyCache and eventsCacheBytes, when above zero, are history.hostLevelCacheMaxSize
	// and history.eventsCacheMaxSizeBytes (--history-cache-entries, --events-cache-mib).
	historyCache, eventsCacheBytes int
}

func newDevConfig() *devConfig {
	d := &devConfig{static: dynamicConfig()}
	d.forceSARefresh.Store(true)
	return d
}

// GetValue implements dynamicconfig.Client.
func (d *devConfig) GetValue(key dynamicconfig.Key) []dynamicconfig.ConstrainedValue {
	if key == dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key() {
		return []dynamicconfig.ConstrainedValue{{Value: d.forceSARefresh.Load()}}
	}
	if key == dynamicconfig.MatchingLongPollExpirationInterval.Key() && d.longPoll > 0 {
		return []dynamicconfig.ConstrainedValue{{Value: d.longPoll}}
	}
	if key == dynamicconfig.HistoryCacheHostLevelMaxSize.Key() && d.historyCache > 0 {
		return []dynamicconfig.ConstrainedValue{{Value: d.historyCache}}
	}
	if key == dynamicconfig.EventsCacheMaxSizeBytes.Key() && d.eventsCacheBytes > 0 {
		return []dynamicconfig.ConstrainedValue{{Value: d.eventsCacheBytes}}
	}
	return d.static.GetValue(key)
}

// searchAttributesReady ends the forced refresh: now if added is false (the attributes were
// in the store when the services loaded their caches), else once every cache has refreshed.
func (d *devConfig) searchAttributesReady(added bool) {
	if !added {
		d.forceSARefresh.Store(false)
		return
	}
	time.AfterFunc(saCacheRefresh, func() { d.forceSARefresh.Store(false) })
}
