package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPConfig is where and as whom mail is sent.
type SMTPConfig struct {
	// URL is smtp://[user:pass@]host[:port] (STARTTLS when the server
	// offers it; default port 587) or smtps://[user:pass@]host[:port]
	// (TLS from the first byte; default port 465).
	URL string
	// From is the sender address, "Name <addr>" or a bare address.
	From string
	// Timeout bounds the connection and each SMTP command (default 15 s).
	Timeout time.Duration
	// HELO is the name given in EHLO (default: go-mail's, the host name).
	HELO string
	// TLS overrides the TLS settings (e.g. RootCAs for a private CA);
	// ServerName defaults to the URL's host.
	TLS *tls.Config
}

// SMTPEndpoint is a parsed SMTP URL.
type SMTPEndpoint struct {
	Implicit bool // smtps://
	Host     string
	Port     int
	User     string
	Password string
}

// ParseSMTPURL checks an SMTP URL: scheme smtp or smtps, a host, a port
// in range (defaulted by scheme), nothing else (no path or query: an
// option we do not read must not look accepted).
func ParseSMTPURL(raw string) (SMTPEndpoint, error) {
	var e SMTPEndpoint
	u, err := url.Parse(raw)
	if err != nil {
		return e, fmt.Errorf("not a URL: %v", redact(err))
	}
	switch u.Scheme {
	case "smtp":
		e.Port = 587
	case "smtps":
		e.Implicit, e.Port = true, 465
	default:
		return e, fmt.Errorf("scheme %q: use smtp:// (STARTTLS when offered) or smtps:// (implicit TLS)", u.Scheme)
	}
	e.Host = u.Hostname()
	if e.Host == "" {
		return e, errors.New("no host: want smtp://user:pass@host:587")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return e, fmt.Errorf("port %q: want 1-65535", p)
		}
		e.Port = n
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return e, errors.New("want only scheme, user:pass, host and port (no path or query)")
	}
	if u.User != nil {
		e.User = u.User.Username()
		e.Password, _ = u.User.Password()
	}
	return e, nil
}

// redact drops the URL (and with it a password) from url.Parse's error.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ParseFrom checks a sender address.
func ParseFrom(s string) (*mail.Address, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an email address (want shop@example.in or \"Dukaan <shop@example.in>\")", s)
	}
	return a, nil
}

// SMTP sends through one SMTP server with github.com/wneessen/go-mail,
// which builds the MIME message (multipart/alternative, quoted-printable,
// encoded headers) and speaks SMTP with STARTTLS and AUTH; net/smtp is
// frozen and builds no messages.
type SMTP struct {
	cfg  SMTPConfig
	end  SMTPEndpoint
	from *mail.Address
}

// NewSMTP checks cfg and returns its Mailer. It does not connect: a
// server down at start is an outage the mail jobs retry through.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	end, err := ParseSMTPURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("notify: SMTP URL: %w", err)
	}
	from, err := ParseFrom(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("notify: from: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	return &SMTP{cfg: cfg, end: end, from: from}, nil
}

// Send delivers m over a connection of its own: a client per message keeps
// concurrent jobs apart, and mail is a handful a minute per shop.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	opts := []gomail.Option{
		gomail.WithPort(s.end.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		// A mail that cannot go is retried by its job; go-mail's own
		// NOOP/RSET dance on a fresh connection is not needed.
		gomail.WithoutNoop(),
	}
	if s.end.Implicit {
		opts = append(opts, gomail.WithSSL())
	} else {
		// STARTTLS when the server offers it, plain otherwise (a relay on
		// localhost or in the cluster often offers none).
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.end.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.end.User), gomail.WithPassword(s.end.Password))
	}
	if s.cfg.TLS != nil {
		tc := s.cfg.TLS.Clone()
		if tc.ServerName == "" {
			tc.ServerName = s.end.Host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	}
	if s.cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HELO))
	}
	c, err := gomail.NewClient(s.end.Host, opts...)
	if err != nil {
		return fmt.Errorf("notify: smtp client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*s.cfg.Timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("notify: send %s to %s via %s: %w", m.MessageID, m.To,
			net.JoinHostPort(s.end.Host, strconv.Itoa(s.end.Port)), err)
	}
	return nil
}

// build is m as go-mail's message: the text part first, HTML as its
// alternative (mail clients show the last part they can).
func (s *SMTP) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("notify: recipient %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	for k, v := range m.Headers {
		msg.SetGenHeader(gomail.Header(k), v)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}
