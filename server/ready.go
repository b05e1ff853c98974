package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"

	"egovpm/internal/apperr"
	"egovpm/internal/platform"
)

// readinessChecks are the names of the /readyz checks, in the order they run.
var readinessChecks = []string{"postgres", "temporal", "search_attributes", "worker"}

// readiness runs the /readyz checks and returns the failed ones (check → 中文 reason) and the
// machine-readable context of the failures (the task queue, the missing search attributes and
// the command that registers them). A worker is live when it polled the task queue within twice
// the Temporal server's long-poll time (TEMPORAL_LONG_POLL_INTERVAL): an idle worker's poll
// waits that long before it is answered and renewed. The search attributes, once found, are
// not listed again.
func (s *Server) readiness(ctx context.Context) (map[string]string, map[string]any) {
	failed, extra := map[string]string{}, map[string]any{}
	if err := s.store.Ping(ctx); err != nil {
		failed["postgres"] = "数据库不可达"
	}
	if _, err := s.temporal.CheckHealth(ctx, nil); err != nil {
		failed["temporal"] = "流程引擎不可达"
		return failed, extra
	}
	if !s.searchAttrsOK.Load() {
		err := platform.CheckSearchAttributes(ctx, s.temporal, s.cfg.TemporalNamespace)
		var missing *platform.MissingSearchAttributesError
		switch {
		case err == nil:
			s.searchAttrsOK.Store(true)
		case errors.As(err, &missing):
			failed["search_attributes"] = fmt.Sprintf("流程引擎命名空间 %s 缺少检索属性 %s：请运行 %s",
				s.cfg.TemporalNamespace, strings.Join(append(missing.Missing, slices.Sorted(maps.Keys(missing.WrongType))...), ", "), platform.SetupCommand)
			extra["missing_search_attributes"] = missing.Missing
			extra["command"] = platform.SetupCommand
		default:
			failed["search_attributes"] = "无法读取流程引擎的检索属性"
		}
	}
	live, err := s.workerLive(ctx)
	switch {
	case err != nil:
		failed["worker"] = fmt.Sprintf("无法读取任务队列 %s 的轮询情况", s.cfg.TaskQueue)
		extra["task_queue"] = s.cfg.TaskQueue
	case !live:
		failed["worker"] = fmt.Sprintf("任务队列 %s 没有工作进程在轮询", s.cfg.TaskQueue)
		extra["task_queue"] = s.cfg.TaskQueue
	}
	return failed, extra
}

// workerLive reports whether a worker polled the workflow task queue within twice the
// long-poll time.
func (s *Server) workerLive(ctx context.Context) (bool, error) {
	resp, err := s.temporal.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     s.cfg.TemporalNamespace,
		TaskQueue:     &taskqueuepb.TaskQueue{Name: s.cfg.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW,
	})
	if err != nil {
		return false, err
	}
	window := 2 * s.cfg.LongPoll
	for _, p := range resp.GetPollers() {
		if t := p.GetLastAccessTime(); t != nil && time.Since(t.AsTime()) < window {
			return true, nil
		}
	}
	return false, nil
}

// readyz answers 503 naming each check that fails (readiness).
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	failed, extra := s.readiness(ctx)
	if len(failed) > 0 {
		e := apperr.New(apperr.KindUnavailable, "not_ready", "依赖服务不可用").WithFields(failed)
		for k, v := range extra {
			e.WithExtra(k, v)
		}
		respondError(c, e)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}
