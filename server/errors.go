package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"egovpm/internal/apperr"
	"egovpm/internal/domain"
	"egovpm/internal/logging"
	"egovpm/internal/store"
	"egovpm/internal/text"
)

// maxJSONBody caps JSON request bodies (uploads have their own limit).
const maxJSONBody = 1 << 20

var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name := strings.SplitN(f.Tag.Get("json"), ",", 2)[0]
		if name == "-" {
			return ""
		}
		return name
	})
	// The one rule for required texts (issue 15): "nonblank" refuses a string that is only
	// white space or invisible characters (text.Blank); "name" refuses a name that holds a
	// control, format (bidi override, zero-width) or other hidden character (text.Hidden).
	// Both pass an empty string, which "required" or "omitempty" decide.
	must(v.RegisterValidation("nonblank", func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		return s == "" || !text.Blank(s)
	}))
	must(v.RegisterValidation("name", func(fl validator.FieldLevel) bool {
		return text.NameProblem(fl.Field().String()) != "hidden"
	}))
	return v
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// errorBody is the one error shape of DESIGN.md.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	Extra     map[string]any    `json:"extra,omitempty"`
	RequestID string            `json:"request_id"`
}

// statusClientClosed is the status of a request whose client went away before its answer
// (nginx's 499): logged, never sent (no one reads it), and no server fault.
const statusClientClosed = 499

// httpStatus is the HTTP status of each kind of error: the one place the gateway's statuses
// are chosen.
var httpStatus = map[apperr.Kind]int{
	apperr.KindInvalid:          http.StatusBadRequest,
	apperr.KindUnauthenticated:  http.StatusUnauthorized,
	apperr.KindForbidden:        http.StatusForbidden,
	apperr.KindNotFound:         http.StatusNotFound,
	apperr.KindMethodNotAllowed: http.StatusMethodNotAllowed,
	apperr.KindConflict:         http.StatusConflict,
	apperr.KindTooLarge:         http.StatusRequestEntityTooLarge,
	apperr.KindUnsupported:      http.StatusUnsupportedMediaType,
	apperr.KindRule:             http.StatusUnprocessableEntity,
	apperr.KindRateLimited:      http.StatusTooManyRequests,
	apperr.KindClientClosed:     statusClientClosed,
	apperr.KindInternal:         http.StatusInternalServerError,
	apperr.KindNotImplemented:   http.StatusNotImplemented,
	apperr.KindUnavailable:      http.StatusServiceUnavailable,
}

// statusOf is the HTTP status of e (500 for a kind without one).
func statusOf(e *apperr.Error) int {
	if st, ok := httpStatus[e.Kind]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// errClientClosed answers a request its client abandoned.
var errClientClosed = apperr.New(apperr.KindClientClosed, "client_closed_request", "客户端已断开连接，请求未完成")

// respondError writes err with the one mapping: an apperr.Error (a workflow's refusal
// included) by its kind (httpStatus), not-found store errors as 404, the failure of a request
// its client abandoned (its context cancelled) as 499 logged at info, anything else as a 500
// logged at error level with a generic message: a 500 in the log is always a server fault.
func respondError(c *gin.Context, err error) {
	e := classify(err)
	status := statusOf(e)
	if status >= 500 && abandoned(c, err) {
		e, status = errClientClosed, statusClientClosed
	}
	c.Set(ctxErrorCode, e.Code)
	if l, ok := c.Get(ctxLogger); ok {
		l := logging.Ctx(c.Request.Context(), l.(*zap.Logger))
		switch {
		case status == statusClientClosed:
			l.Info("request abandoned by client", zap.String("error", err.Error()), zap.String("request_id", c.GetString(ctxRequestID)))
		case status >= 500:
			l.Error("request failed", zap.Error(err), zap.String("request_id", c.GetString(ctxRequestID)))
		}
	}
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{
		Code: e.Code, Message: e.Message, Fields: e.Fields, Extra: e.Extra, RequestID: c.GetString(ctxRequestID),
	}})
}

// abandoned reports whether err is the cancellation that c's client caused by going away
// (its request context is cancelled): the context's own error, the database's cancelled
// statement (store.IsCanceled) or Temporal's Canceled. A server fault that merely coincides
// with the client leaving is not.
func abandoned(c *gin.Context, err error) bool {
	if !errors.Is(c.Request.Context().Err(), context.Canceled) {
		return false
	}
	var cancelled *serviceerror.Canceled
	return errors.Is(err, context.Canceled) || store.IsCanceled(err) || errors.As(err, &cancelled)
}

