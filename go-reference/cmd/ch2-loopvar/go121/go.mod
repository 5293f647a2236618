module concurrentmaps/loopvar121

// Language version 1.21: a for loop declares its variables once, not once
// per iteration. ../main.go (linked here as main.go) is built by both modules.
go 1.21
