package web

import (
	"strings"
	"testing"
	"time"

	"dukaan/app"
)

// TestProductCardsEager: the first eagerCards photos of a grid load at once
// (one of them is usually the Largest Contentful Paint), the rest lazily,
// and the same product renders each way from its own cache entry.
func TestProductCardsEager(t *testing.T) {
	r, err := newRenderer(time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var ps []*app.Product
	for i := int64(1); i <= eagerCards+2; i++ {
		ps = append(ps, &app.Product{ID: i, VendorID: 3, Name: "Item " + itoa(i), MRP: 1000, Price: 900, Stock: 5, Available: true, Image: "3/0123456789abcdef"})
	}
	for round := range 2 { // the second round comes from the card cache
		grid, err := r.productCards(ps, Form{})
		if err != nil {
			t.Fatal(err)
		}
		cards := strings.Split(string(grid), "<li ")[1:]
		if len(cards) != len(ps) {
			t.Fatalf("round %d: %d cards, want %d", round, len(cards), len(ps))
		}
		for i, c := range cards {
			if !strings.Contains(c, `width="320" height="240"`) {
				t.Errorf("round %d: card %d has no width and height: %s", round, i, c)
			}
			if lazy, want := strings.Contains(c, `loading="lazy"`), i >= eagerCards; lazy != want {
				t.Errorf("round %d: card %d lazy = %v, want %v", round, i, lazy, want)
			}
		}
		// The product first in this grid is last in the next one.
		if round == 0 {
			ps[0], ps[len(ps)-1] = ps[len(ps)-1], ps[0]
		}
	}
}
