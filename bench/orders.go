package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// OrdersResult is scenario 4: customers racing for a hot product over HTTP,
// and pgbench running the same transaction on the same server.
type OrdersResult struct {
	Stock int    `json:"stock"`
	Conc  int    `json:"concurrency"`
	Via   string `json:"via"`
	HTTP  []RushRun
	PG    []PgbenchRun
	// Medians.
	OrdersPerSec float64 `json:"orders_per_sec"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	PGTPS        float64 `json:"pgbench_tps"`
	PGP99Ms      float64 `json:"pgbench_p99_ms"`
	Ratio        float64 `json:"ratio_to_pgbench"`
	// Totals over the runs.
	Oversold   int64 `json:"oversold_units"`
	WrongCount int   `json:"runs_with_successes_not_stock"`
	Errors5xx  int   `json:"errors_5xx"`
	// References: what the server does with less work per transaction.
	Floors []PgbenchRun `json:"floors"`
	Script string       `json:"pgbench_script"`
}

// RushRun is one HTTP order rush.
type RushRun struct {
	Requests     int     `json:"requests"`
	Successes    int     `json:"successes"` // 303
	SoldOut      int     `json:"sold_out"`  // 422 after the stock ran out
	Errors5xx    int     `json:"errors_5xx"`
	Other        int     `json:"other"`
	Seconds      float64 `json:"seconds"` // start → the last unit sold
	OrdersPerSec float64 `json:"orders_per_sec"`
	P50Ms        float64 `json:"p50_ms"` // of successful orders
	P99Ms        float64 `json:"p99_ms"`
	SoldUnits    int64   `json:"sold_units"` // order_items in the database
	StockAfter   int64   `json:"stock_after"`
	Oversold     int64   `json:"oversold_units"`
}

// PgbenchRun is one pgbench run.
type PgbenchRun struct {
	Name         string  `json:"name"`
	Transactions int     `json:"transactions"`
	Failed       int     `json:"failed"`
	TPS          float64 `json:"tps"`
	AvgMs        float64 `json:"latency_avg_ms"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	Command      string  `json:"command"`
}

// orderScript is exactly the statements storage.PlaceOrder sends for a
// one-line cash order with an order key (captured from bun): the order
// row, the shop's checkout settings read in the transaction, the stock
// decrement, the shop's order number (vendors.order_seq), the line, the
// order's number and totals, the lines read back. pgbench variables stand
// for the ids and values it reads back; tokens are unique per client and
// transaction. The total is the price plus the shop's delivery fee (the
// bench shops have no free-delivery threshold or minimum and no coupon).
const orderScript = `\set n :n + 1
BEGIN;
INSERT INTO "orders" ("id", "vendor_id", "token", "order_key", "customer_name", "phone", "address", "status", "total", "created_at", "updated_at", "number", "subtotal", "discount", "delivery_fee", "coupon_code", "payment_mode", "payment_status") VALUES (DEFAULT, :vid, 'pgbench-' || :client_id || '-' || :n || '-' || :run, 'auto:pgbench-' || :client_id || '-' || :n || '-' || :run, 'Bench Customer', '+919876543210', '12 MG Road, Indiranagar, Bengaluru 560038', 'pending', 0, now(), now(), DEFAULT, 0, 0, 0, '', 'cod', 'unpaid') RETURNING id \gset
SELECT "v"."id", "v"."delivery_fee", "v"."free_delivery_above", "v"."min_order", "v"."upi_id", "v"."accept_cod", "v"."accept_upi" FROM "vendors" AS "v" WHERE (id = :vid) LIMIT 1 \gset v_
UPDATE products SET stock = stock - 1, updated_at = now()
WHERE id = :pid AND vendor_id = :vid AND stock >= 1 AND available = TRUE AND archived = FALSE
RETURNING name, mrp, price, stock \gset p_
UPDATE vendors SET order_seq = order_seq + 1 WHERE id = :vid RETURNING order_seq \gset s_
INSERT INTO "order_items" ("id", "order_id", "product_id", "name", "mrp", "price", "qty") VALUES (DEFAULT, :id, :pid, {{name}}, :p_mrp, :p_price, 1);
\set total :p_price + :v_delivery_fee
UPDATE "orders" AS "o" SET number = :s_order_seq, total = :total, subtotal = :p_price, discount = 0, delivery_fee = :v_delivery_fee, coupon_code = '', payment_mode = 'cod' WHERE (id = :id);
SELECT "oi"."id", "oi"."order_id", "oi"."product_id", "oi"."name", "oi"."mrp", "oi"."price", "oi"."qty" FROM "order_items" AS "oi" WHERE (order_id = :id) ORDER BY id ASC;
COMMIT;
`

