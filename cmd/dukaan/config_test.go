package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfig: settings that must stop the program name the
// variable at fault.
func TestConfig(t *testing.T) {
	base := func(t *testing.T) map[string]string {
		return map[string]string{
			"DUKAAN_ENV":         "production",
			"DUKAAN_ADDR":        "127.0.0.1:0",
			"DUKAAN_BASE_DOMAIN": baseDomain,
			"DATABASE_URL":       filepath.Join(t.TempDir(), "dukaan.db"),
			"DUKAAN_SECRET":      testSecret,
			"DUKAAN_SEED_DEMO":   "false",
			"DUKAAN_PURGE_TOKEN": "e2e-purge-token-0123456789",
			"DUKAAN_HTTPS":       "true",
			"DUKAAN_SMTP_URL":    "smtp://mailer:s3cret-pass@mail.example.in:587",
			"DUKAAN_MAIL_FROM":   "Dukaan <orders@example.in>",
		}
	}
	tests := []struct {
		name string
		edit func(env map[string]string)
		want string // in the error
	}{
		{"production without a secret", func(e map[string]string) { delete(e, "DUKAAN_SECRET") }, "DUKAAN_SECRET"},
		{"production with the development secret", func(e map[string]string) { e["DUKAAN_SECRET"] = devSecret }, "DUKAAN_SECRET"},
		{"production with the demo store", func(e map[string]string) { e["DUKAAN_SEED_DEMO"] = "true" }, "DUKAAN_SEED_DEMO"},
		{"production without a purge token", func(e map[string]string) { delete(e, "DUKAAN_PURGE_TOKEN") }, "DUKAAN_PURGE_TOKEN"},
		{"production over plain http", func(e map[string]string) { e["DUKAAN_HTTPS"] = "false" }, "DUKAAN_HTTPS"},
		{"production trusting every address", func(e map[string]string) { e["DUKAAN_TRUSTED_PROXIES"] = "10.0.0.1,0.0.0.0/0" }, "DUKAAN_TRUSTED_PROXIES"},
		{"production with .env.example's secret", func(e map[string]string) {
			e["DUKAAN_SECRET"] = "REPLACE-ME-with-openssl-rand-hex-32-output-0000000000"
		}, "DUKAAN_SECRET"},
		{"production with edges but no edge purge token", func(e map[string]string) {
			e["DUKAAN_EDGES"] = "http://10.0.0.5:8080"
			delete(e, "DUKAAN_EDGE_PURGE_TOKEN")
		}, "DUKAAN_EDGE_PURGE_TOKEN"},
		{"edge purge token with characters nginx would read", func(e map[string]string) {
			e["DUKAAN_EDGE_PURGE_TOKEN"] = `abcdefghijklmnop"; return 200; #`
		}, "DUKAAN_EDGE_PURGE_TOKEN"},
		{"production with a fake purge token", func(e map[string]string) { e["DUKAAN_PURGE_TOKEN"] = "FAKE-purge-token-0000000" }, "DUKAAN_PURGE_TOKEN"},
		{"production with a placeholder database password", func(e map[string]string) {
			e["DATABASE_URL"] = "postgres://dukaan:REPLACE-ME-postgres-password@db:5432/dukaan"
		}, "DATABASE_URL"},
		{"short secret", func(e map[string]string) { e["DUKAAN_ENV"] = "test"; e["DUKAAN_SECRET"] = "too-short" }, "DUKAAN_SECRET"},
		{"address without port", func(e map[string]string) { e["DUKAAN_ENV"] = "test"; e["DUKAAN_ADDR"] = "localhost" }, "DUKAAN_ADDR"},
		{"address that is not one", func(e map[string]string) { e["DUKAAN_ENV"] = "test"; e["DUKAAN_ADDR"] = "not an address" }, "DUKAAN_ADDR"},
		{"unknown environment", func(e map[string]string) { e["DUKAAN_ENV"] = "staging" }, "DUKAAN_ENV"},
		{"production without an SMTP server", func(e map[string]string) { delete(e, "DUKAAN_SMTP_URL") }, "DUKAAN_SMTP_URL"},
		{"production without a sender", func(e map[string]string) { delete(e, "DUKAAN_MAIL_FROM") }, "DUKAAN_MAIL_FROM"},
		{"SMTP URL of another scheme", func(e map[string]string) { e["DUKAAN_SMTP_URL"] = "http://mail.example.in" }, "DUKAAN_SMTP_URL"},
		{"SMTP URL without a host", func(e map[string]string) { e["DUKAAN_SMTP_URL"] = "smtp://:587" }, "DUKAAN_SMTP_URL"},
		{"SMTP URL with a bad port", func(e map[string]string) { e["DUKAAN_SMTP_URL"] = "smtps://mail.example.in:70000" }, "DUKAAN_SMTP_URL"},
		{"sender that is not an address", func(e map[string]string) { e["DUKAAN_MAIL_FROM"] = "orders at example" }, "DUKAAN_MAIL_FROM"},
		{"mail switch neither on nor off", func(e map[string]string) { e["DUKAAN_MAIL"] = "maybe" }, "DUKAAN_MAIL"},
		{"base domain with a port", func(e map[string]string) { e["DUKAAN_BASE_DOMAIN"] = "dukaan.test:8080" }, "DUKAAN_BASE_DOMAIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := base(t)
			tt.edit(env)

			cfg, err := LoadConfig(env)
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error naming %s", err, tt.want)
			}

			// run refuses before it opens anything.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := run(ctx, []string{"serve"}, env, io.Discard); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run() = %v, want an error naming %s", err, tt.want)
			}
		})
	}

	t.Run("production done right", func(t *testing.T) {
		env := base(t)
		delete(env, "DUKAAN_SEED_DEMO") // off by default in production
		cfg, err := LoadConfig(env)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("Validate() = %v, want nil", err)
		}
		if cfg.ShouldSeedDemo() {
			t.Error("production seeds the demo store by default")
		}
	})

	t.Run("production with email off", func(t *testing.T) {
		env := base(t)
		delete(env, "DUKAAN_SMTP_URL")
		delete(env, "DUKAAN_MAIL_FROM")
		env["DUKAAN_MAIL"] = "off"
		cfg, err := LoadConfig(env)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("Validate() = %v, want nil", err)
		}
		if cfg.SMTPConfigured() || !cfg.MailOff() {
			t.Errorf("DUKAAN_MAIL=off: SMTPConfigured %v, MailOff %v", cfg.SMTPConfigured(), cfg.MailOff())
		}
	})

	t.Run("address that cannot be listened on", func(t *testing.T) {
		env := base(t)
		env["DUKAAN_ENV"] = "test"
		env["DUKAAN_ADDR"] = "127.0.0.1:99999"
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := run(ctx, nil, env, io.Discard); err == nil {
			t.Error("run() with DUKAAN_ADDR=127.0.0.1:99999 = nil, want an error")
		}
	})

	t.Run("not a boolean", func(t *testing.T) {
		env := base(t)
		env["DUKAAN_SEED_DEMO"] = "perhaps"
		_, err := LoadConfig(env)
		if err == nil || !strings.Contains(err.Error(), "DUKAAN_SEED_DEMO") {
			t.Errorf("LoadConfig() with DUKAAN_SEED_DEMO=perhaps = %v, want an error naming the variable", err)
		}
	})
}
