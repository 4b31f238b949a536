package testsvc

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPServer is a real SMTP server in the test process (emersion/go-smtp):
// the app talks the protocol to it as to any relay, and it records every
// message it accepts, parsed. Stop and Start simulate an outage: while it
// is stopped nothing listens on its port, so a client's dial is refused.
type SMTPServer struct {
	addr string
	opts SMTPOptions
	tls  *tls.Config
	cas  *x509.CertPool

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
	TLS       bool   // the message came over TLS (STARTTLS or implicit)
	AuthUser  string // who authenticated ("" for no AUTH)
}

// SMTPOptions make the server ask more of its clients.
type SMTPOptions struct {
	// STARTTLS offers STARTTLS (a self-signed certificate for 127.0.0.1;
	// CAs is its pool); Implicit speaks TLS from the first byte (smtps).
	STARTTLS, Implicit bool
	// User and Password, when set, are required (AUTH PLAIN) before MAIL.
	User, Password string
}

// StartSMTP starts a server on a free loopback port for the length of the
// test.
func StartSMTP(tb testing.TB) *SMTPServer {
	tb.Helper()
	return StartSMTPWith(tb, SMTPOptions{})
}

// StartSMTPWith is StartSMTP with TLS or AUTH.
func StartSMTPWith(tb testing.TB, o SMTPOptions) *SMTPServer {
	tb.Helper()
	s, err := newSMTPServer("127.0.0.1:0", o)
	if err != nil {
		tb.Fatalf("smtp server: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// CAs trusts the server's certificate (nil without TLS).
func (s *SMTPServer) CAs() *x509.CertPool { return s.cas }

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
func NewSMTPServer(addr string) (*SMTPServer, error) { return newSMTPServer(addr, SMTPOptions{}) }

func newSMTPServer(addr string, o SMTPOptions) (*SMTPServer, error) {
	s := &SMTPServer{opts: o, changed: make(chan struct{})}
	if o.STARTTLS || o.Implicit {
		cfg, cas, err := selfSigned("127.0.0.1")
		if err != nil {
			return nil, err
		}
		s.tls, s.cas = cfg, cas
	}
	ln, err := s.listen(addr)
	if err != nil {
		return nil, err
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	return s, nil
}

func (s *SMTPServer) listen(addr string) (net.Listener, error) {
	if s.opts.Implicit {
		return tls.Listen("tcp", addr, s.tls)
	}
	return net.Listen("tcp", addr)
}

// Addr is host:port; it stays the same across Stop and Start.
func (s *SMTPServer) Addr() string { return s.addr }

// URL is the server as DUKAAN_SMTP_URL, with the user and password.
func (s *SMTPServer) URL() string {
	scheme := "smtp://"
	if s.opts.Implicit {
		scheme = "smtps://"
	}
	auth := ""
	if s.opts.User != "" {
		auth = url.UserPassword(s.opts.User, s.opts.Password).String() + "@"
	}
	return scheme + auth + s.addr
}

func (s *SMTPServer) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 10 << 20
	// AUTH only over TLS when TLS is on, as real servers do.
	srv.AllowInsecureAuth = s.tls == nil
	if s.opts.STARTTLS {
		srv.TLSConfig = s.tls
	}
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
		if ln, err = s.listen(s.addr); err == nil || time.Now().After(deadline) {
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
	s      *SMTPServer
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (x *smtpSession) AuthMechanisms() []string {
	if x.s.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || x.s.opts.User == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.opts.User || pass != x.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		x.authed = true
		return nil
	}), nil
}

func (x *smtpSession) Reset()        { x.from, x.to = "", nil }
func (x *smtpSession) Logout() error { return nil }

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.opts.User != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
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
	_, m.TLS = x.conn.TLSConnectionState()
	if x.authed {
		m.AuthUser = x.s.opts.User
	}
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
