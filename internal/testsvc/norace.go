package testsvc

// raceEnabled is set by race.go when the test binary runs under -race.
var raceEnabled bool
