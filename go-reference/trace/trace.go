// Package trace reads the binary operation traces that the Rust tool
// `mapbench trace` (comparisons/) generates, so the Go runner replays exactly
// the ops the Rust runner replays: same keys, same values, same order.
//
// The format is specified in comparisons/TRACE-FORMAT.md; the Rust reader is
// comparisons/formats/src/trace.rs. This package validates as strictly as the Rust
// reader, derives keys and values identically, and computes the same summary
// checksum (the tests check both against comparisons/testdata/golden.trace).
//
// [Parse] does not copy its input: the prefill and each thread's ops are
// sub-slices of the file's bytes, decoded on access by [ThreadOps.At] (a
// load, a shift and a mask, plus the key mixer).
package trace

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"strings"
	"unicode/utf8"
)

// Format constants; see comparisons/TRACE-FORMAT.md.
const (
	Magic           = "MAPTRACE" // first 8 bytes
	Version         = 2          // the newest version this package reads
	MinVersion      = 1          // the oldest (u64 keys and values implied)
	FixedHeaderLen  = 96         // bytes before the workload name
	MaxNameLen      = 64         // longest workload name
	KeyIDLimit      = 1 << 62    // key ids are 62 bits
	KeyIDMask       = KeyIDLimit - 1
	MaxThreads      = 1024    // a value packs thread+1 in its top 16 bits
	MaxOpsPerThread = 1 << 32 // and op index+1 in its low 48
	MixTotalBP      = 10000   // op mix in basis points sums to this
	FlagPresize     = 1       // header flags bit 0
)

// Byte offsets of the fixed header fields (all little-endian).
const (
	offVersion      = 8  // u32
	offHeaderLen    = 12 // u32
	offKeySpace     = 16 // u64
	offKeyIDBound   = 24 // u64
	offThreads      = 32 // u32
	offFlags        = 36 // u32
	offOpsPerThread = 40 // u64
	offPrefillCount = 48 // u64
	offSeed         = 56 // u64
	offMix          = 64 // 4 x u16: get, insert, update, remove
	offDistKind     = 72 // u8
	offKeyType      = 73 // u8 (version 2; reserved zero in version 1)
	offValueKind    = 74 // u8 (version 2; reserved zero in version 1)
	offReserved     = 75 // u8, zero
	offNameLen      = 76 // u32
	offParam0       = 80 // f64
	offParam1       = 88 // f64
	offName         = 96
)

// OpKind is an op's 2-bit code.
type OpKind uint8

// The four op kinds, in code order. Their semantics are maps.Map's.
const (
	Get OpKind = iota
	Insert
	Update
	Remove
)

// Kinds lists all kinds in code order.
var Kinds = [4]OpKind{Get, Insert, Update, Remove}

