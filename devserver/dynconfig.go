package main

import (
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

		// system.forceSearchAttributesCacheRefreshOnRead: search attributes added at
		// start are visible to the very next request instead of after the cache refresh.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,

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

		// history.hostLevelCacheMaxSize: keep the mutable-state cache small (default
		// 128000 entries) for a small machine.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8192,

		// frontend.namespaceRPS.visibility: the Web UI and tests list workflows often;
		// the default of 10 requests per second is easy to hit.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
	}
}
