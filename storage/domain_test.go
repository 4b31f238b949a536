package storage_test

import (
	"strings"
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func TestDomains(t *testing.T) {
	storagetest.ForEachDialectEvents(t, func(t *testing.T, db *storage.DB, rec *storagetest.Recorder) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		other := storagetest.Vendor(t, db, "other-shop")
		rec.Take()

		d, err := db.AddDomain(ctx, v.ID, "shop.example.test")
		if err != nil {
			t.Fatal(err)
		}
		if d.Verified || d.Primary || !strings.HasPrefix(d.Token, "dukaan-verify=") || len(d.Token) != len("dukaan-verify=")+32 {
			t.Fatalf("new domain = %+v", d)
		}
		if _, err := db.AddDomain(ctx, other.ID, "shop.example.test"); app.ErrorCode(err) != app.ECONFLICT || app.ErrorFields(err)["name"] == "" {
			t.Errorf("same name for another shop: %v, want ECONFLICT on name", err)
		}
		// Unverified: no lookup finds it, it cannot be primary.
		if _, _, err := db.VerifiedDomain(ctx, "shop.example.test"); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("unverified lookup: %v, want ENOTFOUND", err)
		}
		if err := db.SetPrimaryDomain(ctx, v.ID, d.ID); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("primary before verifying: %v, want EINVALID", err)
		}
		if evs := rec.Take(); len(evs) != 0 {
			t.Errorf("events of an unverified domain: %v", evs)
		}

		// A failed check says why and keeps the row.
		bad := app.DomainCheck{Problems: []string{"The TXT record _dukaan.shop.example.test is missing."}}
		d2, err := db.RecordDomainCheck(ctx, v.ID, d.ID, bad)
		if err != nil || d2.Verified || d2.CheckedAt.IsZero() || d2.CheckResult != bad.Problems[0] {
			t.Fatalf("failed check = %+v, %v", d2, err)
		}
		// Another shop cannot touch it.
		if _, err := db.RecordDomainCheck(ctx, other.ID, d.ID, app.DomainCheck{}); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("other shop's check: %v, want ENOTFOUND", err)
		}
		if _, err := db.RecordDomainCheck(ctx, v.ID, d.ID, app.DomainCheck{}); err != nil {
			t.Fatal(err)
		}
		wantEvents(t, rec.Take(), []app.ProductEvent{{Kind: app.DomainChanged, VendorID: v.ID}})
		got, slug, err := db.VerifiedDomain(ctx, "shop.example.test")
		if err != nil || slug != "chai-corner" || got.ID != d.ID || !got.Verified || got.CheckResult != "" {
			t.Fatalf("VerifiedDomain = %+v, %q, %v", got, slug, err)
		}
		if err := db.SetPrimaryDomain(ctx, other.ID, d.ID); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("other shop's primary: %v, want ENOTFOUND", err)
		}
		d3, _ := db.AddDomain(ctx, v.ID, "example.test")
		if _, err := db.RecordDomainCheck(ctx, v.ID, d3.ID, app.DomainCheck{}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetPrimaryDomain(ctx, v.ID, d3.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.SetPrimaryDomain(ctx, v.ID, d.ID); err != nil {
			t.Fatal(err)
		}
		names, err := db.ShopDomains(ctx, v.ID)
		if err != nil || strings.Join(names, ",") != "shop.example.test,example.test" {
			t.Errorf("ShopDomains = %v, %v; want the primary first", names, err)
		}
		all, _ := db.VerifiedDomains(ctx)
		if len(all) != 2 {
			t.Errorf("VerifiedDomains = %d, want 2", len(all))
		}
		// A re-check that fails flags it: not verified, not primary, kept.
		if _, err := db.RecordDomainCheck(ctx, v.ID, d.ID, bad); err != nil {
			t.Fatal(err)
		}
		list, _ := db.Domains(ctx, v.ID)
		if len(list) != 2 || list[0].Verified || list[0].Primary || list[0].CheckResult == "" {
			t.Errorf("after a failed re-check: %+v", list[0])
		}
		if names, _ := db.ShopDomains(ctx, v.ID); strings.Join(names, ",") != "example.test" {
			t.Errorf("ShopDomains after the flag = %v", names)
		}
		rec.Take()
		if _, err := db.RemoveDomain(ctx, other.ID, d3.ID); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("other shop's remove: %v", err)
		}
		if _, err := db.RemoveDomain(ctx, v.ID, d3.ID); err != nil {
			t.Fatal(err)
		}
		wantEvents(t, rec.Take(), []app.ProductEvent{{Kind: app.DomainChanged, VendorID: v.ID}})
		if _, _, err := db.VerifiedDomain(ctx, "example.test"); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("removed lookup: %v", err)
		}
		// The limit.
		for i := range app.MaxDomainsPerShop - 1 {
			if _, err := db.AddDomain(ctx, v.ID, "n"+string(rune('a'+i))+".example.test"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.AddDomain(ctx, v.ID, "more.example.test"); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("beyond the limit: %v, want EINVALID", err)
		}
	})
}
