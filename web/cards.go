package web

import (
	"bytes"
	"html/template"
	"strconv"
	"strings"
	"sync"

	"github.com/vmihailenco/go-tinylfu"

	"dukaan/app"
)

// Product cards are most of a shop page's render (html/template's
// reflection over ~40 actions per card), and a card changes only when its
// product does. So each card is rendered once per version of what it
// shows and kept, and pages are assembled from those fragments: the bytes
// are exactly what the "product_card" template gives (TestShopGolden).

// cardCacheSize bounds the kept cards: about 1 KB each, so ~30 MB at most,
// and a TinyLFU keeps the often-shown ones when there are more.
const cardCacheSize = 30_000

type cardCache struct {
	mu  sync.Mutex
	lfu *tinylfu.T
}

func newCardCache() *cardCache {
	return &cardCache{lfu: tinylfu.New(cardCacheSize, 100_000)}
}

// cardKey is everything a card shows, length-prefixed so no two products
// share a key: a new price, name, photo or stock level is a new card.
func cardKey(p *app.Product) string {
	b := make([]byte, 0, 64+len(p.Name)+len(p.Description)+len(p.Image))
	b = strconv.AppendInt(b, p.ID, 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(p.MRP), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(p.Price), 10)
	b = append(b, ':')
	b = strconv.AppendBool(b, p.SoldOut())
	// A product with variants shows "from" its lowest orderable price:
	// any variant edit or sale that moves it, or the sold-out state,
	// is a new card.
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(len(p.Variants)), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(p.FromPrice()), 10)
	for _, s := range []string{p.Name, p.Description, p.Image} {
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	return string(b)
}

// cardIndent is what went before each card when the grid was a range in
// order_form.html; TestShopGolden holds it to the bytes.
const cardIndent = "\n        "

// eagerCards is how many cards at the top of a grid load their photo at
// once: the first row or two is on screen as the page opens (two columns
// on a phone), and one of those photos is usually the page's Largest
// Contentful Paint, which a lazy image delays until layout (Lighthouse's
// lcp-lazy-loaded). The rest stay loading="lazy".
const eagerCards = 4

// productCards is the grid's cards, each on its own indented line: one
// template call per page instead of one per card.
func (r *renderer) productCards(ps []*app.Product, f Form) (template.HTML, error) {
	cards := make([]template.HTML, len(ps))
	n := 0
	for i, p := range ps {
		card, err := r.productCard(p, f, i < eagerCards)
		if err != nil {
			return "", err
		}
		cards[i] = card
		n += len(cardIndent) + len(card)
	}
	var b strings.Builder
	b.Grow(n)
	for _, card := range cards {
		b.WriteString(cardIndent)
		b.WriteString(string(card))
	}
	return template.HTML(b.String()), nil
}

// productCard renders the "product_card" template for p: from the cache
// unless the form (after a refused order) has a value or a message for
// this card's quantity field, which the card then shows. An eager card
// (near the top of its grid) is kept apart from the lazy one.
func (r *renderer) productCard(p *app.Product, f Form, eager bool) (template.HTML, error) {
	field := app.QtyField(p.ID)
	cacheable := f.Values[field] == "" && f.Errors[field] == ""
	var key string
	if cacheable {
		key = cardKey(p)
		if eager {
			key += ":eager"
		}
		r.cards.mu.Lock()
		v, ok := r.cards.lfu.Get(key)
		r.cards.mu.Unlock()
		if ok {
			return v.(template.HTML), nil
		}
	}
	var buf bytes.Buffer
	if err := r.pages["shop.html"].ExecuteTemplate(&buf, "product_card", map[string]any{"P": p, "Form": f, "Eager": eager}); err != nil {
		return "", err
	}
	card := template.HTML(buf.String())
	if cacheable {
		r.cards.mu.Lock()
		r.cards.lfu.Set(&tinylfu.Item{Key: key, Value: card})
		r.cards.mu.Unlock()
	}
	return card, nil
}
