package notify

import (
	"bufio"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// relay is a minimal SMTP server on the loopback: it records the messages it is given, or,
// when mute, greets and then never answers again.
type relay struct {
	ln   net.Listener
	mute bool
	// rcpt answers RCPT TO for the addresses it names (e.g. "550 5.1.1 no such mailbox").
	rcpt map[string]string
	mu   sync.Mutex
	msgs []string
}

func startRelay(t *testing.T, mute bool, rcpt map[string]string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &relay{ln: ln, mute: mute, rcpt: rcpt}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(conn)
		}
	}()
	return r
}

// got returns the messages received so far.
func (r *relay) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

func (r *relay) serve(conn net.Conn) {
	defer conn.Close()
	w := bufio.NewWriter(conn)
	say := func(s string) { _, _ = w.WriteString(s + "\r\n"); _ = w.Flush() }
	say("220 relay ready")
	if r.mute {
		_, _ = io.Copy(io.Discard, conn) // until the client gives up
		return
	}
	rd := bufio.NewReader(conn)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 relay")
		case strings.HasPrefix(cmd, "RCPT"):
			reply := "250 ok"
			for addr, r := range r.rcpt {
				if strings.Contains(line, "<"+addr+">") {
					reply = r
				}
			}
			say(reply)
		case strings.HasPrefix(cmd, "MAIL"), cmd == "RSET":
			say("250 ok")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := rd.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, ".")) // undo dot-stuffing
			}
			r.mu.Lock()
			r.msgs = append(r.msgs, b.String())
			r.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

// Chinese titles and bodies arrive intact: the subject RFC 2047-encoded (a raw UTF-8 header
// is mojibake in many clients), the body quoted-printable with CRLF lines, a line starting
// with a dot kept.
func TestSMTPSenderEncodesChinese(t *testing.T) {
	r := startRelay(t, false, nil)
	s := SMTPSender{Addr: r.ln.Addr().String(), From: "egovpm@luan.gov.cn", Log: zap.NewNop()}
	m := Message{ID: "tr/plan:2026/u/key#0:u-alice", Username: "alice", Email: "alice@example.cn",
		Title: "【六安市政务信息化】项目「智慧城管」初审已通过",
		Body:  "您好：\n项目已通过初审，请于 7 月前提交材料。\n.以点开头的一行\n" + strings.Repeat("长", 100)}
	require.NoError(t, s.Send(context.Background(), m))

	msgs := r.got()
	require.Len(t, msgs, 1)
	msg, err := mail.ReadMessage(strings.NewReader(msgs[0]))
	require.NoError(t, err)
	raw := msg.Header.Get("Subject")
	require.NotContains(t, raw, "六安", "the subject header must be ASCII (RFC 2047)")
	subject, err := new(mime.WordDecoder).DecodeHeader(raw)
	require.NoError(t, err)
	require.Equal(t, m.Title, subject)
	require.Equal(t, "quoted-printable", msg.Header.Get("Content-Transfer-Encoding"))
	ids, err := msg.Header.AddressList("Message-ID") // parses as an RFC 5322 address: a dot-atom
	require.NoError(t, err, "Message-ID %q", msg.Header.Get("Message-ID"))
	require.Len(t, ids, 1)
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	require.NoError(t, err)
	require.Equal(t, strings.ReplaceAll(m.Body, "\n", "\r\n")+"\r\n", string(body))
	for _, line := range strings.Split(msgs[0], "\r\n") {
		require.LessOrEqual(t, len(line), 998, "RFC 5321 line limit")
	}
}

// A relay that stops answering fails the send when its context ends, instead of holding the
// notification batch (and its activity slot) for good.
func TestSMTPSenderGivesUpWithItsContext(t *testing.T) {
	r := startRelay(t, true, nil)
	s := SMTPSender{Addr: r.ln.Addr().String(), From: "egovpm@luan.gov.cn", Log: zap.NewNop()}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, Message{ID: "n-2", Email: "bob@example.cn", Title: "t", Body: "b"}) }()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(10 * time.Second):
		t.Fatal("Send did not return after its context ended")
	}
}

// Header injection through the address, the title or the id is refused before any mail.
func TestSMTPSenderRefusesHeaderInjection(t *testing.T) {
	r := startRelay(t, false, nil)
	s := SMTPSender{Addr: r.ln.Addr().String(), From: "egovpm@luan.gov.cn", Log: zap.NewNop()}
	for _, m := range []Message{
		{ID: "n-3", Email: "a@example.cn\r\nBcc: x@example.cn", Title: "t"},
		{ID: "n-4", Email: "a@example.cn", Title: "t\r\nBcc: x@example.cn"},
		{ID: "n-5>\r\nBcc: x@example.cn", Email: "a@example.cn", Title: "t"},
	} {
		require.ErrorContains(t, s.Send(context.Background(), m), "header injection refused")
	}
	require.Empty(t, r.got())
}

