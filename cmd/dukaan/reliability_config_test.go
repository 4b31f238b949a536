package main

import (
	"strings"
	"testing"
	"time"

	"dukaan/storage/ratelimit"
)

// TestConfigLimits: the rate limits and the bcrypt cost are read, have
// safe defaults, and bad values stop the program naming the variable.
func TestConfigLimits(t *testing.T) {
	base := map[string]string{"DUKAAN_ENV": "production", "DUKAAN_HTTPS": "true", "DUKAAN_SECRET": testSecret, "DUKAAN_PURGE_TOKEN": "e2e-purge-token-0123456789", "DUKAAN_MAIL": "off"}
	cfg, err := LoadConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for name, tt := range map[string]struct{ got, want ratelimit.Rate }{
		"DUKAAN_LOGIN_LIMIT_ACCOUNT": {cfg.LoginLimitAccount, ratelimit.Rate{N: 5, Per: time.Minute}},
		"DUKAAN_LOGIN_LIMIT_IP":      {cfg.LoginLimitIP, ratelimit.Rate{N: 20, Per: time.Minute}},
		"DUKAAN_SIGNUP_LIMIT_IP":     {cfg.SignupLimitIP, ratelimit.Rate{N: 10, Per: time.Hour}},
	} {
		if tt.got != tt.want {
			t.Errorf("%s defaults to %v, want %v", name, tt.got, tt.want)
		}
	}
	if cfg.BcryptCost != 0 {
		t.Errorf("DUKAAN_BCRYPT_COST defaults to %d, want 0 (bcrypt's own)", cfg.BcryptCost)
	}

	with := func(k, v string) map[string]string {
		m := cloneEnv(base)
		m[k] = v
		return m
	}
	for _, env := range []map[string]string{
		with("DUKAAN_LOGIN_LIMIT_ACCOUNT", "lots"),
		with("DUKAAN_LOGIN_LIMIT_IP", "5/fortnight"),
		with("DUKAAN_SIGNUP_LIMIT_IP", "-3/h"),
	} {
		if _, err := LoadConfig(env); err == nil {
			t.Errorf("LoadConfig(%v) accepted a bad rate", env)
		}
	}
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{with("DUKAAN_BCRYPT_COST", "4"), "DUKAAN_BCRYPT_COST"},
		{with("DUKAAN_BCRYPT_COST", "40"), "DUKAAN_BCRYPT_COST"},
	} {
		cfg, err := LoadConfig(tt.env)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%v) = %v, want an error naming %s", tt.env, err, tt.want)
		}
	}
	test := with("DUKAAN_BCRYPT_COST", "4")
	test["DUKAAN_ENV"] = "test"
	if cfg, err := LoadConfig(test); err != nil || cfg.Validate() != nil || cfg.BcryptCost != 4 {
		t.Errorf("DUKAAN_ENV=test with DUKAAN_BCRYPT_COST=4: %v %v", err, cfg.Validate())
	}
	off := with("DUKAAN_LOGIN_LIMIT_IP", "off")
	if cfg, err := LoadConfig(off); err != nil || !cfg.LoginLimitIP.Off() {
		t.Errorf("DUKAAN_LOGIN_LIMIT_IP=off: %v %v", cfg.LoginLimitIP, err)
	}
}
