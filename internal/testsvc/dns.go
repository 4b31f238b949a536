package testsvc

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// DNSServer is an authoritative DNS server in the test process
// (github.com/miekg/dns) on a free loopback port, UDP and TCP: the app's
// lookups reach it through DUKAAN_DNS_RESOLVER as they would a real
// resolver. Records are set and removed while it runs.
type DNSServer struct {
	Addr string // host:port

	mu      sync.Mutex
	records map[dnsKey][]string
	udp     *dns.Server
	tcp     *dns.Server
}

type dnsKey struct {
	name  string // fully qualified, lower case
	qtype uint16
}

// StartDNS starts a DNS server for the length of the test.
func StartDNS(tb testing.TB) *DNSServer {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("dns: %v", err)
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		tb.Fatalf("dns: tcp on the udp port: %v", err)
	}
	s := &DNSServer{Addr: pc.LocalAddr().String(), records: map[dnsKey][]string{}}
	h := dns.HandlerFunc(s.serve)
	s.udp = &dns.Server{PacketConn: pc, Handler: h}
	s.tcp = &dns.Server{Listener: ln, Handler: h}
	started := make(chan struct{}, 2)
	s.udp.NotifyStartedFunc = func() { started <- struct{}{} }
	s.tcp.NotifyStartedFunc = func() { started <- struct{}{} }
	go func() { _ = s.udp.ActivateAndServe() }()
	go func() { _ = s.tcp.ActivateAndServe() }()
	for range 2 {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			tb.Fatal("dns: server did not start")
		}
	}
	tb.Cleanup(func() {
		_ = s.udp.Shutdown()
		_ = s.tcp.Shutdown()
	})
	return s
}

// Set replaces the records of one name and type ("A", "AAAA", "CNAME",
// "TXT"); no values removes them.
func (s *DNSServer) Set(name, rrType string, values ...string) {
	k := dnsKey{dns.Fqdn(strings.ToLower(name)), dns.StringToType[rrType]}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(values) == 0 {
		delete(s.records, k)
		return
	}
	s.records[k] = values
}

func (s *DNSServer) serve(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range req.Question {
		name := strings.ToLower(q.Name)
		// A CNAME answers every type, followed once within our zone.
		if vs, ok := s.records[dnsKey{name, dns.TypeCNAME}]; ok && q.Qtype != dns.TypeCNAME {
			target := dns.Fqdn(vs[0])
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: hdr(q.Name, dns.TypeCNAME), Target: target})
			name = strings.ToLower(target)
		}
		for _, v := range s.records[dnsKey{name, q.Qtype}] {
			h := hdr(name, q.Qtype)
			switch q.Qtype {
			case dns.TypeA:
				m.Answer = append(m.Answer, &dns.A{Hdr: h, A: net.ParseIP(v).To4()})
			case dns.TypeAAAA:
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: h, AAAA: net.ParseIP(v)})
			case dns.TypeCNAME:
				m.Answer = append(m.Answer, &dns.CNAME{Hdr: h, Target: dns.Fqdn(v)})
			case dns.TypeTXT:
				m.Answer = append(m.Answer, &dns.TXT{Hdr: h, Txt: []string{v}})
			}
		}
	}
	_ = w.WriteMsg(m)
}

func hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: 0}
}
