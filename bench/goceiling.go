package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The Go ceiling: a bare net/http handler that writes the bytes the app's
// local tier sends, with the same response headers, from memory. Run as a
// process of its own (`dukaan-lab goceiling`), it is measured exactly like
// the app: it is what an in-process tier can reach at best on this
// machine, Go's own HTTP server writing a stored page.

// ceilingVariant is one stored answer: the one for clients that accept
// gzip, or the one for the rest.
type ceilingVariant struct {
	Gzip   bool        `json:"gzip"` // for requests whose Accept-Encoding names gzip
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// GoCeilingMain is `dukaan-lab goceiling -listen ADDR -page FILE`: FILE
// holds the variants as JSON. It prints "goceiling listening on ADDR"
// once it accepts connections and serves until ctx ends.
func GoCeilingMain(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("goceiling", flag.ContinueOnError)
	fs.SetOutput(out)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	page := fs.String("page", "", "JSON file of the answers (written by the bench)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*page)
	if err != nil {
		return err
	}
	var vs []ceilingVariant
	if err := json.Unmarshal(b, &vs); err != nil {
		return fmt.Errorf("%s: %w", *page, err)
	}
	h, err := goCeilingHandler(vs)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "goceiling listening on %s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// goCeilingHandler answers every GET with the variant for its
// Accept-Encoding: header values copied once, the body written once.
func goCeilingHandler(vs []ceilingVariant) (http.Handler, error) {
	var plain, gz *ceilingVariant
	for i := range vs {
		if vs[i].Gzip {
			gz = &vs[i]
		} else {
			plain = &vs[i]
		}
	}
	if plain == nil {
		return nil, errors.New("goceiling: no answer for clients without gzip")
	}
	if gz == nil {
		gz = plain
	}
	for _, v := range []*ceilingVariant{plain, gz} {
		v.Header.Del("Date")
		v.Header.Set("Content-Length", strconv.Itoa(len(v.Body)))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := plain
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			v = gz
		}
		h := w.Header()
		for k, vals := range v.Header {
			h[k] = vals
		}
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(v.Body)
		}
	}), nil
}

// startGoCeiling runs the Go ceiling with the app's answers vs.
func (b *runner) startGoCeiling(ctx context.Context, vs []ceilingVariant) (*edgeProc, error) {
	if len(b.opts.GoCeiling) == 0 {
		return nil, errors.New("bench: Options.GoCeiling (the command that runs `goceiling`) is not set")
	}
	dir := filepath.Join(b.work, "goceiling")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	js, err := json.Marshal(vs)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "page.json")
	if err := os.WriteFile(file, js, 0o644); err != nil {
		return nil, err
	}
	addrc := make(chan string, 1)
	args := append(append([]string(nil), b.opts.GoCeiling[1:]...), "goceiling", "-listen", "127.0.0.1:0", "-page", file)
	p, err := b.spawn("goceiling", nil, func(line string) {
		if a, ok := strings.CutPrefix(line, "goceiling listening on "); ok {
			select {
			case addrc <- a:
			default:
			}
		}
	}, b.opts.GoCeiling[0], args...)
	if err != nil {
		return nil, err
	}
	select {
	case addr := <-addrc:
		b.name(addr, "goceiling")
		return &edgeProc{proc: p, addr: addr, dir: dir}, nil
	case <-p.Done():
		return nil, fmt.Errorf("goceiling exited at start: %v\n%s", p.Err(), p.LogEnd())
	case <-time.After(30 * time.Second):
		_ = p.Stop(5 * time.Second)
		return nil, fmt.Errorf("goceiling did not start within 30s:\n%s", p.LogEnd())
	case <-ctx.Done():
		_ = p.Stop(5 * time.Second)
		return nil, ctx.Err()
	}
}