func classify(err error) *apperr.Error {
	if e, ok := apperr.As(err); ok {
		return e
	}
	if errors.Is(err, context.Canceled) {
		// Only a client that goes away cancels a request's context (server-side limits are
		// deadlines).
		return errClientClosed
	}
	if r, ok := domain.AsRefusal(err); ok {
		return r
	}
	if store.IsBadValue(err) {
		return apperr.BadRequest("invalid_value", "请求中的值无法保存（编码或范围不合法）")
	}
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("记录")
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return apperr.Conflict("workflow_not_running", "该流程当前不接受此操作")
	}
	var exists *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &exists) {
		return apperr.Conflict("already_started", "流程已启动")
	}
	// An Update the gateway gave up waiting for: the SDK wraps the gRPC status (deadline
	// exceeded), which is no context.DeadlineExceeded (a 1,000-project compile past the 30 s
	// limit answered 500, issue 20).
	var updateWait *client.WorkflowUpdateServiceTimeoutOrCanceledError
	var deadline *serviceerror.DeadlineExceeded
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &updateWait) || errors.As(err, &deadline) {
		return apperr.New(apperr.KindUnavailable, "temporal_timeout", "流程引擎未在时限内答复，请稍后查看结果或重试（带相同 Idempotency-Key 重试不会重复执行）")
	}
	var unavailable *serviceerror.Unavailable
	if errors.As(err, &unavailable) {
		return apperr.New(apperr.KindUnavailable, "temporal_unavailable", "流程引擎暂不可用，请稍后重试")
	}
	if store.IsUnavailable(err) {
		return apperr.New(apperr.KindUnavailable, "database_unavailable",
			"数据库暂不可用，请稍后重试（带相同 Idempotency-Key 重试不会重复执行）")
	}
	return apperr.New(apperr.KindInternal, "internal", "服务器内部错误，请稍后重试")
}

// bindJSON decodes a JSON body strictly (unknown fields are rejected: no mass assignment) and
// validates it. It returns an *apperr.Error describing what is wrong.
func bindJSON(c *gin.Context, dst any) error {
	if ct := c.ContentType(); ct != "application/json" && ct != "" {
		return apperr.New(apperr.KindUnsupported, "unsupported_media_type", "请求体必须是 JSON")
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxJSONBody+1))
	if err != nil {
		return apperr.BadRequest("bad_body", "请求体读取失败")
	}
	if len(body) > maxJSONBody {
		return apperr.TooLarge("请求体过大")
	}
	if err := checkJSONText(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return apperr.BadRequest("bad_json", "请求体只能包含一个 JSON 对象")
	}
	return validateStruct(dst)
}

// checkJSONText refuses a JSON body whose text the decoder would change or PostgreSQL could
// not store: bytes that are not UTF-8 and \u escapes of lone UTF-16 surrogates (400
// invalid_utf8; the decoder turns both into U+FFFD, which would be stored in their place), and the
// escape \u0000 (400 bad_json; PostgreSQL text cannot hold NUL).
func checkJSONText(body []byte) error {
	if !utf8.Valid(body) || hasLoneSurrogate(body) {
		return apperr.BadRequest("invalid_utf8", "请求体含有不是 UTF-8 的字节或不成对的 UTF-16 代理项转义（\\uD800–\\uDFFF），请以 UTF-8 编码发送")
	}
	if hasJSONNUL(body) {
		// PostgreSQL text cannot hold NUL: refuse it here rather than fail in the database.
		return apperr.BadRequest("bad_json", "请求体不能包含 NUL 字符（\\u0000）")
	}
	return nil
}

// hasLoneSurrogate reports whether a JSON text holds a \u escape of a UTF-16 surrogate that
// is not a high one followed by a low one. It reads escapes inside strings only (a backslash
// outside a string is a syntax error the decoder reports).
func hasLoneSurrogate(b []byte) bool {
	surrogate := func(i int) (r rune, ok bool) { // the \uXXXX at b[i:], if it is one
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return 0, false
		}
		for _, c := range b[i+2 : i+6] {
			v := rune(c)
			switch {
			case '0' <= c && c <= '9':
				v -= '0'
			case 'a' <= c && c <= 'f':
				v -= 'a' - 10
			case 'A' <= c && c <= 'F':
				v -= 'A' - 10
			default:
				return 0, false
			}
			r = r<<4 | v
		}
		return r, true
	}
	in := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			in = !in
		case c == '\\' && in:
			r, ok := surrogate(i)
			if !ok {
				i++ // an escaped character (\" \\ \n ...) or a malformed escape the decoder reports
				continue
			}
			switch {
			case 0xD800 <= r && r < 0xDC00:
				if lo, ok := surrogate(i + 6); !ok || lo < 0xDC00 || lo > 0xDFFF {
					return true
				}
				i += 11
			case 0xDC00 <= r && r <= 0xDFFF:
				return true
			default:
				i += 5
			}
		}
	}
	return false
}

