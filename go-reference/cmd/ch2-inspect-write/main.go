// Command ch2-inspect-write is the smallest program with one map write in a
// function of its own. It exists to be looked at, not run for its output:
//
//   - disasm.sh disassembles main.write and runtime.mapassign_fast64 from a
//     normal build and counts the instructions that could be a memory
//     barrier (claim C9: there are none);
//   - gdb-rax.sh runs it under gdb with rax.gdb, stopping in
//     runtime.mapassign_fast64 to show what RAX holds on entry and on return
//     (claim C10).
//
// Both write their transcript, with a generated-file header, where the book
// includes it:
//
//	go-reference/cmd/ch2-inspect-write/disasm.sh  book/src/generated/ch02/disasm-map-write.md
//	go-reference/cmd/ch2-inspect-write/gdb-rax.sh book/src/generated/ch02/gdb-rax.md
package main

import (
	"flag"
	"fmt"
)

// The key written, its value before and after the write. rax.gdb checks
// for these numbers.
const (
	key      = 42
	oldValue = 4200
	newValue = 4242
)

func main() {
	flag.Parse() // no flags: -h prints the usage, anything else is an error
	m := make(map[int]int)
	for k := range 64 { // 64 keys: a full table, not a single small group
		m[k] = k * 100
	}
	write(m, key, newValue)
	report(m, key)
}

// ANCHOR: write
// write is one map assignment and nothing else. The compiler turns it into
// a call of runtime.mapassign_fast64(type, m, k), which returns a pointer
// to the value's slot, then a plain store of v through that pointer.
//
//go:noinline
func write(m map[int]int, k, v int) {
	m[k] = v
}

// ANCHOR_END: write

// report prints m[k]; rax.gdb stops here to look at the slot again.
//
//go:noinline
func report(m map[int]int, k int) {
	fmt.Printf("m[%d] = %d (the program stored %d over %d)\n", k, m[k], newValue, oldValue)
}
