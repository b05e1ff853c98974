package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Client talks to the gateway over keep-alive connections.
type Client struct {
	Base string
	HTTP *http.Client

	mu     sync.Mutex
	tokens map[string]string
}

// NewClient returns a client for base with up to conns open connections.
func NewClient(base string, conns int) *Client {
	tr := &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute}
	return &Client{Base: base, HTTP: &http.Client{Transport: tr, Timeout: 2 * time.Minute}, tokens: map[string]string{}}
}

// StatusError is a reply with an unexpected status.
type StatusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

// Do sends a JSON request with token (may be empty) and decodes the reply into out (may be
// nil). A status other than want is a *StatusError.
func (c *Client) Do(ctx context.Context, token, method, path string, body any, want int, out any) error {
	return c.DoHeaders(ctx, token, method, path, nil, body, want, out)
}

// DoHeaders is Do with extra request headers (e.g. Idempotency-Key).
func (c *Client) DoHeaders(ctx context.Context, token, method, path string, headers map[string]string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		if len(raw) > 300 {
			raw = raw[:300]
		}
		return &StatusError{Method: method, Path: path, Status: res.StatusCode, Body: string(raw)}
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// Login signs user in and returns a token.
func (c *Client) Login(ctx context.Context, user, password string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	err := c.Do(ctx, "", http.MethodPost, "/api/v1/auth/login", map[string]any{"username": user, "password": password}, http.StatusOK, &out)
	return out.Token, err
}

// Token returns a cached token of user, signing in once.
func (c *Client) Token(ctx context.Context, user, password string) (string, error) {
	c.mu.Lock()
	t, ok := c.tokens[user]
	c.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := c.Login(ctx, user, password)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.tokens[user] = t
	c.mu.Unlock()
	return t, nil
}

// CreateProject creates a draft as token's user and returns its id.
func (c *Client) CreateProject(ctx context.Context, token, name string, year int, fen int64) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := c.Do(ctx, token, http.MethodPost, "/api/v1/projects", map[string]any{
		"name": name, "type": "new", "plan_year": year, "estimated_investment_fen": fen,
		"description": name + "：建设内容说明，含数据共享与安全保障", "mlps_level": 2, "uses_crypto": false,
	}, http.StatusCreated, &out)
	return out.ID, err
}

// Submit submits a draft.
func (c *Client) Submit(ctx context.Context, token, id string) error {
	return c.Do(ctx, token, http.MethodPost, "/api/v1/projects/"+id+"/submit", nil, http.StatusAccepted, nil)
}

// Decide posts a decision on a task.
func (c *Client) Decide(ctx context.Context, token, taskID string, body map[string]any) error {
	return c.Do(ctx, token, http.MethodPost, "/api/v1/tasks/"+taskID+"/decision", body, http.StatusOK, nil)
}

// DecideKey posts a decision with an Idempotency-Key: the gateway makes the key the Temporal
// Update id, so resending the same key after a lost reply returns the first outcome instead
// of applying the decision again.
func (c *Client) DecideKey(ctx context.Context, token, taskID, key string, body map[string]any, out any) error {
	return c.DoHeaders(ctx, token, http.MethodPost, "/api/v1/tasks/"+taskID+"/decision",
		map[string]string{"Idempotency-Key": key}, body, http.StatusOK, out)
}

// Retry repeats fn while it fails with one of statuses (a task not opened yet, a plan that
// has not heard a project's new stage), up to limit.
func Retry(ctx context.Context, limit time.Duration, statuses []int, fn func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := fn()
		se, ok := err.(*StatusError)
		if err == nil || !ok || time.Now().After(deadline) {
			return err
		}
		retry := false
		for _, s := range statuses {
			retry = retry || se.Status == s
		}
		if !retry {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