func (k OpKind) String() string {
	switch k {
	case Get:
		return "get"
	case Insert:
		return "insert"
	case Update:
		return "update"
	case Remove:
		return "remove"
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

// DistKind is the header's distribution code.
type DistKind uint8

// Distribution codes.
const (
	Uniform DistKind = iota
	Zipf
	ScrambledZipf
	Hotspot
	Latest
)

func (d DistKind) String() string {
	switch d {
	case Uniform:
		return "uniform"
	case Zipf:
		return "zipf"
	case ScrambledZipf:
		return "scrambled zipf"
	case Hotspot:
		return "hotspot"
	case Latest:
		return "latest"
	}
	return fmt.Sprintf("DistKind(%d)", uint8(d))
}

// Distribution is how the generator drew key ids (informational for a runner).
type Distribution struct {
	Kind DistKind
	// Theta is the Zipf constant (Zipf, ScrambledZipf; 0.99 for Latest).
	Theta float64
	// HotOpFraction of ops go to the lowest HotKeyFraction of key ids (Hotspot).
	HotOpFraction, HotKeyFraction float64
}

// Mix is the op mix in basis points (1/100 %), summing to 10000.
type Mix struct {
	Get, Insert, Update, Remove uint16
}

// Share returns kind's share in basis points.
func (m Mix) Share(k OpKind) uint16 {
	switch k {
	case Get:
		return m.Get
	case Insert:
		return m.Insert
	case Update:
		return m.Update
	default:
		return m.Remove
	}
}

// KeyType is what the maps store as keys (header byte 73 of a version-2 trace).
type KeyType uint8

// Key types.
const (
	KeyU64    KeyType = iota // the uint64 KeyForID(id)
	KeyString                // KeyStringForID(id), built before the timed phase
)

func (k KeyType) String() string {
	switch k {
	case KeyU64:
		return "u64"
	case KeyString:
		return "string"
	}
	return fmt.Sprintf("KeyType(%d)", uint8(k))
}

// ValueKind is what the maps store as values (header byte 74 of a version-2 trace).
type ValueKind uint8

// Value kinds.
const (
	ValueU64   ValueKind = iota // the uint64 itself
	ValueBoxed                  // a *[4]uint64: one 32-byte allocation per write
)

func (v ValueKind) String() string {
	switch v {
	case ValueU64:
		return "u64"
	case ValueBoxed:
		return "boxed"
	}
	return fmt.Sprintf("ValueKind(%d)", uint8(v))
}

// Header is the decoded trace header.
type Header struct {
	Version      uint32
	HeaderLen    uint32
	Name         string // the workload's name
	KeySpace     uint64
	KeyIDBound   uint64 // every key id in the trace is below this
	Threads      uint32
	OpsPerThread uint64
	PrefillCount uint64
	Presize      bool // create maps with capacity for the expected size
	Seed         uint64
	Mix          Mix
	Distribution Distribution
	KeyType      KeyType   // u64 in version 1
	ValueKind    ValueKind // u64 in version 1
}

// PresizeCapacity is the capacity to create maps with when Presize is set
// (false otherwise): KeySpace, or for Latest PrefillCount plus the expected
// inserts, ceil(Threads × OpsPerThread × insert share).
func (h *Header) PresizeCapacity() (uint64, bool) {
	if !h.Presize {
		return 0, false
	}
	if h.Distribution.Kind != Latest {
		return h.KeySpace, true
	}
	ops := uint64(h.Threads) * h.OpsPerThread // ≤ 2^42: no overflow
	return h.PrefillCount + (ops*uint64(h.Mix.Insert)+MixTotalBP-1)/MixTotalBP, true
}

// ExpectedLen is the file size the header implies, and false on overflow.
func (h *Header) ExpectedLen() (uint64, bool) {
	hi, prefill := bits.Mul64(h.PrefillCount, 8)
	if hi != 0 {
		return 0, false
	}
	hi, ops := bits.Mul64(uint64(h.Threads), h.OpsPerThread)
	if hi != 0 {
		return 0, false
	}
	hi, ops = bits.Mul64(ops, 8)
	if hi != 0 {
		return 0, false
	}
	n, carry := bits.Add64(uint64(h.HeaderLen), prefill, 0)
	n, carry2 := bits.Add64(n, ops, 0)
	return n, carry == 0 && carry2 == 0
}

// Keys and values. These must match comparisons/formats/src/trace.rs bit for bit.
const (
	goldenGamma = 0x9E3779B97F4A7C15
	mixM1       = 0xBF58476D1CE4E5B9
	mixM2       = 0x94D049BB133111EB
)

// KeyForID is the uint64 key stored in the map for key id id: SplitMix64's
// output function applied to id XOR the golden gamma. It is a bijection, so
// distinct ids are distinct keys; it keeps small, dense, skewed ids from
// mapping to sequential keys (which identity hashes and key%shards would
// spread unrealistically); and no id below 2^62 maps to 0 or MaxUint64.
func KeyForID(id uint64) uint64 {
	z := id ^ goldenGamma
	z = (z ^ (z >> 30)) * mixM1
	z = (z ^ (z >> 27)) * mixM2
	return z ^ (z >> 31)
}

// KeyStringPrefix is the shared prefix of every string key; a key uses its
// first 8 to 24 bytes.
const KeyStringPrefix = "mapbench:tenant-42:user:"

// KeyStringForID is the string key of key id id (traces with string keys): with
// k = KeyForID(id), the first 8 + k%17 bytes of KeyStringPrefix, then k as 16
// lower-case hex digits; 24 to 40 bytes. The Rust side builds the same bytes
// (cmap_formats::trace::key_string_for_id); the golden string trace pins their
// SHA-256.
func KeyStringForID(id uint64) string {
	var buf [40]byte
	return string(appendKeyString(buf[:0], id))
}

func appendKeyString(dst []byte, id uint64) []byte {
	const digits = "0123456789abcdef"
	k := KeyForID(id)
	dst = append(dst, KeyStringPrefix[:8+k%17]...)
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, digits[(k>>uint(shift))&15])
	}
	return dst
}

