package app

import (
	"strings"
	"unicode/utf8"
)

// MaxSearchLen is the longest shop search query kept, in characters.
const MaxSearchLen = 60

// NormalizeSearch is a shop search query as it is matched and shown:
// trimmed, lower-cased, every run of spaces (and control characters) one
// space, at most MaxSearchLen characters. "" shows the front page.
func NormalizeSearch(q string) string {
	q = strings.ToLower(CleanText(q))
	if utf8.RuneCountInString(q) > MaxSearchLen {
		q = strings.TrimSpace(string([]rune(q)[:MaxSearchLen]))
	}
	return q
}
