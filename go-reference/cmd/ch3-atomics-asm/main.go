// Command ch3-atomics-asm checks claim C17 of the book (chapter 3.1): what
// sync/atomic's pointer loads and stores compile to on x86-64. Each
// operation sits in its own //go:noinline function so that the
// disassembler can find it by name.
//
// Run without flags it exercises the functions once and prints what they
// returned. With -disasm it disassembles its own executable with
// `go tool objdump -s` and prints a Markdown excerpt (the functions above,
// and the runtime routines the stores call), with a count of every fence
// and XCHG instruction in them; -out FILE writes that excerpt atomically
// instead (a temporary file, then rename). Bad flags exit 2.
//
//	cd go-reference && go build -o /tmp/ch3-atomics-asm ./cmd/ch3-atomics-asm && /tmp/ch3-atomics-asm -disasm
//
// (go build, not go run: go run links without the symbol table that
// objdump needs.)
//
// scripts/ch3_atomics_asm.sh puts this excerpt and the Rust one together in
// book/src/generated/ch03/atomics-asm.md.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"unsafe"

	"concurrentmaps/internal/cmdline"
	"concurrentmaps/internal/genfile"
)

// ANCHOR: functions
type node struct{ v int }

var (
	raw   unsafe.Pointer       // used through atomic.LoadPointer / StorePointer
	typed atomic.Pointer[node] // the generic wrapper over the same calls
)

//go:noinline
func loadRaw() unsafe.Pointer { return atomic.LoadPointer(&raw) }

//go:noinline
func storeRaw(p unsafe.Pointer) { atomic.StorePointer(&raw, p) }

//go:noinline
func loadTyped() *node { return typed.Load() }

//go:noinline
func storeTyped(n *node) { typed.Store(n) }

// A word that holds no pointer needs no write barrier, so its atomic store
// is compiled inline, as a load is.
var word uintptr

//go:noinline
func storeWord(v uintptr) { atomic.StoreUintptr(&word, v) }

// ANCHOR_END: functions

// symbols are the functions whose disassembly the excerpt shows, in
// order: ours, then the runtime function that sync/atomic.StorePointer is
// (runtime.sync_atomic_StorePointer, linknamed in runtime/atomic_pointer.go:
// the write barrier, then the word store), then the compiler-generated body
// of sync/atomic.StoreUintptr that it calls.
var symbols = []string{
	"main.loadRaw",
	"main.loadTyped",
	"main.storeWord",
	"main.storeRaw",
	"main.storeTyped",
	"sync/atomic.StorePointer",
	"sync/atomic.StoreUintptr",
}

// options are the validated command-line flags.
type options struct {
	disasm bool
	out    string
}

func main() {
	cmdline.Main(parseFlags, run)
}

// parseFlags parses and checks args; on error it has already printed the
// problem (naming the flag) and the usage to stderr.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := cmdline.New("ch3-atomics-asm", stderr)
	var o options
	fs.BoolVar(&o.disasm, "disasm", false, "print a Markdown excerpt of this program's own disassembly")
	fs.StringVar(&o.out, "out", "", "write the excerpt to this file (atomically) instead of stdout; implies -disasm")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.out != "" {
		if fi, err := os.Stat(filepath.Dir(o.out)); err != nil || !fi.IsDir() {
			return o, fs.Bad("-out %s: want a file in an existing directory", o.out)
		}
	}
	return o, nil
}

