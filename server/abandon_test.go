package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"egovpm/internal/auth"
	"egovpm/internal/config"
	"egovpm/internal/seed"
	"egovpm/internal/testdb"
)

// TestClientAbandonIsLogged499AtInfo (issue 15 item 19): a request whose client went away
// while it ran (its context cancelled) is answered and logged as 499 at info level, with no
// error-level line and no stack trace: a 500 in the log always means a server fault. A
// handler panic stays a logged 500 with its stack.
func TestClientAbandonIsLogged499AtInfo(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, config.DefaultDemoPassword))
	core, logs := observer.New(zapcore.DebugLevel)
	s := &Server{store: st, log: zap.New(core), now: time.Now, decisions: auth.NewLimiter(time.Millisecond, 1000, nil),
		auth: auth.NewService(st, auth.Options{Secret: config.DefaultTokenSecret})}
	s.engine = s.routes()
	login, err := s.auth.Login(ctx, auth.LoginInput{Username: "drb1", Password: config.DefaultDemoPassword, ClientIP: "127.0.0.1"})
	require.NoError(t, err)

	for _, path := range []string{"/api/v1/projects", "/api/v1/tasks", "/api/v1/me"} {
		logs.TakeAll()
		gone, cancel := context.WithCancel(ctx)
		cancel() // the client has gone before the gateway reads the database
		req := httptest.NewRequest(http.MethodGet, path, nil).WithContext(gone)
		req.Header.Set("Authorization", "Bearer "+login.Token)
		w := httptest.NewRecorder()
		s.engine.ServeHTTP(w, req)
		require.Equal(t, 499, w.Code, "%s: %s", path, w.Body)
		require.Contains(t, w.Body.String(), `"client_closed_request"`)
		var access []observer.LoggedEntry
		for _, e := range logs.All() {
			require.Less(t, e.Level, zapcore.WarnLevel, "%s: %s %v", path, e.Message, e.ContextMap())
			require.NotContains(t, e.ContextMap(), "stack", "%s: no stack trace", path)
			if e.Message == "request" {
				access = append(access, e)
			}
		}
		require.Len(t, access, 1, path)
		require.EqualValues(t, 499, access[0].ContextMap()["status"], path)
	}

	// A panic is a server fault: 500 at error level with its stack.
	logs.TakeAll()
	e := gin.New()
	e.Use(s.accessLog(), s.recovery())
	e.GET("/boom", func(*gin.Context) { panic("boom") })
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/boom", nil))
	require.Equal(t, http.StatusInternalServerError, w.Code)
	panics := logs.FilterMessage("panic in handler").All()
	require.Len(t, panics, 1)
	require.Equal(t, zapcore.ErrorLevel, panics[0].Level)
	require.Contains(t, panics[0].ContextMap(), "stack")
	require.Equal(t, zapcore.ErrorLevel, logs.FilterMessage("request").All()[0].Level)

	// A panic after the client went away is its abandonment, not a fault (http.ErrAbortHandler
	// is net/http's own way to abort a response).
	logs.TakeAll()
	e.GET("/abort", func(*gin.Context) { panic(http.ErrAbortHandler) })
	w = httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/abort", nil))
	for _, l := range logs.All() {
		require.Less(t, l.Level, zapcore.WarnLevel, "%s %v", l.Message, l.ContextMap())
		require.NotContains(t, l.ContextMap(), "stack")
	}
	require.EqualValues(t, 499, logs.FilterMessage("request").All()[0].ContextMap()["status"])
}
