package storage

// DemoProducts lets the external tests check SeedDemo's stock arithmetic
// against what it started with.
var DemoProducts = demoProducts
