package storage_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func TestShopSearch(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "searchy")
		other := storagetest.Vendor(t, db, "other-search")
		add := func(vendorID int64, name, desc string, available bool) int64 {
			t.Helper()
			p, err := db.CreateProduct(ctx, vendorID, app.ProductInput{Name: name, Description: desc, MRP: 1000, Price: 900, Stock: 3, Available: available})
			if err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		cafe := add(v.ID, "Café Mocha Beans", "Dark roast.", true)
		descOnly := add(v.ID, "Morning blend", "Tastes like a café au lait.", true)
		mithai := add(v.ID, "मिठाई डिब्बा", "Assorted sweets box.", true)
		kaju := add(v.ID, "Kaju Katli 500 g", "Cashew fudge", true)
		hidden := add(v.ID, "Hidden café", "", false)
		add(other.ID, "Café of another shop", "", true)
		percent := add(v.ID, "Flat 50% off mix", "", true)

		search := func(q string) []int64 {
			t.Helper()
			ps, total, err := db.Products(ctx, app.ProductFilter{VendorID: v.ID, OnSaleOnly: true, Search: app.NormalizeSearch(q)})
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			if total != len(ps) {
				t.Fatalf("search %q: total %d for %d rows", q, total, len(ps))
			}
			return productIDs(ps)
		}
		for _, c := range []struct {
			q    string
			want []int64
		}{
			{"CAFE", []int64{cafe, descOnly}}, // accents and case aside; the name's match first
			{"  café   MOCHA ", []int64{cafe}},
			{"mocha cafe", []int64{cafe}}, // every word, any order
			{"मिठाई", []int64{mithai}},    // Devanagari as is
			{"डिब्", []int64{mithai}},     // a substring
			{"मठ", nil},                   // vowel signs are not dropped
			{"kaju katli", []int64{kaju}},
			{"cashew", []int64{kaju}},
			{"50%", []int64{percent}}, // % is a character, not a wildcard
			{"%", []int64{percent}},
			{"zzz", nil},
		} {
			if got := search(c.q); !slices.Equal(got, c.want) {
				t.Errorf("search %q = %v, want %v", c.q, got, c.want)
			}
		}
		_ = hidden // not on sale: "cafe" above does not find it
		// An edit re-folds the text.
		if _, err := db.UpdateProduct(ctx, v.ID, kaju, app.ProductInput{Name: "Kesar Peda", Description: "Saffron", MRP: 1000, Price: 900, Stock: 3, Available: true}); err != nil {
			t.Fatal(err)
		}
		if got := search("kaju"); len(got) != 0 {
			t.Errorf("old name still found: %v", got)
		}
		if got := search("kesar"); !slices.Equal(got, []int64{kaju}) {
			t.Errorf("new name not found: %v", got)
		}
	})
}

func TestNormalizeSearch(t *testing.T) {
	for in, want := range map[string]string{
		"  Kaju\t\tKATLI \n": "kaju katli",
		"":                   "",
		"   ":                "",
		" मिठाई ":            "मिठाई",
	} {
		if got := app.NormalizeSearch(in); got != want {
			t.Errorf("NormalizeSearch(%q) = %q, want %q", in, got, want)
		}
	}
	long := app.NormalizeSearch(fmt.Sprint(make([]int, 50)))
	if n := len([]rune(long)); n > app.MaxSearchLen {
		t.Errorf("normalised query has %d characters", n)
	}
}

// BenchmarkShopSearch measures a search of a shop with 5,000 products
// (the bulk seed's names) on each database and reports the median.
//
//	go test -run '^$' -bench BenchmarkShopSearch -benchtime 300x ./storage
func BenchmarkShopSearch(b *testing.B) {
	for _, d := range storagetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			db := storagetest.Open(b, d, nil)
			if err := storage.SeedBulk(b.Context(), db, 1, 5000, nil); err != nil {
				b.Fatal(err)
			}
			var vendorID int64
			if err := db.Bun().NewRaw("SELECT id FROM vendors LIMIT 1").Scan(b.Context(), &vendorID); err != nil {
				b.Fatal(err)
			}
			queries := []string{"dal", "basmati rice", "tea", "ghee 1 kg", "pack 3", "atta", "masala", "zzz", "fresh", "oil"}
			rng := rand.New(rand.NewPCG(1, 2))
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				q := queries[rng.IntN(len(queries))]
				start := time.Now()
				if _, _, err := db.Products(b.Context(), app.ProductFilter{VendorID: vendorID, OnSaleOnly: true, Search: q, Limit: 24}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