// hasJSONNUL reports whether a JSON text holds the escape \u0000 (a NUL character once
// decoded). A \u0000 whose backslash is itself escaped (a backslash, then the text u0000) is
// no NUL.
func hasJSONNUL(b []byte) bool {
	esc := []byte(`\u0000`)
	for i := 0; ; {
		j := bytes.Index(b[i:], esc)
		if j < 0 {
			return false
		}
		j += i
		n := 0
		for k := j - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return true
		}
		i = j + 1
	}
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return apperr.BadRequest("empty_body", "请求体不能为空")
	case errors.As(err, &syn):
		return apperr.BadRequest("bad_json", fmt.Sprintf("JSON 格式错误（位置 %d）", syn.Offset))
	case errors.As(err, &typ):
		return apperr.Invalid(map[string]string{typ.Field: "类型错误，应为 " + typ.Type.String()})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.Invalid(map[string]string{f: "不允许的字段"})
	default:
		return apperr.BadRequest("bad_json", "JSON 格式错误")
	}
}

func validateStruct(v any) error {
	err := validate.Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return apperr.BadRequest("bad_json", "请求参数不合法")
	}
	fields := map[string]string{}
	for _, fe := range verrs {
		ns := fe.Namespace()
		if i := strings.Index(ns, "."); i >= 0 {
			ns = ns[i+1:]
		}
		fields[ns] = fieldMessage(fe)
	}
	return apperr.Invalid(fields)
}

func fieldMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "必填"
	case "nonblank":
		return "必填，不能只含空白或不可见字符"
	case "name":
		return "不能包含换行、控制字符或不可见字符（如 U+202E 方向覆盖、U+200B 零宽空格）"
	case "oneof":
		names, ok := oneOfNamesAt[fe.Namespace()]
		if !ok {
			// An element of a list (shared_platforms[1]) is named as its list's values.
			field, _, _ := strings.Cut(fe.Field(), "[")
			names = oneOfNames[field]
		}
		return oneOfMessage(strings.Fields(fe.Param()), names)
	case "min", "gte":
		return "不能小于 " + fe.Param()
	case "max", "lte":
		return "不能大于 " + fe.Param()
	case "gt":
		return "必须大于 " + fe.Param()
	default:
		return "不合法（" + fe.Tag() + "）"
	}
}

// oneOfNames names the values of the enum fields checked with oneof, by the field's JSON name
// (a field's values without a name here keep their code in the message).
var oneOfNames = map[string]map[string]string{
	"decision":         merged(domain.DecisionNames, map[string]string{"confirm": "确认"}),
	"type":             domain.ProjectTypeNames,
	"kind":             merged(domain.OrgKindNames, domain.ChangeKindNames),
	"action":           domain.PlanAdjustNames,
	"grade":            domain.GradeNames,
	"specialty":        domain.ExpertSpecialties,
	"to":               {"last_good": "最后一个正常的工作流任务"},
	"deployment":       domain.DeploymentNames,
	"shared_platforms": domain.PlatformNames,
}

// oneOfNamesAt names the values of a field whose words mean something else there, by the
// field's namespace: a payment is confirmed or sent back (退回, as 资金 names it).
var oneOfNamesAt = map[string]map[string]string{
	"confirmPaymentReq.decision": {"confirm": "确认", "reject": "退回"},
}

// merged is the union of maps whose keys do not overlap. It panics on a key two of them hold,
// which would silently name the value by the last one: oneOfNames is built with it when the
// package initialises, so a clash stops the gateway (and every test of it) from starting
// (TestMerged_PanicsOnOverlap).
func merged(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			if old, ok := out[k]; ok {
				panic(fmt.Sprintf("merged: key %q is in two maps (%q, %q)", k, old, v))
			}
			out[k] = v
		}
	}
	return out
}

// oneOfMessage is the field message of a value not among values: in Chinese, each value by its
// name with its code, which the request must send ("取值必须是其中之一：通过（approve）、退回修改（return）");
// a value names lacks is given by its code alone.
func oneOfMessage(values []string, names map[string]string) string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		if n, ok := names[v]; ok {
			v = n + "（" + v + "）"
		}
		out = append(out, v)
	}
	return "取值必须是其中之一：" + strings.Join(out, "、")
}

// bindWithReason binds the JSON body into dst and trims *reason, the request's required
// reason, answering the refusal itself (400 naming `reason` with missing when it is blank):
// false means the request was answered.
func bindWithReason(c *gin.Context, dst any, reason *string, missing string) bool {
	if err := bindJSON(c, dst); err != nil {
		respondError(c, err)
		return false
	}
	*reason = text.Trim(*reason)
	if text.Blank(*reason) {
		respondError(c, apperr.Invalid(map[string]string{"reason": missing}))
		return false
	}
	return true
}
