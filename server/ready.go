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
	"egovpm/workflows"
)

// readinessChecks are the names of the /readyz checks, in the order they run.
var readinessChecks = []string{"postgres", "temporal", "search_attributes", "worker", "similarity"}

// readiness runs the /readyz checks and returns the failed ones (check → 中文 reason) and the
// machine-readable context of the failures (the task queue, the missing search attributes and
// the command that registers them). A worker is live when it polled the task queue within twice
// the Temporal server's long-poll time (TEMPORAL_LONG_POLL_INTERVAL): an idle worker's poll
// waits that long before it is answered and renewed. The search attributes, once found, are
// not listed again. The similarity check is the same for the similarity queue
// (workflows.SimilarityQueue), whose activity pollers every worker runs beside the task
// queue's (worker/setup): without them a submission's R16 similarity check waits, and the
// project with it, while the task queue looks served.
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
	for _, q := range []struct{ check, queue string }{{"worker", s.cfg.TaskQueue}, {"similarity", workflows.SimilarityQueue(s.cfg.TaskQueue)}} {
		typ := enumspb.TASK_QUEUE_TYPE_WORKFLOW
		if q.check == "similarity" {
			typ = enumspb.TASK_QUEUE_TYPE_ACTIVITY
		}
		live, err := s.pollerLive(ctx, q.queue, typ)
		switch {
		case err != nil:
			failed[q.check] = fmt.Sprintf("无法读取任务队列 %s 的轮询情况", q.queue)
		case !live:
			failed[q.check] = fmt.Sprintf("任务队列 %s 没有工作进程在轮询", q.queue)
		default:
			continue
		}
		if _, ok := extra["task_queue"]; !ok { // the first queue not served
			extra["task_queue"] = q.queue
		}
	}
	return failed, extra
}

// pollerLive reports whether a worker polled queue (its workflow or activity tasks, typ)
// within twice the long-poll time.
func (s *Server) pollerLive(ctx context.Context, queue string, typ enumspb.TaskQueueType) (bool, error) {
	resp, err := s.temporal.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     s.cfg.TemporalNamespace,
		TaskQueue:     &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		TaskQueueType: typ,
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