// KeyStrings returns the string keys of ids 0..bound-1, built once: slices of
// one backing string, so the table costs one allocation for the bytes and one
// for the headers, and map keys share those bytes (no op builds a string).
func KeyStrings(bound uint64) []string {
	arena := make([]byte, 0, bound*32)
	ends := make([]int, bound)
	for id := uint64(0); id < bound; id++ {
		arena = appendKeyString(arena, id)
		ends[id] = len(arena)
	}
	all := string(arena)
	keys := make([]string, bound)
	start := 0
	for id, end := range ends {
		keys[id] = all[start:end]
		start = end
	}
	return keys
}

// KeyStringsSHA256 is the lower-case hex SHA-256 of keys, each followed by a
// newline byte: the digest the golden string trace's summary records.
func KeyStringsSHA256(keys []string) string {
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// PrefillValue is the value the prefill writes with its index-th key.
func PrefillValue(index uint64) uint64 { return index + 1 }

// OpValue is the value op index of thread carries: (thread+1)<<48 | (index+1).
// Inserts and updates store it; it is defined for every op so the checksum
// covers it.
func OpValue(thread uint32, index uint64) uint64 {
	return (uint64(thread)+1)<<48 | (index + 1)
}

// Op is one decoded op, ready to apply.
type Op struct {
	Kind  OpKind
	KeyID uint64
	Key   uint64 // KeyForID(KeyID)
	Value uint64
}

// DecodeOp decodes op word w at index of thread's stream.
func DecodeOp(w uint64, thread uint32, index uint64) Op {
	id := w & KeyIDMask
	return Op{Kind: OpKind(w >> 62), KeyID: id, Key: KeyForID(id), Value: OpValue(thread, index)}
}

// Error kinds, for errors.Is.
var (
	ErrBadMagic        = errors.New("not a trace")
	ErrUnsupported     = errors.New("unsupported trace format version")
	ErrTruncatedHeader = errors.New("truncated header")
	ErrBadHeader       = errors.New("bad header field")
	ErrLengthMismatch  = errors.New("op stream length mismatch")
	ErrBadPrefill      = errors.New("bad prefill key")
	ErrBadOp           = errors.New("bad op")
	ErrChecksum        = errors.New("trace does not match its checksum file")
	ErrBadSidecar      = errors.New("malformed checksum file")
)

const (
	errTrailingAfterOps  = "trailing bytes after the op stream"
	errTruncatedOpStream = "truncated op stream"
)

// Error is a rejected trace: the file, the kind of problem, and what was
// expected versus found.
type Error struct {
	Path   string
	Kind   error // one of the Err* values
	Detail string
}

func (e *Error) Error() string { return e.Path + ": " + e.Detail }

// Unwrap returns the error's kind.
func (e *Error) Unwrap() error { return e.Kind }

// Trace is a validated trace. Its methods read the bytes given to Parse,
// which must not be modified afterwards.
type Trace struct {
	label      string
	data       []byte
	header     Header
	prefillOff int
	opsOff     int
	sha256     string // lower-case hex, computed on first use
}

// SHA256 is the file's SHA-256 in lower-case hex, computed once.
func (t *Trace) SHA256() string {
	if t.sha256 == "" {
		sum := sha256.Sum256(t.data)
		t.sha256 = hex.EncodeToString(sum[:])
	}
	return t.sha256
}

// SidecarPath is where `mapbench trace` writes a trace's checksum: PATH.sha256.
func SidecarPath(path string) string { return path + ".sha256" }

// OpenVerified is [Open], then the check against PATH.sha256 (sha256sum
// format): a sidecar recording another digest (the bytes changed since
// `mapbench trace` wrote them) or one that is not sha256sum output is an
// error. verified is false when there is no sidecar: the trace then passed the
// format's checks only.
func OpenVerified(path string) (t *Trace, verified bool, err error) {
	t, err = Open(path)
	if err != nil {
		return nil, false, err
	}
	sidecar := SidecarPath(path)
	text, err := os.ReadFile(sidecar)
	if errors.Is(err, fs.ErrNotExist) {
		return t, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: cannot read checksum file: %w", sidecar, err)
	}
	want, ok := parseSidecar(text)
	if !ok {
		shown := []rune(strings.ToValidUTF8(string(text), "\uFFFD"))
		if len(shown) > 80 {
			shown = shown[:80]
		}
		return nil, false, &Error{Path: sidecar, Kind: ErrBadSidecar, Detail: fmt.Sprintf(
			"checksum file of %s: expected `<64 hex digits>  <file name>` (sha256sum format), found %q", path, string(shown))}
	}
	if got := t.SHA256(); got != want {
		return nil, false, &Error{Path: path, Kind: ErrChecksum, Detail: fmt.Sprintf(
			"sha256 does not match %s: expected %s, found %s (the file changed after `mapbench trace` wrote it; regenerate it)", sidecar, want, got)}
	}
	return t, true, nil
}

// parseSidecar returns the first field of a sha256sum line if it is 64 hex digits.
func parseSidecar(text []byte) (string, bool) {
	if !utf8.Valid(text) {
		return "", false
	}
	fields := strings.Fields(string(text))
	if len(fields) == 0 || len(fields[0]) != 64 {
		return "", false
	}
	if _, err := hex.DecodeString(fields[0]); err != nil {
		return "", false
	}
	return strings.ToLower(fields[0]), true
}

// Open reads and validates the trace at path.
func Open(path string) (*Trace, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read trace: %w", path, err)
	}
	return Parse(data, path)
}

