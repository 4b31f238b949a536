package app

import (
	"net/url"
	"strconv"
	"testing"
)

func TestUPILink(t *testing.T) {
	tests := []struct {
		name   string
		upiID  string
		shop   string
		total  Paise
		number int64
		want   string
	}{
		{"plain", "chaicorner@okaxis", "ChaiCorner", 14900, 1,
			"upi://pay?pa=chaicorner@okaxis&pn=ChaiCorner&am=149.00&cu=INR&tn=ChaiCorner%20order%201"},
		{"spaces are %20, paise kept", "chai.corner-1@ybl", "Chai Corner", 123405, 42,
			"upi://pay?pa=chai.corner-1@ybl&pn=Chai%20Corner&am=1234.05&cu=INR&tn=Chai%20Corner%20order%2042"},
		{"query characters in the name", "asha@okhdfc", "Asha's Sweets & Snacks #1 + more", 5, 7,
			"upi://pay?pa=asha@okhdfc&pn=Asha%27s%20Sweets%20%26%20Snacks%20%231%20%2B%20more&am=0.05&cu=INR&tn=Asha%27s%20Sweets%20%26%20Snacks%20%231%20%2B%20more%20order%207"},
		{"non-ASCII as UTF-8", "dukaan@paytm", "चाय", 100000, 1000,
			"upi://pay?pa=dukaan@paytm&pn=%E0%A4%9A%E0%A4%BE%E0%A4%AF&am=1000.00&cu=INR&tn=%E0%A4%9A%E0%A4%BE%E0%A4%AF%20order%201000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := UPILink(tt.upiID, tt.shop, tt.total, tt.number)
			if got != tt.want {
				t.Errorf("UPILink =\n %s\nwant\n %s", got, tt.want)
			}
			// Whatever the encoding, a standard parser reads back what
			// went in.
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if u.Scheme != "upi" || u.Host != "pay" || q.Get("pa") != tt.upiID || q.Get("pn") != tt.shop ||
				q.Get("cu") != "INR" || q.Get("tn") != tt.shop+" order "+strconv.FormatInt(tt.number, 10) {
				t.Errorf("parsed back as %s %s %v", u.Scheme, u.Host, q)
			}
		})
	}
}
