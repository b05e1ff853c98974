package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"egovpm/internal/apperr"
	"egovpm/internal/domain"
	"egovpm/internal/logging"
	"egovpm/internal/store"
)

const (
	ctxRequestID = "request_id"
	ctxActor     = "actor"
	ctxToken     = "token"
	ctxTask      = "task"
	ctxLogger    = "logger"
)

var (
	errNoRoute      = apperr.New(apperr.KindNotFound, "no_route", "接口不存在")
	errNoMethod     = apperr.New(apperr.KindMethodNotAllowed, "method_not_allowed", "不支持该请求方法")
	errUnauthorized = apperr.Unauthorized("unauthenticated", "请先登录")
	errForbiddenFn  = apperr.Forbidden("forbidden", "无权执行此操作")
	validRequestID  = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
)

// noSniff tells browsers never to guess a response's type from its content (a document, an
// error body): every response of the API carries X-Content-Type-Options: nosniff.
func noSniff() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("X-Content-Type-Options", "nosniff")
		c.Next()
	}
}

// requestID gives every request an id (the client's X-Request-ID when it is sane) and echoes it.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if !validRequestID.MatchString(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestID, id)
		c.Header("X-Request-ID", id)
		c.Next()
	}
}

func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		fields := []zap.Field{
			zap.String("method", c.Request.Method),
			zap.String("path", c.FullPath()),
			zap.Int("status", c.Writer.Status()),
			zap.Duration("latency", time.Since(start)),
			zap.String("request_id", c.GetString(ctxRequestID)),
			zap.String("client_ip", c.ClientIP()),
		}
		fields = append(fields, logging.Trace(c.Request.Context())...)
		if a, ok := actorOf(c); ok {
			fields = append(fields, zap.String("actor", a.ID))
		}
		// 499 (the client went away, respondError) is below 500: info, as every answer that is
		// no server fault.
		if c.Writer.Status() >= 500 {
			s.log.Error("request", fields...)
		} else {
			s.log.Info("request", fields...)
		}
	}
}

// recovery puts the request's logger in the context (ctxLogger: log lines through it add the
// trace fields of the request's context, logging.Ctx) and turns a panic into a logged 500 with the generic message: no input may crash the
// process, and none may leak internals. A panic that aborts a response its client abandoned
// (http.ErrAbortHandler, or any once the request's context is cancelled) is that abandonment:
// 499 at info, no stack.
func (s *Server) recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(ctxLogger, s.log)
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler || errors.Is(c.Request.Context().Err(), context.Canceled) {
					logging.Ctx(c.Request.Context(), s.log).Info("request abandoned by client", zap.Any("panic", r), zap.String("request_id", c.GetString(ctxRequestID)))
					if !c.Writer.Written() {
						c.Status(statusClientClosed)
					}
					c.Abort()
					return
				}
				logging.Ctx(c.Request.Context(), s.log).Error("panic in handler", zap.Any("panic", r), zap.Stack("stack"),
					zap.String("request_id", c.GetString(ctxRequestID)))
				if !c.Writer.Written() {
					respondError(c, apperr.New(apperr.KindInternal, "internal", "服务器内部错误，请稍后重试"))
				}
				c.Abort()
			}
		}()
		c.Next()
	}
}

// authenticate reads the bearer token and puts the actor in the context. With withTask (the
// routes under /tasks/:id) it reads the route's task in the same round trip and puts it in the
// context too, for the handler (taskOf): the decision's hot path then makes one read before
// its Update, not two. The task is only read, never shown, before the actor is known. With
// initialPassword the route admits a user who must still change an initial password.
func (s *Server) authenticate(withTask, initialPassword bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			respondError(c, errUnauthorized)
			c.Abort()
			return
		}
		var actor domain.Actor
		var err error
		if withTask {
			var t store.Task
			actor, t, ok, err = s.auth.AuthenticateTask(c.Request.Context(), token, c.Param("id"))
			if ok {
				c.Set(ctxTask, t)
			} else if err == nil {
				c.Set(ctxTask, store.ErrNotFound) // signed in, no such task: 404 without a third read
			}
		} else if initialPassword {
			actor, _, err = s.auth.AuthenticateSession(c.Request.Context(), token)
		} else {
			actor, err = s.auth.Authenticate(c.Request.Context(), token)
		}
		if err != nil {
			respondError(c, err)
			c.Abort()
			return
		}
		actor.Client = c.ClientIP()
		c.Set(ctxActor, actor)
		c.Set(ctxToken, token)
		c.Next()
	}
}

// taskOf returns the route's task as authenticate read it (or found it missing), else reads it.
func (s *Server) taskOf(c *gin.Context) (store.Task, error) {
	v, _ := c.Get(ctxTask)
	switch v := v.(type) {
	case store.Task:
		return v, nil
	case error:
		return store.Task{}, v
	}
	return s.store.Task(c.Request.Context(), c.Param("id"))
}

// requireRoles is the function-level check of the route table.
func requireRoles(roles []string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if len(roles) == 0 {
			c.Next()
			return
		}
		a, _ := actorOf(c)
		for _, r := range roles {
			if a.Has(r) {
				c.Next()
				return
			}
		}
		respondError(c, errForbiddenFn)
		c.Abort()
	}
}

func actorOf(c *gin.Context) (domain.Actor, bool) {
	v, ok := c.Get(ctxActor)
	if !ok {
		return domain.Actor{}, false
	}
	a, ok := v.(domain.Actor)
	return a, ok
}

// mustActor returns the authenticated actor; routes behind authenticate always have one.
func mustActor(c *gin.Context) domain.Actor {
	a, _ := actorOf(c)
	return a
}

// rateLimit refuses a user's request with 429 when they exceed the decision rate.
func (s *Server) rateLimit() gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, wait := s.decisions.Allow(mustActor(c).ID)
		if !ok {
			secs := int(wait.Seconds()) + 1
			c.Header("Retry-After", strconv.Itoa(secs))
			respondError(c, apperr.New(apperr.KindRateLimited, "rate_limited", "操作过于频繁，请稍后再试").WithExtra("retry_after_seconds", secs))
			c.Abort()
			return
		}
		c.Next()
	}
}

// idempotencyKeyHeader refuses a malformed Idempotency-Key on every route (400
// bad_idempotency_key) before any handler turns it into an id: an overlong or non-ASCII key
// would reach Temporal as an Update id and fail there.
func idempotencyKeyHeader() gin.HandlerFunc {
	return func(c *gin.Context) {
		if k, ok := c.Request.Header["Idempotency-Key"]; ok && (len(k) != 1 || !validIdemKey.MatchString(k[0])) {
			respondError(c, apperr.BadRequest("bad_idempotency_key", "Idempotency-Key 须为 1–128 位字母、数字或 ._:-"))
			c.Abort()
			return
		}
		c.Next()
	}
}

// saneURL refuses a path or query with NUL or invalid UTF-8 (400): such bytes cannot be stored
// or compared in PostgreSQL text.
func saneURL() gin.HandlerFunc {
	return func(c *gin.Context) {
		bad := func(s string) bool { return strings.ContainsRune(s, 0) || !utf8.ValidString(s) }
		if bad(c.Request.URL.Path) {
			respondError(c, apperr.BadRequest("bad_url", "请求路径包含非法字符"))
			c.Abort()
			return
		}
		for k, vs := range c.Request.URL.Query() {
			for _, v := range vs {
				if bad(k) || bad(v) {
					respondError(c, apperr.Invalid(map[string]string{k: "包含非法字符"}))
					c.Abort()
					return
				}
			}
		}
		c.Next()
	}
}