// Parse validates the trace in data (header, length, every prefill key and
// op) without copying it; label stands for the file name in errors.
func Parse(data []byte, label string) (*Trace, error) {
	h, err := parseHeader(data, label)
	if err != nil {
		return nil, err
	}
	t := &Trace{label: label, data: data, header: h}
	t.prefillOff = int(h.HeaderLen)
	t.opsOff = t.prefillOff + 8*int(h.PrefillCount)
	if err := t.validateBody(); err != nil {
		return nil, err
	}
	return t, nil
}

func u16(b []byte, at int) uint16 { return binary.LittleEndian.Uint16(b[at:]) }
func u32(b []byte, at int) uint32 { return binary.LittleEndian.Uint32(b[at:]) }
func u64(b []byte, at int) uint64 { return binary.LittleEndian.Uint64(b[at:]) }

func parseHeader(b []byte, label string) (Header, error) {
	fail := func(kind error, format string, args ...any) (Header, error) {
		return Header{}, &Error{Path: label, Kind: kind, Detail: fmt.Sprintf(format, args...)}
	}
	truncated := func(expected int) (Header, error) {
		return fail(ErrTruncatedHeader, "truncated header: expected at least %d bytes, found %d", expected, len(b))
	}
	bad := func(field, expected, found string) (Header, error) {
		return fail(ErrBadHeader, "header field `%s`: expected %s, found %s", field, expected, found)
	}
	if len(b) >= 8 && string(b[:8]) != Magic {
		return fail(ErrBadMagic, "not a trace: expected magic %q, found %q", Magic, strings.ToValidUTF8(string(b[:8]), "\uFFFD"))
	}
	if len(b) < offHeaderLen {
		return truncated(FixedHeaderLen)
	}
	version := u32(b, offVersion)
	if version < MinVersion || version > Version {
		return fail(ErrUnsupported, "unsupported trace format version %d: expected %d to %d", version, MinVersion, Version)
	}
	if len(b) < FixedHeaderLen {
		return truncated(FixedHeaderLen)
	}

	nameLen := u32(b, offNameLen)
	if nameLen < 1 || nameLen > MaxNameLen {
		return bad("name_len", fmt.Sprintf("1 to %d", MaxNameLen), fmt.Sprint(nameLen))
	}
	minHeader := (FixedHeaderLen + int(nameLen) + 7) &^ 7
	headerLen := u32(b, offHeaderLen)
	if int64(headerLen) < int64(minHeader) || headerLen%8 != 0 {
		return bad("header_len", fmt.Sprintf("a multiple of 8, at least %d (96 + name, padded)", minHeader), fmt.Sprint(headerLen))
	}
	if uint64(len(b)) < uint64(headerLen) {
		return truncated(int(headerLen))
	}
	nameBytes := b[offName : offName+int(nameLen)]
	if !utf8.Valid(nameBytes) {
		return bad("name", "UTF-8 text", fmt.Sprint(nameBytes))
	}

	h := Header{
		Version:      version,
		HeaderLen:    headerLen,
		Name:         string(nameBytes),
		KeySpace:     u64(b, offKeySpace),
		KeyIDBound:   u64(b, offKeyIDBound),
		Threads:      u32(b, offThreads),
		OpsPerThread: u64(b, offOpsPerThread),
		PrefillCount: u64(b, offPrefillCount),
		Seed:         u64(b, offSeed),
		Mix: Mix{
			Get:    u16(b, offMix),
			Insert: u16(b, offMix+2),
			Update: u16(b, offMix+4),
			Remove: u16(b, offMix+6),
		},
	}
	if h.KeySpace < 1 || h.KeySpace > KeyIDLimit {
		return bad("key_space", "1 to 2^62", fmt.Sprint(h.KeySpace))
	}
	if h.KeyIDBound < h.KeySpace || h.KeyIDBound > KeyIDLimit {
		return bad("key_id_bound", fmt.Sprintf("key_space (%d) to 2^62", h.KeySpace), fmt.Sprint(h.KeyIDBound))
	}
	if h.Threads < 1 || h.Threads > MaxThreads {
		return bad("threads", fmt.Sprintf("1 to %d", MaxThreads), fmt.Sprint(h.Threads))
	}
	flags := u32(b, offFlags)
	if flags&^FlagPresize != 0 {
		return bad("flags", "only bit 0 (presize) set", fmt.Sprintf("%#x", flags))
	}
	h.Presize = flags&FlagPresize != 0
	if h.OpsPerThread < 1 || h.OpsPerThread > MaxOpsPerThread {
		return bad("ops_per_thread", "1 to 2^32", fmt.Sprint(h.OpsPerThread))
	}
	if h.PrefillCount > h.KeySpace {
		return bad("prefill_count", fmt.Sprintf("at most key_space (%d)", h.KeySpace), fmt.Sprint(h.PrefillCount))
	}
	m := h.Mix
	if sum := uint32(m.Get) + uint32(m.Insert) + uint32(m.Update) + uint32(m.Remove); sum != MixTotalBP {
		return bad("mix", "basis points summing to 10000", fmt.Sprintf("%d + %d + %d + %d = %d", m.Get, m.Insert, m.Update, m.Remove, sum))
	}
	if version == 1 {
		if r := b[offKeyType:offNameLen]; r[0] != 0 || r[1] != 0 || r[2] != 0 {
			return bad("reserved (bytes 73..76)", "zero", fmt.Sprint(r))
		}
	} else if r := b[offReserved:offNameLen]; r[0] != 0 {
		return bad("reserved (byte 75)", "zero", fmt.Sprint(r))
	}
	h.KeyType, h.ValueKind = KeyType(b[offKeyType]), ValueKind(b[offValueKind])
	if h.KeyType > KeyString {
		return bad("key_type", "0 (u64) or 1 (string)", fmt.Sprint(b[offKeyType]))
	}
	if h.ValueKind > ValueBoxed {
		return bad("value_kind", "0 (u64) or 1 (boxed)", fmt.Sprint(b[offValueKind]))
	}
	if version == 2 && h.KeyType == KeyU64 && h.ValueKind == ValueU64 {
		return bad("key_type", "string keys or boxed values in a version-2 trace (u64 keys and values are written as version 1)",
			fmt.Sprintf("%s keys, %s values", h.KeyType, h.ValueKind))
	}
	p0 := math.Float64frombits(u64(b, offParam0))
	p1 := math.Float64frombits(u64(b, offParam1))
	h.Distribution.Kind = DistKind(b[offDistKind])
	switch h.Distribution.Kind {
	case Uniform:
	case Zipf, ScrambledZipf:
		if !(p0 > 0 && p0 < 1) {
			return bad("theta", "0 < theta < 1", fmt.Sprint(p0))
		}
		h.Distribution.Theta = p0
	case Hotspot:
		if !(p0 >= 0 && p0 <= 1) || !(p1 >= 0 && p1 <= 1) {
			return bad("hotspot fractions", "two fractions between 0 and 1", fmt.Sprintf("%v, %v", p0, p1))
		}
		h.Distribution.HotOpFraction, h.Distribution.HotKeyFraction = p0, p1
	case Latest:
		h.Distribution.Theta = p0
	default:
		return bad("distribution", "0 uniform, 1 zipf, 2 scrambled zipf, 3 hotspot or 4 latest", fmt.Sprint(b[offDistKind]))
	}

	expected, ok := h.ExpectedLen()
	if !ok {
		expected = math.MaxUint64
	}
	if found := uint64(len(b)); found != expected {
		what := errTruncatedOpStream
		if found > expected {
			what = errTrailingAfterOps
		}
		return fail(ErrLengthMismatch, "%s: expected %d bytes in all (header %d + 8 × %d prefill keys + 8 × %d threads × %d ops), found %d",
			what, expected, h.HeaderLen, h.PrefillCount, h.Threads, h.OpsPerThread, found)
	}
	return h, nil
}

