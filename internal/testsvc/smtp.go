package testsvc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPServer is a real SMTP server in the test process (emersion/go-smtp):
// the app talks the protocol to it as to any relay, and it records every
// message it accepts, parsed. Stop and Start simulate an outage: while it
// is stopped nothing listens on its port, so a client's dial is refused.
type SMTPServer struct {
	addr string

	mu      sync.Mutex
	srv     *smtp.Server
	ln      net.Listener
	mails   []Mail
	changed chan struct{} // closed and replaced at every message
	// Refuse makes DATA fail with a temporary error (451) while set.
	refuse bool
}

// Mail is one message the server accepted.
type Mail struct {
	At        time.Time
	From      string   // the envelope sender (MAIL FROM)
	To        []string // the envelope recipients (RCPT TO)
	Header    mail.Header
	Subject   string // decoded
	MessageID string // without angle brackets
	Text      string // the text/plain part, decoded
	HTML      string // the text/html part, decoded
	Raw       []byte
}

// StartSMTP starts a server on a free loopback port for the length of the
// test.
func StartSMTP(tb testing.TB) *SMTPServer {
	tb.Helper()
	s, err := NewSMTPServer("127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtp server: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

var (
	sharedSMTPOnce sync.Once
	sharedSMTP     *SMTPServer
	sharedSMTPErr  error
)

// SharedSMTP is one server for the whole test binary, for tests that tell
// their mail apart by recipient (every test's vendor has its own address).
// Never Stop it: a test that needs an outage starts its own.
func SharedSMTP(tb testing.TB) *SMTPServer {
	tb.Helper()
	sharedSMTPOnce.Do(func() { sharedSMTP, sharedSMTPErr = NewSMTPServer("127.0.0.1:0") })
	if sharedSMTPErr != nil {
		tb.Fatalf("smtp server: %v", sharedSMTPErr)
	}
	return sharedSMTP
}

// NewSMTPServer listens on addr (host:0 for a free port) and serves.
func NewSMTPServer(addr string) (*SMTPServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &SMTPServer{addr: ln.Addr().String(), changed: make(chan struct{})}
	s.serve(ln)
	return s, nil
}

// Addr is host:port; it stays the same across Stop and Start.
func (s *SMTPServer) Addr() string { return s.addr }

// URL is the server as DUKAAN_SMTP_URL (plain SMTP: it offers no STARTTLS).
func (s *SMTPServer) URL() string { return "smtp://" + s.addr }

func (s *SMTPServer) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.AllowInsecureAuth = true
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Stop closes the listener and every open connection: an outage.
func (s *SMTPServer) Stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// Closed here too: Close only knows the listener once Serve,
		// started in a goroutine, has registered it.
		_ = ln.Close()
		_ = srv.Close()
	}
}

// Start serves again on the same port after Stop.
func (s *SMTPServer) Start(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if running {
		return
	}
	var ln net.Listener
	var err error
	// The port was ours a moment ago; a socket of the last connections may
	// hold it briefly.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if ln, err = net.Listen("tcp", s.addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		tb.Fatalf("smtp server: listen again on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

// SetRefuse makes the server answer DATA with 451 (a temporary failure)
// while on, or accept again.
func (s *SMTPServer) SetRefuse(on bool) {
	s.mu.Lock()
	s.refuse = on
	s.mu.Unlock()
}

// Mails is every message accepted so far.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// MailsTo is every message accepted for rcpt (the envelope recipient).
func (s *SMTPServer) MailsTo(rcpt string) []Mail {
	var out []Mail
	for _, m := range s.Mails() {
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// WaitMails waits until ok holds for the messages to rcpt, and returns them;
// it fails the test after timeout.
func (s *SMTPServer) WaitMails(tb testing.TB, rcpt string, timeout time.Duration, ok func([]Mail) bool) []Mail {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		ms := s.MailsTo(rcpt)
		if ok(ms) {
			return ms
		}
		select {
		case <-ch:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			tb.Fatalf("smtp: after %s, %d mail(s) to %s, not what the test waits for", timeout, len(ms), rcpt)
			return nil
		}
	}
}

type smtpSession struct {
	s    *SMTPServer
	from string
	to   []string
}

func (x *smtpSession) AuthMechanisms() []string { return nil }
func (x *smtpSession) Reset()                   { x.from, x.to = "", nil }
func (x *smtpSession) Logout() error            { return nil }

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	refuse := x.s.refuse
	x.s.mu.Unlock()
	if refuse {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later (test)"}
	}
	m, err := ParseMail(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unparsable message: " + err.Error()}
	}
	m.From, m.To, m.At = x.from, append([]string(nil), x.to...), time.Now()
	x.s.mu.Lock()
	x.s.mails = append(x.s.mails, m)
	close(x.s.changed)
	x.s.changed = make(chan struct{})
	x.s.mu.Unlock()
	return nil
}

// ParseMail parses a raw message: headers, decoded subject, and the text
// and HTML parts of a single-part or multipart (alternative, mixed) body.
func ParseMail(raw []byte) (Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Mail{}, err
	}
	m := Mail{Header: msg.Header, Raw: raw}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return m, fmt.Errorf("subject: %w", err)
	}
	m.MessageID = strings.Trim(strings.TrimSpace(msg.Header.Get("Message-Id")), "<>")
	err = walkPart(&m, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m, err
}

func walkPart(m *Mail, ctype, cte string, body io.Reader) error {
	if ctype == "" {
		ctype = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("content-type %q: %w", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walkPart(m, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(cte) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64Reader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("%s part: %w", mt, err)
	}
	// Parts travel with CRLF line ends; tests compare with "\n".
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	switch mt {
	case "text/plain":
		m.Text += text
	case "text/html":
		m.HTML += text
	}
	return nil
}