// A 5xx reply to RCPT TO is the relay refusing the address for good (RefusedError: the
// notification is marked failed, not retried); a 4xx is transient (retried).
func TestSMTPSenderTellsRefusedFromTransient(t *testing.T) {
	r := startRelay(t, false, map[string]string{"gone@example.cn": "550 5.1.1 no such mailbox", "busy@example.cn": "451 4.3.0 try again later"})
	s := SMTPSender{Addr: r.ln.Addr().String(), From: "egovpm@luan.gov.cn", Log: zap.NewNop()}
	var refused *RefusedError
	err := s.Send(context.Background(), Message{ID: "n-6", Email: "gone@example.cn", Title: "t", Body: "b"})
	require.ErrorAs(t, err, &refused)
	require.ErrorContains(t, err, "no such mailbox")
	err = s.Send(context.Background(), Message{ID: "n-7", Email: "busy@example.cn", Title: "t", Body: "b"})
	require.Error(t, err)
	require.NotErrorAs(t, err, &refused)
	require.Empty(t, r.got())
}

// With the web UI's address (NOTIFY_LINK_BASE) a mail ends with a link into it: the project's
// page, or the 首页 for a notice about no project; without it, none.
func TestSMTPSenderLinksIntoTheUI(t *testing.T) {
	r := startRelay(t, false, nil)
	base := "https://zwxm.luan.gov.cn"
	s := SMTPSender{Addr: r.ln.Addr().String(), From: "egovpm@luan.gov.cn", Log: zap.NewNop(), LinkBase: base}
	for _, m := range []Message{
		{ID: "a#0:u-alice", Email: "alice@example.cn", Title: "项目被退回修改", Body: "退回意见：请补充材料。\n", ProjectID: "p-8f2a c"},
		{ID: "b#0:u-alice", Email: "alice@example.cn", Title: "每日通知汇总", Body: "以下是 2 条通知"},
	} {
		require.NoError(t, s.Send(context.Background(), m))
	}
	bodies := []string{}
	for _, raw := range r.got() {
		msg, err := mail.ReadMessage(strings.NewReader(raw))
		require.NoError(t, err)
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		require.NoError(t, err)
		bodies = append(bodies, string(body))
	}
	require.Equal(t, []string{"退回意见：请补充材料。\r\n\r\n在系统中查看：" + base + "/projects/p-8f2a%20c\r\n\r\n",
		"以下是 2 条通知\r\n\r\n在系统中查看：" + base + "/\r\n\r\n"}, bodies)
	require.Equal(t, "", Link("", Message{ProjectID: "p-1"}), "no base, no link")
}

// DirSender writes each message as the relay would receive it, one file per message id (a
// message sent again replaces its file), readable by its owner alone; a user without an address
// gets no file. New picks SMTP, else the directory, else the log.
func TestDirSenderWritesTheMessage(t *testing.T) {
	dir := t.TempDir()
	s := DirSender{Dir: dir, From: "egovpm@luan.gov.cn", LinkBase: "https://zwxm.luan.gov.cn"}
	m := Message{ID: "email-code/u-bob/1", Email: "chenbo@luan.gov.cn", Title: "邮箱验证码", Body: "验证码：042917\n"}
	require.NoError(t, s.Send(context.Background(), m))
	require.NoError(t, s.Send(context.Background(), m))
	require.NoError(t, s.Send(context.Background(), Message{ID: "x#0:u-alice", Title: "无邮箱"}))
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, files, 1, "one file per message id; none without an address")
	info, err := files[0].Info()
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	raw, err := os.ReadFile(filepath.Join(dir, files[0].Name()))
	require.NoError(t, err)
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	require.Equal(t, "邮箱验证码", subject)
	require.Equal(t, "chenbo@luan.gov.cn", msg.Header.Get("To"))
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	require.NoError(t, err)
	require.Contains(t, string(body), "验证码：042917")
	require.Contains(t, string(body), "在系统中查看：https://zwxm.luan.gov.cn/")

	log := zap.NewNop()
	require.IsType(t, SMTPSender{}, New("relay:25", "a@b.cn", dir, "", log))
	require.IsType(t, DirSender{}, New("", "", dir, "", log))
	require.IsType(t, LogSender{}, New("", "", "", "", log))
}
