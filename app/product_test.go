package app

import "testing"

func TestDiscountPercent(t *testing.T) {
	tests := []struct {
		mrp, price Paise
		want       int64
	}{
		{1000, 1000, 0}, {1000, 750, 25}, {999, 500, 49}, {0, 0, 0}, {1000, 1200, 0},
	}
	for _, tt := range tests {
		p := Product{MRP: tt.mrp, Price: tt.price}
		if got := p.DiscountPercent(); got != tt.want {
			t.Errorf("DiscountPercent(%d, %d) = %d, want %d", tt.mrp, tt.price, got, tt.want)
		}
	}
}
