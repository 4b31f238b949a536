package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"dukaan/nginx"
	"dukaan/web"
)

// runEdge writes the edge's nginx configuration and runs nginx in the
// foreground with DIR as its prefix, until ctx ends (then nginx is asked
// to finish in-flight requests and quit).
func runEdge(ctx context.Context, args []string, environ map[string]string, out io.Writer) error {
	cfg, err := LoadEdgeConfig(environ)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	fs.SetOutput(out)
	listen := fs.String("listen", "127.0.0.1:8000", "address the edge listens on")
	upstream := fs.String("upstream", "127.0.0.1:8080", "app replica(s), comma-separated host:port")
	dir := fs.String("dir", "data/edge", "prefix for config, cache, temp paths, pid and logs")
	purgeAllow := fs.String("purge-allow", "", "comma-separated addresses/CIDRs besides loopback allowed to PURGE")
	maxSize := fs.String("max-size", "1g", "disk for cached pages")
	module := fs.String("purge-module", nginx.DefaultPurgeModule, "path of ngx_http_cache_purge_module.so")
	bin := fs.String("nginx", "nginx", "nginx binary")
	workers := fs.String("workers", "auto", "nginx worker processes")
	configOnly := fs.Bool("config-only", false, "write the configuration and exit")
	purgeToken := fs.String("purge-token", cfg.PurgeToken, "shared secret every PURGE must carry in X-Dukaan-Purge-Token (the app's DUKAAN_EDGE_PURGE_TOKEN; default $EDGE_PURGE_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p := nginx.Params{
		Listen: *listen, Upstreams: splitList(*upstream), Dir: *dir, PurgeAllow: splitList(*purgeAllow),
		PurgeModule: *module, Workers: *workers, MaxSize: *maxSize, LogBuffer: "64k",
		PurgeToken: *purgeToken,
	}
	if os.Geteuid() == 0 {
		p.User = "nobody nogroup"
	}
	conf, err := nginx.Write(p, web.StaticFiles())
	if err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		// Workers run as nobody and write the cache and temp files.
		if err := chownTree(p.User, filepath.Join(*dir, "cache"), filepath.Join(*dir, "temp")); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "edge config: %s\n", conf)
	if *configOnly {
		return nil
	}
	if p.User != "" {
		// nginx starts as root whatever the path, then its workers answer
		// every request with 500 when they cannot enter the prefix.
		if err := workerCanEnter(p.User, filepath.Dir(conf), "static"); err != nil {
			return err
		}
	}
	cmd := exec.Command(*bin, nginx.Args(*dir)...)
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting nginx: %w", err)
	}
	fmt.Fprintf(out, "edge listening on http://%s → %s\n", *listen, *upstream)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGQUIT) // graceful: finish requests, then exit
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				return nil
			}
			return err
		}
		return nil
	}
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// chownTree gives dirs to the nginx worker user.
func chownTree(userGroup string, dirs ...string) error {
	name, _, _ := strings.Cut(userGroup, " ")
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("edge: worker user %q: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, d := range dirs {
		err := filepath.Walk(d, func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, uid, gid)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// workerCanEnter checks that the worker user (userGroup, "nobody nogroup")
// may search dir, every directory above it, and dir's subdirectories
// subs, by their owner, group and mode bits (ACLs are not read). nginx
// itself starts as root and says nothing; its workers would answer every
// request with 500.
func workerCanEnter(userGroup, dir string, subs ...string) error {
	name, group, _ := strings.Cut(userGroup, " ")
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("edge: worker user %q: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gids := map[int]bool{}
	if g, err := user.LookupGroup(group); err == nil {
		n, _ := strconv.Atoi(g.Gid)
		gids[n] = true
	}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			n, _ := strconv.Atoi(id)
			gids[n] = true
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	var paths []string
	for p := abs; ; p = filepath.Dir(p) {
		paths = append([]string{p}, paths...)
		if p == filepath.Dir(p) {
			break
		}
	}
	for _, s := range subs {
		paths = append(paths, filepath.Join(abs, s))
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("edge: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil // not a Unix file system: nothing to check
		}
		mode := fi.Mode().Perm()
		var can bool
		switch {
		case int(st.Uid) == uid:
			can = mode&0o100 != 0
		case gids[int(st.Gid)]:
			can = mode&0o010 != 0
		default:
			can = mode&0o001 != 0
		}
		if !can {
			return fmt.Errorf("edge: the nginx workers run as %s and cannot enter %s (mode %04o, owner %d:%d), so they would answer every request with 500: "+
				"choose a --dir they can reach, or allow them in (chmod o+x %s)", name, p, mode, st.Uid, st.Gid, p)
		}
	}
	return nil
}
