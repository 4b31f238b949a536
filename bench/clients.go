package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// benchClient is how a tier is asked for the page: wrk's bare request, or
// the request a browser sends.
type benchClient struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	// Headers are "Name: value" lines, as wrk's -H takes them.
	Headers []string `json:"headers,omitempty"`
}

// chromiumHeaders are the request headers of Chromium 156 on Linux for a
// page navigation typed into the address bar, captured from Debian's
// chromium 156.0.8078.114 (`chromium --headless` against a local server
// that logged them), with two changes: the User-Agent of the headed
// browser (headless says HeadlessChrome) and an Indian English
// Accept-Language, a Dukaan customer's. Host and Connection: keep-alive
// are wrk's own.
var chromiumHeaders = []string{
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
	"Accept-Encoding: gzip, deflate, br, zstd",
	"Accept-Language: en-IN,en;q=0.9",
	`Sec-Ch-Ua: "Not:A-Brand";v="8", "Chromium";v="156"`,
	"Sec-Ch-Ua-Mobile: ?0",
	`Sec-Ch-Ua-Platform: "Linux"`,
	"Sec-Fetch-Dest: document",
	"Sec-Fetch-Mode: navigate",
	"Sec-Fetch-Site: none",
	"Sec-Fetch-User: ?1",
	"Upgrade-Insecure-Requests: 1",
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
}

var benchClients = []benchClient{
	{Key: "bare", Name: "wrk's bare request"},
	{Key: "browser", Name: "Chromium 156's page request", Headers: chromiumHeaders},
}

// answer is one response as its client received it: the bytes on the
// wire (still compressed when Content-Encoding says so).
type answer struct {
	status int
	header http.Header
	body   []byte
}

// fetchAs GETs path on addr with Host host and the client's headers, and
// returns the response exactly as sent: Go's transparent gzip is off.
func fetchAs(ctx context.Context, addr, host, path string, headers []string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return answer{}, err
	}
	req.Host = host
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: body}
	if resp.StatusCode != http.StatusOK {
		return a, fmt.Errorf("GET %s%s via %s: %s", host, path, addr, resp.Status)
	}
	return a, nil
}
