package main

import (
	"fmt"
	"strings"
	"time"

	// The zone database, embedded (about 450 kB), so that a static binary
	// in a scratch or distroless image still knows Asia/Kolkata.
	_ "time/tzdata"
)

// Location is DUKAAN_TIMEZONE as a *time.Location. An empty value, or
// "Local" (the machine's zone, which differs between servers and
// containers), is refused: the shops' day must not depend on the host.
func (c Config) Location() (*time.Location, error) {
	name := strings.TrimSpace(c.TimeZone)
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("DUKAAN_TIMEZONE=%q: use an IANA zone name such as Asia/Kolkata", c.TimeZone)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("DUKAAN_TIMEZONE=%q: not a known time zone (use an IANA name such as Asia/Kolkata or UTC)", c.TimeZone)
	}
	return loc, nil
}

// webLocation is Location for the web layer. Validate has refused a bad
// value before the program gets here; a Config built by hand without one
// gets nil, which web takes as its default, Asia/Kolkata.
func (c Config) webLocation() *time.Location {
	loc, err := c.Location()
	if err != nil {
		return nil
	}
	return loc
}