// floorScripts are the reference points: the hot row alone, and
// the hot row plus one insert.
var floorScripts = []struct{ name, sql string }{
	{"hot-row update (autocommit)", "UPDATE products SET stock = stock - 1 WHERE id = :pid;\n"},
	{"hot-row update + insert", `\set n :n + 1
BEGIN;
UPDATE products SET stock = stock - 1 WHERE id = :pid;
INSERT INTO "orders" ("vendor_id", "token", "order_key", "customer_name", "phone", "address", "status", "total", "created_at", "updated_at") VALUES (:vid, 'floor-' || :client_id || '-' || :n || '-' || :run, 'auto:floor-' || :client_id || '-' || :n || '-' || :run, 'Bench Customer', '+919876543210', '12 MG Road', 'pending', 0, now(), now());
COMMIT;
`},
}

// slug makes a name safe as a file name.
func slug(s string) string {
	return strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(s), "-"), "-")
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// orders is scenario 4.
func (b *runner) orders(ctx context.Context, st *stack) error {
	n, conc := b.opts.RushStock, b.opts.RushConns
	vendorID, productID, _, _, err := b.hotProduct(ctx, st.main, "store-00002", false)
	if err != nil {
		return err
	}
	res := &OrdersResult{Stock: n, Conc: conc, Via: "the nginx edge (POST is passed to the app)"}
	b.logf("orders: %d customers at once ordering product %d with stock %d, over HTTP and with pgbench, %d runs each", conc, productID, n, b.opts.Runs)

	pg, err := b.pgbenchSetup(ctx)
	if err != nil {
		return err
	}
	// Both sides start without the dead rows of earlier runs' hot-row
	// updates.
	if err := b.exec(ctx,
		fmt.Sprintf("VACUUM ANALYZE %[1]s.products, %[1]s.orders, %[1]s.order_items", st.main),
		fmt.Sprintf("VACUUM ANALYZE %[1]s.products, %[1]s.orders, %[1]s.order_items", pg.schema),
	); err != nil {
		return err
	}
	script := strings.Replace(orderScript, "{{name}}", sqlString(pg.name), 1)
	res.Script = script
	for run := 1; run <= b.opts.Runs; run++ {
		h, err := b.rushHTTP(ctx, st, vendorID, productID, n, conc)
		if err != nil {
			return err
		}
		res.HTTP = append(res.HTTP, h)
		p, err := b.pgbench(ctx, pg, "order transaction", script, n, conc, run)
		if err != nil {
			return err
		}
		res.PG = append(res.PG, p)
		b.logf("orders: run %d: HTTP %.0f orders/s (p50 %.1f ms, p99 %.1f ms), %d sold of %d, oversold %d, 5xx %d | pgbench %.0f tps (p99 %.1f ms)",
			run, h.OrdersPerSec, h.P50Ms, h.P99Ms, h.Successes, n, h.Oversold, h.Errors5xx, p.TPS, p.P99Ms)
	}
	for _, f := range floorScripts {
		var runs []PgbenchRun
		for run := 1; run <= b.opts.Runs; run++ {
			p, err := b.pgbench(ctx, pg, f.name, f.sql, n, conc, 100+run)
			if err != nil {
				return err
			}
			runs = append(runs, p)
		}
		m := medianPgbench(runs)
		res.Floors = append(res.Floors, m)
		b.logf("orders: reference, pgbench %s: %.0f tps", f.name, m.TPS)
	}
	httpRate := make([]float64, len(res.HTTP))
	var p50s, p99s []float64
	for i, h := range res.HTTP {
		httpRate[i] = h.OrdersPerSec
		p50s, p99s = append(p50s, h.P50Ms), append(p99s, h.P99Ms)
		res.Oversold += h.Oversold
		res.Errors5xx += h.Errors5xx
		if h.Successes != n || h.SoldUnits != int64(n) {
			res.WrongCount++
		}
	}
	res.OrdersPerSec, res.P50Ms, res.P99Ms = median(httpRate), median(p50s), median(p99s)
	pm := medianPgbench(res.PG)
	res.PGTPS, res.PGP99Ms = pm.TPS, pm.P99Ms
	if res.PGTPS > 0 {
		res.Ratio = res.OrdersPerSec / res.PGTPS
	}
	b.logf("orders: HTTP %.0f orders/s vs pgbench %.0f tps = %.2f×", res.OrdersPerSec, res.PGTPS, res.Ratio)
	b.res.Orders = res
	return nil
}