func (t *Trace) validateBody() error {
	h := &t.header
	raw := t.data[t.prefillOff:t.opsOff]
	for i := 0; i < len(raw); i += 8 {
		if id := u64(raw, i); id >= h.KeySpace {
			return &Error{Path: t.label, Kind: ErrBadPrefill, Detail: fmt.Sprintf(
				"prefill key %d: expected a key id below key_space %d, found %d", i/8, h.KeySpace, id)}
		}
	}
	for th := uint32(0); th < h.Threads; th++ {
		raw := t.Thread(int(th)).raw
		for i := 0; i < len(raw); i += 8 {
			w := u64(raw, i)
			kind, id := OpKind(w>>62), w&KeyIDMask
			if h.Mix.Share(kind) == 0 {
				return &Error{Path: t.label, Kind: ErrBadOp, Detail: fmt.Sprintf(
					"thread %d op %d: expected an op kind the header's mix allows (%s), found kind %d (%s)",
					th, i/8, allowedKinds(h.Mix), uint8(kind), kind)}
			}
			if id >= h.KeyIDBound {
				return &Error{Path: t.label, Kind: ErrBadOp, Detail: fmt.Sprintf(
					"thread %d op %d: expected a key id below key_id_bound %d, found %d", th, i/8, h.KeyIDBound, id)}
			}
		}
	}
	return nil
}

