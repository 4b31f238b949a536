package ratelimit

import (
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Rate
		ok   bool
	}{
		{"5/m", Rate{5, time.Minute}, true},
		{"20/min", Rate{20, time.Minute}, true},
		{"10/h", Rate{10, time.Hour}, true},
		{"3/10s", Rate{3, 10 * time.Second}, true},
		{" 7 / s ", Rate{7, time.Second}, true},
		{"off", Rate{}, true},
		{"0", Rate{}, true},
		{"5", Rate{}, false},
		{"-1/m", Rate{}, false},
		{"5/fortnight", Rate{}, false},
		{"5/500ms", Rate{}, false},
		{"5/48h", Rate{}, false},
		{"x/m", Rate{}, false},
	} {
		got, err := ParseRate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok {
			if back, err := ParseRate(got.String()); err != nil || back != got {
				t.Errorf("ParseRate(%q.String() = %q) = %v, %v", tt.in, got.String(), back, err)
			}
		}
	}
}

// TestMemLimiter: the in-process fallback limits like a token bucket,
// forgets keys that are full again, and never holds more than its bound.
func TestMemLimiter(t *testing.T) {
	r := Rate{N: 2, Per: time.Minute}
	m := newMemLimiter(3, r)
	now := time.Now()
	for i, want := range []bool{true, true, false} {
		if ok, retry := m.allow("a", r, now); ok != want || (!ok && retry < 29*time.Second) {
			t.Errorf("try %d: allowed %v retry %s, want %v with about 30s", i+1, ok, retry, want)
		}
	}
	if ok, _ := m.allow("a", r, now.Add(31*time.Second)); !ok {
		t.Error("a token did not come back after Per/N")
	}
	for _, k := range []string{"b", "c", "d", "e"} {
		m.allow(k, r, now.Add(32*time.Second))
	}
	if n := m.len(); n != 3 {
		t.Errorf("%d keys held, want the bound 3", n)
	}
	// "a" was the least recently used and is gone: a fresh allowance.
	if ok, _ := m.allow("a", r, now.Add(33*time.Second)); !ok {
		t.Error("evicted key still limited")
	}
	m.allow("z", r, now.Add(10*time.Minute))
	if n := m.len(); n != 1 {
		t.Errorf("%d keys after every other bucket refilled, want 1", n)
	}
	m.reset("z")
	if n := m.len(); n != 0 {
		t.Errorf("%d keys after reset, want 0", n)
	}
}
