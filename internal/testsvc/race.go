//go:build race

package testsvc

func init() { raceEnabled = true }