func allowedKinds(m Mix) string {
	var names []string
	for _, k := range Kinds {
		if m.Share(k) > 0 {
			names = append(names, k.String())
		}
	}
	return strings.Join(names, ", ")
}

// Label is the file name (or label) errors use.
func (t *Trace) Label() string { return t.label }

// Header returns the decoded header.
func (t *Trace) Header() Header { return t.header }

// Bytes returns the whole file.
func (t *Trace) Bytes() []byte { return t.data }

// PrefillLen is the number of prefill keys.
func (t *Trace) PrefillLen() int { return int(t.header.PrefillCount) }

// Prefill returns prefill entry i as an insert op (key id, key, PrefillValue).
func (t *Trace) Prefill(i int) Op {
	id := u64(t.data, t.prefillOff+8*i)
	return Op{Kind: Insert, KeyID: id, Key: KeyForID(id), Value: PrefillValue(uint64(i))}
}

// Thread returns thread's ops; it panics if thread is out of range.
func (t *Trace) Thread(thread int) ThreadOps {
	if thread < 0 || thread >= int(t.header.Threads) {
		panic(fmt.Sprintf("%s: thread %d out of range (trace has %d)", t.label, thread, t.header.Threads))
	}
	n := 8 * int(t.header.OpsPerThread)
	start := t.opsOff + thread*n
	return ThreadOps{thread: uint32(thread), raw: t.data[start : start+n : start+n]}
}