func medianPgbench(runs []PgbenchRun) PgbenchRun {
	if len(runs) == 0 {
		return PgbenchRun{}
	}
	s := append([]PgbenchRun(nil), runs...)
	sort.Slice(s, func(i, j int) bool { return s[i].TPS < s[j].TPS })
	m := s[len(s)/2]
	p99 := make([]float64, len(runs))
	for i, r := range runs {
		p99[i] = r.P99Ms
	}
	m.P99Ms = median(p99)
	return m
}

// rushHTTP resets the hot product to n units and lets conc customers order
// one unit each, again and again, until it is sold out.
func (b *runner) rushHTTP(ctx context.Context, st *stack, vendorID, productID int64, n, conc int) (RushRun, error) {
	var r RushRun
	s := st.main
	if err := b.exec(ctx,
		fmt.Sprintf("DELETE FROM %[1]s.order_items WHERE order_id IN (SELECT id FROM %[1]s.orders WHERE vendor_id = %[2]d)", s, vendorID),
		fmt.Sprintf("DELETE FROM %s.orders WHERE vendor_id = %d", s, vendorID),
		fmt.Sprintf("UPDATE %s.products SET stock = %d, available = TRUE, archived = FALSE WHERE id = %d", s, n, productID),
	); err != nil {
		return r, err
	}
	b.checkpoint(ctx)
	// The stock changed behind the app's back: drop the store's pages so
	// the shop does not keep saying "Sold out" from the last run.
	if err := b.opsPurge(ctx, st, b.host(2)); err != nil {
		return r, err
	}
	host := b.host(2)
	form := func(i int) []byte {
		return []byte(url.Values{
			"qty_" + strconv.FormatInt(productID, 10): {"1"},
			"name":      {"Bench Customer"},
			"phone":     {"98765 43210"},
			"address":   {"12 MG Road, Indiranagar, Bengaluru 560038"},
			"order_key": {fmt.Sprintf("rush-%s-%d", randomHex(6), i)},
			"from":      {"/"},
		}.Encode())
	}
	var ok atomic.Int64
	// The last unit is sold when the stock reaches zero: the n-th 303, or
	// the first "sold out" if that comes back sooner (the n-th order's
	// answer waits for the sold-out purge).
	var lastSale, firstSoldOut time.Time
	l := runLoop(ctx, closedLoop{
		conc: conc, max: 2*n + 20*conc, limit: 5 * time.Minute,
		next: func(i int) vegeta.Target {
			return vegeta.Target{Method: http.MethodPost, URL: st.edge.URL() + "/order", Body: form(i),
				Header: http.Header{"Host": {host}, "Content-Type": {"application/x-www-form-urlencoded"}}}
		},
		stop: func(res *vegeta.Result) bool {
			switch res.Code {
			case http.StatusSeeOther:
				if ok.Add(1) == int64(n) {
					lastSale = res.End()
				}
			case http.StatusUnprocessableEntity:
				if firstSoldOut.IsZero() || res.End().Before(firstSoldOut) {
					firstSoldOut = res.End()
				}
			}
			return ok.Load() >= int64(n)
		},
	})
	for _, res := range l.Results {
		switch {
		case res.Code == http.StatusSeeOther:
			r.Successes++
		case res.Code == http.StatusUnprocessableEntity:
			r.SoldOut++
		case res.Code >= 500:
			r.Errors5xx++
		default:
			r.Other++
		}
	}
	r.Requests = len(l.Results)
	if !lastSale.IsZero() {
		if !firstSoldOut.IsZero() && firstSoldOut.Before(lastSale) {
			lastSale = firstSoldOut
		}
		r.Seconds = lastSale.Sub(l.Begin).Seconds()
		r.OrdersPerSec = float64(n) / r.Seconds
	}
	lat := latencies(l.Results, func(res *vegeta.Result) bool { return res.Code == http.StatusSeeOther })
	r.P50Ms, r.P99Ms = percentileMs(lat, 50), percentileMs(lat, 99)
	err := b.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT
  (SELECT coalesce(sum(oi.qty), 0) FROM %[1]s.order_items oi JOIN %[1]s.orders o ON o.id = oi.order_id
   WHERE o.vendor_id = %[2]d AND oi.product_id = %[3]d),
  (SELECT stock FROM %[1]s.products WHERE id = %[3]d)`, s, vendorID, productID)).Scan(&r.SoldUnits, &r.StockAfter)
	if err != nil {
		return r, err
	}
	r.Oversold = max(0, r.SoldUnits-int64(n))
	return r, nil
}

// opsPurge drops every cached page of a store through the app's ops PURGE.
func (b *runner) opsPurge(ctx context.Context, st *stack, host string) error {
	req, _ := http.NewRequestWithContext(ctx, "PURGE", st.app.URL()+"/*", nil)
	req.Host = host
	req.Header.Set("Authorization", "Bearer "+b.purgeToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("PURGE /* on %s: %s", host, resp.Status)
	}
	return nil
}

// checkpoint starts both sides of the comparison with the same clean
// buffers, so neither pays for the other's checkpoint. It needs a
// superuser; without one the runs are simply less alike.
func (b *runner) checkpoint(ctx context.Context) {
	_ = b.exec(ctx, "CHECKPOINT")
}

// pgbenchDB is the scratch schema pgbench works in.
type pgbenchDB struct {
	schema            string
	vendorID, product int64
	name              string
}

// pgbenchSetup migrates a scratch schema with the app's own migrations (so
// tables, constraints and indexes are the app's) and adds one store with
// one product.
func (b *runner) pgbenchSetup(ctx context.Context) (*pgbenchDB, error) {
	pg := &pgbenchDB{schema: b.schema("pgbench")}
	if err := b.exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pg.schema); err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.seeded = append(b.seeded, pg.schema)
	b.mu.Unlock()
	p, err := b.spawn("migrate-pgbench", b.appEnv(appSpec{database: b.schemaDSN(pg.schema)}), nil, b.opts.Binary, "migrate")
	if err != nil {
		return nil, err
	}
	<-p.Done()
	if p.Err() != nil {
		return nil, fmt.Errorf("dukaan migrate: %v\n%s", p.Err(), p.LogEnd())
	}
	s := pg.schema
	pg.name = "Toor Dal, 250 g"
	err = b.exec(ctx,
		fmt.Sprintf("TRUNCATE %[1]s.order_items, %[1]s.orders, %[1]s.products, %[1]s.vendors RESTART IDENTITY CASCADE", s),
		fmt.Sprintf(`INSERT INTO %s.vendors (slug, name, email, password_hash, description, created_at)
VALUES ('pgbench-store', 'pgbench store', 'owner@pgbench.bench.example', 'x', '', now())`, s),
		fmt.Sprintf(`INSERT INTO %s.products (vendor_id, name, description, mrp, price, stock, available, archived, created_at, updated_at)
VALUES (1, %s, 'Fresh stock of Toor Dal, packed in the shop.', 4800, 4320, 0, TRUE, FALSE, now(), now())`, s, sqlString(pg.name)),
	)
	if err != nil {
		return nil, err
	}
	pg.vendorID, pg.product = 1, 1
	return pg, nil
}

var (
	tpsRE    = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	latRE    = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
	failRE   = regexp.MustCompile(`number of failed transactions: (\d+)`)
	doneRE   = regexp.MustCompile(`number of transactions actually processed: (\d+)`)
	abortsRE = regexp.MustCompile(`(?m)^.*(aborted|error).*$`)
)

// pgbench runs script for exactly n transactions over conc clients.
func (b *runner) pgbench(ctx context.Context, pg *pgbenchDB, name, script string, n, conc, run int) (PgbenchRun, error) {
	r := PgbenchRun{Name: name}
	s := pg.schema
	stock := n
	if name != "order transaction" {
		stock = 1_000_000_000 // the floors do not check the stock
	}
	if err := b.exec(ctx,
		fmt.Sprintf("TRUNCATE %[1]s.order_items, %[1]s.orders", s),
		fmt.Sprintf("UPDATE %s.products SET stock = %d WHERE id = %d", s, stock, pg.product),
	); err != nil {
		return r, err
	}
	b.checkpoint(ctx)
	dir := filepath.Join(b.work, "pgbench", fmt.Sprintf("%s-%d", slug(name), run))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return r, err
	}
	scriptPath := filepath.Join(dir, "script.sql")
	if err := os.WriteFile(scriptPath, []byte(script), 0o644); err != nil {
		return r, err
	}
	u, err := url.Parse(b.opts.PostgresURL)
	if err != nil {
		return r, err
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, "5432"
	}
	threads := min(b.opts.Threads, conc)
	args := []string{"-h", host, "-p", port, "-U", u.User.Username(), "-n", "-M", "simple",
		"-c", strconv.Itoa(conc), "-j", strconv.Itoa(threads), "-t", strconv.Itoa(n / conc),
		"-D", "n=0", "-D", "run=" + strconv.Itoa(run),
		"-D", "vid=" + strconv.FormatInt(pg.vendorID, 10), "-D", "pid=" + strconv.FormatInt(pg.product, 10),
		"-f", scriptPath, "--log", "--log-prefix=" + filepath.Join(dir, "txn"), b.opts.Database}
	if run == 1 || run == 101 {
		b.note("pgbench", "PGOPTIONS='-c search_path="+s+"' pgbench "+strings.Join(b.relArgs(args), " "))
	}
	r.Command = "pgbench " + strings.Join(b.relArgs(args), " ")
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, b.bins.pgbench, args...)
	cmd.Dir = dir
	cmd.Env = append(childEnv(), "PGOPTIONS=-c search_path="+s)
	if pw, ok := u.User.Password(); ok {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+pw)
	}
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(dir, "output.txt"), out, 0o644)
	if err != nil {
		return r, fmt.Errorf("pgbench %s: %v\n%s", name, err, out)
	}
	text := string(out)
	if m := tpsRE.FindStringSubmatch(text); m != nil {
		r.TPS, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := latRE.FindStringSubmatch(text); m != nil {
		r.AvgMs, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := failRE.FindStringSubmatch(text); m != nil {
		r.Failed, _ = strconv.Atoi(m[1])
	}
	if m := doneRE.FindStringSubmatch(text); m != nil {
		r.Transactions, _ = strconv.Atoi(m[1])
	}
	if r.TPS == 0 || r.Transactions != n/conc*conc {
		return r, fmt.Errorf("pgbench %s: %d of %d transactions; %s\n%s", name, r.Transactions, n/conc*conc,
			strings.Join(abortsRE.FindAllString(text, 5), "; "), text)
	}
	lat, err := pgbenchLatencies(dir)
	if err != nil {
		return r, err
	}
	r.P50Ms, r.P99Ms = percentileMs(lat, 50), percentileMs(lat, 99)
	return r, nil
}

// pgbenchLatencies reads the per-transaction logs: "client txn time_us
// script epoch us".
func pgbenchLatencies(dir string) ([]time.Duration, error) {
	files, err := filepath.Glob(filepath.Join(dir, "txn.*"))
	if err != nil {
		return nil, err
	}
	var out []time.Duration
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			us, err := strconv.ParseInt(fields[2], 10, 64)
			if err == nil {
				out = append(out, time.Duration(us)*time.Microsecond)
			}
		}
		fh.Close()
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}
