package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"dukaan/app"
	"dukaan/storage/jobs"
)

var _ app.WebhookService = (*DB)(nil)

// webhookKeep is how many deliveries a shop keeps: the console shows 50,
// and the rest are there to look back a little further. The prune runs
// where a delivery finishes (RecordWebhookAttempt), not in the order's
// transaction, and never removes a pending one.
const webhookKeep = 500

// maxWebhookError bounds the error text kept per delivery.
const maxWebhookError = 500

type webhookEndpointModel struct {
	bun.BaseModel `bun:"table:webhook_endpoints,alias:we"`

	VendorID  int64     `bun:"vendor_id,pk"`
	URL       string    `bun:"url"`
	Secret    string    `bun:"secret"`
	Events    string    `bun:"events"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func (m *webhookEndpointModel) toApp() *app.WebhookEndpoint {
	return &app.WebhookEndpoint{
		VendorID: m.VendorID, URL: m.URL, Events: parseEvents(m.Events),
		HasSecret: m.Secret != "", UpdatedAt: m.UpdatedAt.UTC(),
	}
}

func parseEvents(s string) []app.NoticeKind {
	var out []app.NoticeKind
	for _, e := range strings.Split(s, ",") {
		if k := app.NoticeKind(e); k.Valid() {
			out = append(out, k)
		}
	}
	return out
}

func joinEvents(ks []app.NoticeKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

type webhookDeliveryModel struct {
	bun.BaseModel `bun:"table:webhook_deliveries,alias:wd"`

	ID          int64     `bun:"id,pk,autoincrement"`
	VendorID    int64     `bun:"vendor_id"`
	DeliveryID  string    `bun:"delivery_id"`
	EventID     string    `bun:"event_id"`
	Event       string    `bun:"event"`
	Body        string    `bun:"body"`
	State       string    `bun:"state"`
	Attempts    int       `bun:"attempts"`
	StatusCode  int       `bun:"status_code"`
	DurationMS  int64     `bun:"duration_ms"`
	LastError   string    `bun:"last_error"`
	CreatedAt   time.Time `bun:"created_at"`
	AttemptedAt time.Time `bun:"attempted_at,nullzero"`
}

func (m *webhookDeliveryModel) toApp() *app.WebhookDelivery {
	w := &app.WebhookDelivery{
		ID: m.ID, VendorID: m.VendorID, DeliveryID: m.DeliveryID, EventID: m.EventID, Event: m.Event,
		State: app.DeliveryState(m.State), Attempts: m.Attempts, StatusCode: m.StatusCode,
		Duration: time.Duration(m.DurationMS) * time.Millisecond, LastError: m.LastError,
		CreatedAt: m.CreatedAt.UTC(),
	}
	if !m.AttemptedAt.IsZero() {
		w.AttemptedAt = m.AttemptedAt.UTC()
	}
	return w
}

// randomID is prefix and 16 random bytes in hex.
func randomID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return prefix + hex.EncodeToString(b)
}

func newWebhookSecret() string { return randomID("whsec_", 32) }

func errDeliveryNotFound() error { return app.Errorf(app.ENOTFOUND, "Delivery not found.") }

func noEndpoint() error {
	msg := "Save your endpoint's address first."
	return app.Invalid(msg, map[string]string{"url": msg})
}

func endpointOf(ctx context.Context, db bun.IDB, vendorID int64) (*webhookEndpointModel, error) {
	var m webhookEndpointModel
	err := db.NewSelect().Model(&m).Where("vendor_id = ?", vendorID).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &m, err
}

// WebhookEndpoint is the shop's endpoint, a zero one when it has none.
func (d *DB) WebhookEndpoint(ctx context.Context, vendorID int64) (*app.WebhookEndpoint, error) {
	m, err := endpointOf(ctx, d.db, vendorID)
	if err != nil {
		return nil, wrap("WebhookEndpoint", err)
	}
	if m == nil {
		return &app.WebhookEndpoint{VendorID: vendorID}, nil
	}
	return m.toApp(), nil
}

// SaveWebhook saves the URL and events; the first save generates the
// secret and returns it.
func (d *DB) SaveWebhook(ctx context.Context, vendorID int64, in app.WebhookInput) (*app.WebhookEndpoint, string, error) {
	if fields := in.Validate(); len(fields) > 0 {
		return nil, "", app.Invalid("Please correct the highlighted fields.", fields)
	}
	var out *app.WebhookEndpoint
	var secret string
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		m, err := endpointOf(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		if m == nil {
			secret = newWebhookSecret()
			m = &webhookEndpointModel{VendorID: vendorID, URL: in.URL, Secret: secret, Events: joinEvents(in.Events), UpdatedAt: now()}
			if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
				if isForeignKeyViolation(err) {
					return app.Errorf(app.ENOTFOUND, "Store not found.")
				}
				return err
			}
		} else {
			if m.Secret == "" {
				secret = newWebhookSecret()
				m.Secret = secret
			}
			m.URL, m.Events, m.UpdatedAt = in.URL, joinEvents(in.Events), now()
			if _, err := tx.NewUpdate().Model(m).WherePK().Exec(ctx); err != nil {
				return err
			}
		}
		out = m.toApp()
		return nil
	})
	if err != nil {
		return nil, "", wrap("SaveWebhook", err)
	}
	return out, secret, nil
}

// RotateWebhookSecret replaces the shop's secret.
func (d *DB) RotateWebhookSecret(ctx context.Context, vendorID int64) (string, error) {
	secret := newWebhookSecret()
	res, err := d.db.NewUpdate().Model((*webhookEndpointModel)(nil)).
		Set("secret = ?", secret).Set("updated_at = ?", now()).
		Where("vendor_id = ?", vendorID).Where("url <> ''").Exec(ctx)
	if err != nil {
		return "", wrap("RotateWebhookSecret", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", noEndpoint()
	}
	return secret, nil
}

// SendWebhookTest owes a ping to the shop's endpoint.
func (d *DB) SendWebhookTest(ctx context.Context, vendorID int64) (*app.WebhookDelivery, error) {
	var out *app.WebhookDelivery
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		t, err := d.webhookTarget(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		if t == nil {
			return noEndpoint()
		}
		eventID := randomID("evt_", 16)
		body := app.WebhookBody{
			ID: eventID, Type: app.WebhookPing, CreatedAt: now().Format(time.RFC3339), Store: t.store,
			Data: app.WebhookData{Message: "A test event from the Dukaan console."},
		}
		m, err := d.oweWebhookTx(ctx, tx, vendorID, body)
		if err != nil {
			return err
		}
		out = m.toApp()
		return nil
	})
	if err != nil {
		return nil, wrap("SendWebhookTest", err)
	}
	return out, nil
}

// WebhookDeliveries lists the newest deliveries first.
func (d *DB) WebhookDeliveries(ctx context.Context, vendorID int64, limit int) ([]*app.WebhookDelivery, error) {
	if limit <= 0 || limit > webhookKeep {
		limit = webhookKeep
	}
	var ms []webhookDeliveryModel
	err := d.db.NewSelect().Model(&ms).ExcludeColumn("body").Where("vendor_id = ?", vendorID).
		OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, wrap("WebhookDeliveries", err)
	}
	out := make([]*app.WebhookDelivery, len(ms))
	for i := range ms {
		out[i] = ms[i].toApp()
	}
	return out, nil
}

// ResendWebhook owes a failed delivery again, under the same delivery id.
func (d *DB) ResendWebhook(ctx context.Context, vendorID, id int64) (*app.WebhookDelivery, error) {
	var out *app.WebhookDelivery
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var m webhookDeliveryModel
		err := tx.NewSelect().Model(&m).Where("id = ?", id).Where("vendor_id = ?", vendorID).Limit(1).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return errDeliveryNotFound()
		} else if err != nil {
			return err
		}
		if m.State != string(app.DeliveryFailed) {
			return app.Errorf(app.ECONFLICT, "Only a failed delivery can be sent again; this one is %s.", m.State)
		}
		// Conditional, so two clicks at once owe one job, not two.
		res, err := tx.NewUpdate().Model((*webhookDeliveryModel)(nil)).Set("state = ?", string(app.DeliveryPending)).
			Where("id = ?", id).Where("vendor_id = ?", vendorID).Where("state = ?", string(app.DeliveryFailed)).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ECONFLICT, "This delivery is already being sent again.")
		}
		m.State = string(app.DeliveryPending)
		if err := d.jobs.InsertWebhookTx(ctx, tx.Tx, jobs.WebhookArgs{VendorID: vendorID, DeliveryID: m.ID, Event: m.Event}); err != nil {
			return err
		}
		out = m.toApp()
		return nil
	})
	if err != nil {
		return nil, wrap("ResendWebhook", err)
	}
	return out, nil
}

// WebhookRequest is what the next attempt at a delivery sends: its stored
// body, to the shop's endpoint as configured now. ENOTFOUND when the
// delivery is gone (pruned); URL "" when the shop removed its endpoint.
func (d *DB) WebhookRequest(ctx context.Context, vendorID, id int64) (*app.WebhookRequest, error) {
	var m webhookDeliveryModel
	err := d.db.NewSelect().Model(&m).Where("id = ?", id).Where("vendor_id = ?", vendorID).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errDeliveryNotFound()
	} else if err != nil {
		return nil, wrap("WebhookRequest", err)
	}
	ep, err := endpointOf(ctx, d.db, vendorID)
	if err != nil {
		return nil, wrap("WebhookRequest", err)
	}
	r := &app.WebhookRequest{DeliveryID: m.DeliveryID, Event: m.Event, Body: []byte(m.Body)}
	if ep != nil && ep.Secret != "" {
		r.URL, r.Secret = ep.URL, ep.Secret
	}
	return r, nil
}

// RecordWebhookAttempt writes one attempt's result on the delivery:
// delivered after a 2xx, failed when the attempt was the last one, else
// still pending. A finished delivery prunes the shop's oldest beyond
// webhookKeep.
func (d *DB) RecordWebhookAttempt(ctx context.Context, vendorID, id int64, r app.WebhookResult, final bool) error {
	state, msg := app.DeliveryPending, ""
	switch {
	case r.OK():
		state = app.DeliveryDelivered
	case final:
		state = app.DeliveryFailed
	}
	if r.Err != nil {
		msg = r.Err.Error()
		if len(msg) > maxWebhookError {
			msg = strings.ToValidUTF8(msg[:maxWebhookError], "") + "…"
		}
	}
	_, err := d.db.NewUpdate().Model((*webhookDeliveryModel)(nil)).
		Set("attempts = attempts + 1").
		Set("status_code = ?", r.StatusCode).
		Set("duration_ms = ?", r.Duration.Milliseconds()).
		Set("last_error = ?", msg).
		Set("attempted_at = ?", now()).
		Set("state = ?", string(state)).
		Where("id = ?", id).Where("vendor_id = ?", vendorID).Exec(ctx)
	if err != nil {
		return wrap("RecordWebhookAttempt", err)
	}
	if state == app.DeliveryPending {
		return nil
	}
	_, err = d.db.NewDelete().Model((*webhookDeliveryModel)(nil)).
		Where("vendor_id = ?", vendorID).Where("state <> ?", string(app.DeliveryPending)).
		Where("id <= (SELECT id FROM webhook_deliveries WHERE vendor_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)", vendorID, webhookKeep).
		Exec(ctx)
	return wrap("RecordWebhookAttempt", err)
}

// webhookTarget is the shop's endpoint with its store, or nil when it has
// no endpoint (or no secret: nothing unsigned is ever sent).
type webhookTarget struct {
	events []app.NoticeKind
	store  app.WebhookStore
}

func (d *DB) webhookTarget(ctx context.Context, tx bun.IDB, vendorID int64) (*webhookTarget, error) {
	var row struct {
		Events string `bun:"events"`
		Slug   string `bun:"slug"`
		Name   string `bun:"name"`
	}
	err := tx.NewSelect().ColumnExpr("we.events, v.slug, v.name").
		TableExpr("webhook_endpoints AS we").Join("JOIN vendors AS v ON v.id = we.vendor_id").
		Where("we.vendor_id = ?", vendorID).Where("we.url <> ''").Where("we.secret <> ''").
		Limit(1).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return &webhookTarget{events: parseEvents(row.Events), store: app.WebhookStore{Slug: row.Slug, Name: row.Name}}, nil
}

// oweWebhookTx writes a pending delivery of body and its job in tx.
func (d *DB) oweWebhookTx(ctx context.Context, tx bun.Tx, vendorID int64, body app.WebhookBody) (*webhookDeliveryModel, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	m := &webhookDeliveryModel{
		VendorID: vendorID, DeliveryID: randomID("dlv_", 16), EventID: body.ID, Event: body.Type,
		Body: string(b), State: string(app.DeliveryPending), CreatedAt: now(),
	}
	if _, err := tx.NewInsert().Model(m).ExcludeColumn("attempted_at").Returning("id").Exec(ctx); err != nil {
		return nil, err
	}
	if err := d.jobs.InsertWebhookTx(ctx, tx.Tx, jobs.WebhookArgs{VendorID: vendorID, DeliveryID: m.ID, Event: m.Event}); err != nil {
		return nil, err
	}
	return m, nil
}