// ThreadOps is one thread's ops: a sub-slice of the trace, decoded on access.
type ThreadOps struct {
	thread uint32
	raw    []byte
}

// Thread is the thread index.
func (o ThreadOps) Thread() uint32 { return o.thread }

// Len is the number of ops.
func (o ThreadOps) Len() int { return len(o.raw) / 8 }

// Raw returns the op words as stored: little-endian (kind<<62 | key id).
func (o ThreadOps) Raw() []byte { return o.raw }

// At decodes op i.
func (o ThreadOps) At(i int) Op {
	return DecodeOp(u64(o.raw, 8*i), o.thread, uint64(i))
}

// Checksum constants: the fold is FNV-1a over 64-bit words.
const (
	ChecksumInit  = 0xCBF29CE484222325
	ChecksumPrime = 0x00000100000001B3
)

// ChecksumStep folds op into h: h = (h ^ x) * prime for x in kind, key, value.
func ChecksumStep(h uint64, op Op) uint64 {
	for _, x := range [3]uint64{uint64(op.Kind), op.Key, op.Value} {
		h = (h ^ x) * ChecksumPrime
	}
	return h
}

// StateEntry is one entry's term of the state checksum, an order-independent checksum of a map's contents: the
// wrapping sum, over entries, of the fold of (key, value) from ChecksumInit.
// Sum StateEntry(k, v) over the entries of any map to compute it.
func StateEntry(key, value uint64) uint64 {
	h := (ChecksumInit ^ key) * ChecksumPrime
	return (h ^ value) * ChecksumPrime
}

// Summary is the counts and checksums both languages compute; its JSON is
// the "summary" object of comparisons/testdata/golden.summary.json.
type Summary struct {
	Prefill          PrefillSummary  `json:"prefill"`
	Threads          []ThreadSummary `json:"threads"`
	Checksum         string          `json:"checksum"` // one fold: prefill, then threads in order
	SequentialReplay ReplaySummary   `json:"sequential_replay"`
	// KeyStringsSHA256 is, for string keys, KeyStringsSHA256 of the keys of
	// ids 0..KeyIDBound-1 (empty, and omitted, for u64 keys).
	KeyStringsSHA256 string `json:"key_strings_sha256,omitempty"`
}

