package images

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// InUse answers which of keys some product (archived ones included) shows;
// *storage.DB implements it with one query per batch of keys.
type InUse interface {
	ImagesInUse(ctx context.Context, keys []string) (map[string]bool, error)
}

// DefaultOrphanAge is how old a photo file no product shows must be before
// SweepOrphans deletes it. An upload is stored before the product form that
// carries it is saved (or re-rendered with an error and sent again), so a
// fresh unused file is a photo on its way, not an orphan.
const DefaultOrphanAge = 24 * time.Hour

// SweepOrphans deletes the stored files older than olderThan whose photo no
// product shows: photos uploaded with a form never saved, and files a
// failed delete left behind. It also deletes upload temporaries that old (a
// replica died while writing one). It reports how many files it deleted.
//
// A key is checked after listing, so a product saved with an old upload
// while the sweep runs keeps it: the file is older than the cutoff only if
// its form took longer than olderThan to be saved.
func (im *Images) SweepOrphans(ctx context.Context, inUse InUse, olderThan time.Duration) (int, error) {
	if olderThan <= 0 {
		olderThan = DefaultOrphanAge
	}
	cutoff := time.Now().Add(-olderThan)
	old := map[string][]string{} // photo key → its old files
	var temps []string
	err := im.store.List(ctx, func(name string, mod time.Time) error {
		if !mod.Before(cutoff) {
			return nil
		}
		if key, _, ok := ParseFileName(name); ok {
			old[key] = append(old[key], name)
		} else if strings.HasPrefix(name[strings.LastIndex(name, "/")+1:], ".upload-") {
			temps = append(temps, name)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("images: listing: %w", err)
	}
	keys := make([]string, 0, len(old))
	for k := range old {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	deleted := 0
	var errs []error
	del := func(name string) {
		if err := im.store.Delete(ctx, name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		} else if err == nil {
			deleted++
		}
	}
	const batch = 500
	for chunk := range slices.Chunk(keys, batch) {
		used, err := inUse.ImagesInUse(ctx, chunk)
		if err != nil {
			return deleted, fmt.Errorf("images: photos in use: %w", err)
		}
		for _, k := range chunk {
			if used[k] {
				continue
			}
			for _, name := range old[k] {
				del(name)
			}
		}
	}
	for _, name := range temps {
		del(name)
	}
	return deleted, errors.Join(errs...)
}
