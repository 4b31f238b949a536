package testsvc_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"dukaan/internal/testsvc"
)

func TestFormValues(t *testing.T) {
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(`<form>
<input type="hidden" name="csrf_token" value="tok">
<input name="name" value="Tea">
<textarea name="description">Strong
and sweet</textarea>
<select name="status"><option value="pending">P</option><option value="shipped" selected>S</option></select>
<input type="checkbox" name="available" checked>
<input type="checkbox" name="image_remove" value="on">
<input type="radio" name="size" value="s"><input type="radio" name="size" value="l" checked>
<input type="file" name="image">
<input type="submit" name="go" value="Save">
<input value="no name">
</form>`))
	if err != nil {
		t.Fatal(err)
	}
	got := testsvc.FormValues(doc.Find("form"))
	want := map[string]string{"csrf_token": "tok", "name": "Tea", "description": "Strong\nand sweet", "status": "shipped", "available": "on", "size": "l"}
	if len(got) != len(want) {
		t.Errorf("FormValues = %v, want %v", got, want)
	}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, got.Get(k), v)
		}
	}
}