// ReplaySummary is what a single-threaded replay in file order must produce:
// ops that found their key (inserts: that created it), the final size, the
// wrapping sum of values returned by gets that hit, and the StateEntry sum of
// the final contents.
type ReplaySummary struct {
	GetHits       uint64 `json:"get_hits"`
	InsertNew     uint64 `json:"insert_new"`
	UpdateHits    uint64 `json:"update_hits"`
	RemoveHits    uint64 `json:"remove_hits"`
	FinalLen      uint64 `json:"final_len"`
	GetValueSum   string `json:"get_value_sum"`
	StateChecksum string `json:"state_checksum"`
}

// SequentialReplay replays the trace on one goroutine against a built-in
// map, in file order (prefill, then thread 0's ops, thread 1's, ...), with
// maps.Map's semantics. A correct map must report the same for that replay.
func (t *Trace) SequentialReplay() ReplaySummary {
	m := make(map[uint64]uint64, t.PrefillLen())
	for i := 0; i < t.PrefillLen(); i++ {
		p := t.Prefill(i)
		m[p.Key] = p.Value
	}
	var r ReplaySummary
	var getSum uint64
	for th := 0; th < int(t.header.Threads); th++ {
		ops := t.Thread(th)
		for i := 0; i < ops.Len(); i++ {
			op := ops.At(i)
			v, ok := m[op.Key]
			switch op.Kind {
			case Get:
				if ok {
					r.GetHits++
					getSum += v
				}
			case Insert:
				if !ok {
					r.InsertNew++
				}
				m[op.Key] = op.Value
			case Update:
				if ok {
					r.UpdateHits++
					m[op.Key] = op.Value
				}
			case Remove:
				if ok {
					r.RemoveHits++
					delete(m, op.Key)
				}
			}
		}
	}
	var state uint64
	for k, v := range m {
		state += StateEntry(k, v)
	}
	r.FinalLen = uint64(len(m))
	r.GetValueSum = hex64(getSum)
	r.StateChecksum = hex64(state)
	return r
}

// PrefillSummary covers the prefill, folded as insert ops.
type PrefillSummary struct {
	Count    uint64 `json:"count"`
	Checksum string `json:"checksum"`
}

// ThreadSummary covers one thread's ops.
type ThreadSummary struct {
	Thread   uint32 `json:"thread"`
	Get      uint64 `json:"get"`
	Insert   uint64 `json:"insert"`
	Update   uint64 `json:"update"`
	Remove   uint64 `json:"remove"`
	Checksum string `json:"checksum"`
}

func hex64(h uint64) string { return fmt.Sprintf("%016x", h) }

// Summary computes the counts per kind per thread and the checksums.
func (t *Trace) Summary() Summary {
	h := uint64(ChecksumInit)
	for i := 0; i < t.PrefillLen(); i++ {
		h = ChecksumStep(h, t.Prefill(i))
	}
	s := Summary{Prefill: PrefillSummary{Count: t.header.PrefillCount, Checksum: hex64(h)}}
	overall := h
	for th := 0; th < int(t.header.Threads); th++ {
		ops := t.Thread(th)
		ts := ThreadSummary{Thread: uint32(th)}
		counts := [4]*uint64{&ts.Get, &ts.Insert, &ts.Update, &ts.Remove}
		local := uint64(ChecksumInit)
		for i := 0; i < ops.Len(); i++ {
			op := ops.At(i)
			*counts[op.Kind]++
			local = ChecksumStep(local, op)
			overall = ChecksumStep(overall, op)
		}
		ts.Checksum = hex64(local)
		s.Threads = append(s.Threads, ts)
	}
	s.Checksum = hex64(overall)
	s.SequentialReplay = t.SequentialReplay()
	if t.header.KeyType == KeyString {
		s.KeyStringsSHA256 = KeyStringsSHA256(KeyStrings(t.header.KeyIDBound))
	}
	return s
}
