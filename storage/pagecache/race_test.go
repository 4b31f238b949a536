//go:build race

package pagecache

// raceBuild: the test binary runs under -race, ten times slower.
const raceBuild = true
