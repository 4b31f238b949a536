//go:build !race

package pagecache

const raceBuild = false
