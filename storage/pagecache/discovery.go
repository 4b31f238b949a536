package pagecache

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// DNSEdgePrefix marks a DUKAAN_EDGES entry whose name is resolved to every
// edge address instead of naming one edge:
//
//	dns+http://edge-headless.dukaan.svc.cluster.local:8080
//
// is every A/AAAA address of that name, each purged as http://<ip>:8080
// (dns+https:// purges https://<ip>:port). The port defaults to 80 (443).
// No path, user or query. On Kubernetes the name is a headless Service
// (clusterIP: None) in front of the edge pods: its DNS answer is the
// address of every ready pod.
const DNSEdgePrefix = "dns+"

// LookupFunc resolves a host name to its addresses, like
// net.DefaultResolver.LookupIPAddr (the default); tests inject their own.
type LookupFunc func(ctx context.Context, host string) ([]net.IPAddr, error)

// DefaultEdgeRefresh is how often discovered edges are looked up again.
const DefaultEdgeRefresh = 10 * time.Second

// dnsEdge is one dns+ entry: scheme, name and port.
type dnsEdge struct {
	raw, scheme, host, port string
}

// ParseEdge checks one DUKAAN_EDGES entry: a base URL
// (http://127.0.0.1:8000) or a discovered name (dns+http://name:port).
func ParseEdge(s string) error {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, DNSEdgePrefix) {
		_, err := parseDNSEdge(s)
		return err
	}
	if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not a base URL like http://127.0.0.1:8000", s)
	}
	return nil
}

func parseDNSEdge(s string) (dnsEdge, error) {
	bad := func(why string) (dnsEdge, error) {
		return dnsEdge{}, fmt.Errorf("%q: %s (want dns+http://name:port, e.g. dns+http://edge-headless.dukaan.svc.cluster.local:8080)", s, why)
	}
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
	if err != nil {
		return bad(err.Error())
	}
	scheme := strings.TrimPrefix(u.Scheme, DNSEdgePrefix)
	if scheme != "http" && scheme != "https" {
		return bad("the scheme must be dns+http or dns+https")
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return bad("a name and a port only")
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return bad("no name")
	}
	if net.ParseIP(host) != nil {
		return bad("an address needs no discovery: use " + scheme + "://" + u.Host)
	}
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return dnsEdge{raw: s, scheme: scheme, host: host, port: port}, nil
}

// edgeSet is the current list of edge base URLs: the static entries as
// given, then the last good answer for each dns+ entry. Purges read it
// under a lock; refresh replaces it.
type edgeSet struct {
	static  []string
	dns     []dnsEdge
	lookup  LookupFunc
	refresh time.Duration
	log     *slog.Logger

	mu       sync.RWMutex
	resolved map[string][]string // dns entry → edge URLs of its last good answer
	current  []string
}

func newEdgeSet(entries []string, lookup LookupFunc, refresh time.Duration, log *slog.Logger) *edgeSet {
	if lookup == nil {
		lookup = net.DefaultResolver.LookupIPAddr
	}
	if refresh <= 0 {
		refresh = DefaultEdgeRefresh
	}
	s := &edgeSet{lookup: lookup, refresh: refresh, log: log, resolved: map[string][]string{}}
	for _, e := range entries {
		e = strings.TrimRight(strings.TrimSpace(e), "/")
		switch {
		case e == "":
		case strings.HasPrefix(e, DNSEdgePrefix):
			d, err := parseDNSEdge(e)
			if err != nil {
				// The app's config validation refuses it before this.
				log.Error("pagecache: ignoring an edge entry", "err", err)
				continue
			}
			s.dns = append(s.dns, d)
		default:
			s.static = append(s.static, e)
		}
	}
	s.current = slices.Clone(s.static)
	return s
}

// list is the current set; callers must not modify it.
func (s *edgeSet) list() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.current
}

func (s *edgeSet) has(edge string) bool {
	return slices.Contains(s.list(), edge)
}

// update looks every dns+ entry up once. A failed lookup keeps that
// entry's last good answer; changes are logged.
func (s *edgeSet) update(ctx context.Context) {
	for _, d := range s.dns {
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		addrs, err := s.lookup(lctx, d.host)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				s.mu.RLock()
				kept := len(s.resolved[d.raw])
				s.mu.RUnlock()
				s.log.Warn("pagecache: edge lookup failed; keeping the last good set", "edges", d.raw, "kept", kept, "err", err)
			}
			continue
		}
		var urls []string
		for _, a := range addrs {
			u := d.scheme + "://" + net.JoinHostPort(a.IP.String(), d.port)
			if a.IP != nil && !slices.Contains(urls, u) {
				urls = append(urls, u)
			}
		}
		slices.Sort(urls)
		s.mu.Lock()
		old, seen := s.resolved[d.raw]
		s.resolved[d.raw] = urls
		s.mu.Unlock()
		if !seen || !slices.Equal(old, urls) {
			s.log.Info("pagecache: edges discovered", "edges", d.raw, "addresses", strings.Join(urls, ","), "count", len(urls))
		}
	}
	s.mu.Lock()
	cur := slices.Clone(s.static)
	for _, d := range s.dns {
		for _, u := range s.resolved[d.raw] {
			if !slices.Contains(cur, u) {
				cur = append(cur, u)
			}
		}
	}
	s.current = cur // replaced, never modified: readers keep their copy
	s.mu.Unlock()
}

// run refreshes the dns+ entries until ctx ends.
func (s *edgeSet) run(ctx context.Context) {
	t := time.NewTicker(s.refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.update(ctx)
		}
	}
}
