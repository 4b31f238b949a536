package testsvc

import (
	"net/url"

	"github.com/PuerkitoBio/goquery"
)

// FormValues is what a browser would send for a form's controls as the
// page shows them: text and hidden inputs, text areas, the selected
// option, checked boxes and radios ("on" without a value). File inputs
// and submit buttons are left out.
func FormValues(form *goquery.Selection) url.Values {
	out := url.Values{}
	form.Find("input[name], textarea[name], select[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		switch {
		case goquery.NodeName(s) == "textarea":
			out.Add(name, s.Text())
		case goquery.NodeName(s) == "select":
			v, _ := s.Find("option[selected]").First().Attr("value")
			out.Add(name, v)
		case typ == "file" || typ == "submit":
		case typ == "checkbox" || typ == "radio":
			if _, on := s.Attr("checked"); on {
				v, ok := s.Attr("value")
				if !ok {
					v = "on"
				}
				out.Add(name, v)
			}
		default:
			v, _ := s.Attr("value")
			out.Add(name, v)
		}
	})
	return out
}