// run calls the functions once, or prints or writes the excerpt; it returns
// the exit status.
func run(_ context.Context, o options, stdout, stderr io.Writer) int {
	if !o.disasm && o.out == "" {
		n := &node{v: 42}
		storeRaw(unsafe.Pointer(n))
		storeTyped(n)
		storeWord(7)
		fmt.Fprintln(stdout, "word:", atomic.LoadUintptr(&word), "loadRaw:", (*node)(loadRaw()).v, "loadTyped:", loadTyped().v)
		return 0
	}
	md, err := excerpt()
	if err != nil {
		fmt.Fprintf(stderr, "ch3-atomics-asm: %v\n", err)
		return 1
	}
	if o.out == "" {
		if _, err := stdout.Write(md); err != nil {
			fmt.Fprintf(stderr, "ch3-atomics-asm: %v\n", err)
			return 1
		}
		return 0
	}
	if err := genfile.WriteAtomic(o.out, md); err != nil {
		fmt.Fprintf(stderr, "ch3-atomics-asm: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "ch3-atomics-asm: wrote %s\n", o.out)
	return 0
}

// excerpt disassembles this executable and renders the Markdown.
func excerpt() ([]byte, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	listing, err := Disassemble(exe, symbols)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Go: %s %s/%s, `go tool objdump -s` on the program's own binary (addresses and encodings dropped).\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
	b.WriteString("```text\n")
	for _, sym := range symbols {
		b.WriteString(strings.Join(listing[sym], "\n"))
		b.WriteString("\n\n")
	}
	b.Truncate(b.Len() - 1)
	b.WriteString("```\n\n")
	c := Count(listing)
	fmt.Fprintf(&b, "In those %d functions: %d `LFENCE`, %d `SFENCE`, %d `MFENCE`, %d `XCHG`, %d `LOCK`-prefixed instructions.\n",
		len(symbols), c["LFENCE"], c["SFENCE"], c["MFENCE"], c["XCHG"], c["LOCK"])
	return b.Bytes(), nil
}

// Disassemble runs `go tool objdump -s` on exe for each symbol and returns
// its instructions as "file:line  INSTRUCTION" lines, starting with the
// TEXT line, with addresses and encodings dropped (so that a rebuild
// changes nothing that did not really change).
func Disassemble(exe string, syms []string) (map[string][]string, error) {
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		goCmd = "go"
	}
	res := make(map[string][]string)
	for _, sym := range syms {
		cmd := exec.Command(goCmd, "tool", "objdump", "-s", "^"+regexp.QuoteMeta(sym)+"$", exe)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		text, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go tool objdump -s %s: %v\n%s(built with go run? it strips the symbol table; use go build)", sym, err, stderr.String())
		}
		lines := stripAddresses(string(text))
		if len(lines) < 2 {
			return nil, fmt.Errorf("%s: not found in %s (built with go run? it strips the symbol table; use go build)", sym, exe)
		}
		res[sym] = lines
	}
	return res, nil
}

// stripAddresses turns objdump's "  file.go:LINE  0xADDR  BYTES  INSN"
// into "file.go:LINE  INSN", keeping only the file's base name.
func stripAddresses(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "TEXT ") {
			name, _, _ := strings.Cut(line, "(SB)")
			out = append(out, name+"(SB)")
			continue
		}
		f := strings.Split(strings.TrimSpace(line), "\t")
		if len(f) < 4 {
			continue
		}
		insn := strings.TrimSpace(f[len(f)-1])
		if insn == "INT $0x3" || strings.HasPrefix(insn, "NOP") {
			continue // padding between functions
		}
		insn = jumpTarget.ReplaceAllString(insn, "$1 (target)")
		out = append(out, fmt.Sprintf("  %-22s %s", filepath.Base(f[0]), insn))
	}
	return out
}

// jumpTarget matches a jump to an absolute address, which moves with
// every rebuild.
var jumpTarget = regexp.MustCompile(`^(J[A-Z]+) 0x[0-9a-f]+$`)

// Count counts the instructions that could order memory, by mnemonic.
func Count(listing map[string][]string) map[string]int {
	c := map[string]int{}
	for _, lines := range listing {
		for _, l := range lines {
			if strings.HasPrefix(l, "TEXT ") {
				continue
			}
			f := strings.Fields(l)
			if len(f) < 2 {
				continue
			}
			op := f[1]
			for _, want := range []string{"LFENCE", "SFENCE", "MFENCE", "LOCK"} {
				if op == want {
					c[want]++
				}
			}
			if strings.HasPrefix(op, "XCHG") {
				c["XCHG"]++
			}
		}
	}
	return c
}
