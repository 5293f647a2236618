package runner

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// The .hlog file: an HdrHistogram interval log (format 1.3), one histogram per
// interval, tag "lat", V2 compressed (deflate) encoding, values in ns.
//
// The header lines come from hdrhistogram-go's HistogramLogWriter. The
// interval lines are byte-for-byte what its OutputIntervalHistogram writes
// (TestIntervalLineMatchesLibrary checks it), produced by hlogWriter instead:
// the library builds a new zlib compressor (~700 KB) and thousands of small
// buffers per histogram, ~900 KB of garbage per interval, which at 10
// intervals a second would itself drive the GC cycles and pauses the Go
// runs are measuring. hlogWriter reuses one compressor and its buffers.
//
// Timestamps: #[StartTime] and #[BaseTime] are the measured phase's start in
// Unix seconds with milliseconds (as Java and Rust write them; the Go
// library's own helpers drop the milliseconds), and each interval line's
// start is relative to it, in seconds with microseconds. The max column is
// in nanoseconds, like the values and like the Rust runner's log (the
// library's default would divide by 1e6 and write milliseconds).

const (
	hlogTag = "lat"
	// maxValueUnitRatio divides an interval's max for the log's third column:
	// 1, so the column is in ns on both sides (RUNNER-SPEC.md, .hlog).
	maxValueUnitRatio = 1.0

	// V2 encoding cookies (hdrhistogram-go's encodingCookie and
	// compressedEncodingCookie: the base cookie | 0x10).
	v2EncodingCookie           = 0x1c849303 | 0x10
	v2CompressedEncodingCookie = 0x1c849304 | 0x10
	v2HeaderSize               = 40
)

// Our histograms' geometry in HDR index terms: lowest 1 → unit magnitude 0;
// 3 significant digits → 2048 sub-buckets, half count 1024 (magnitude 10).
const (
	subBucketHalfCountMagnitude = 10
	subBucketHalfCount          = 1 << subBucketHalfCountMagnitude
	subBucketMask               = 2*subBucketHalfCount - 1
)

// countsIndex is the flat counts index of value v (hdrhistogram-go's
// countsIndexFor, for our geometry).
func countsIndex(v int64) int64 {
	bucket := int64(64-bits.LeadingZeros64(uint64(v)|subBucketMask)) - (subBucketHalfCountMagnitude + 1)
	sub := v >> uint(bucket)
	return (bucket+1)<<subBucketHalfCountMagnitude + sub - subBucketHalfCount
}

// hlogWriter writes interval lines with reused buffers.
type hlogWriter struct {
	w      io.Writer
	packed *hdr.PackedHistogram // the populated buckets, in order, without a dense scan per query
	inner  []byte               // header + payload, before compression
	zbuf   bytes.Buffer
	zw     *zlib.Writer
	outer  []byte // cookie + length + compressed
	line   []byte
}

func newHlogWriter(w io.Writer) *hlogWriter {
	zw, err := zlib.NewWriterLevel(nil, zlib.BestCompression)
	if err != nil {
		panic(err) // only for an invalid level
	}
	h := &hlogWriter{w: w, packed: hdr.NewPacked(hdrLowestNs, hdrHighestNs, hdrSigFigs), zw: zw}
	// Encode once now: zlib builds its compressor (~700 KB) on first use,
	// which would otherwise be the first interval's allocation.
	h.line = h.appendEncoded(h.line, newLatencyHistogram())
	return h
}

// writeHeader writes the log's header: format version, start and base time
// (the measured phase's start), legend.
func (h *hlogWriter) writeHeader(start time.Time) error {
	lw := hdr.NewHistogramLogWriter(h.w)
	secs := float64(start.UnixMilli()) / 1000
	iso := start.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00")
	for _, err := range []error{
		lw.OutputLogFormatVersion(),
		lw.OutputComment(fmt.Sprintf("[StartTime: %.3f (seconds since epoch), %s]", secs, iso)),
		lw.OutputComment(fmt.Sprintf("[BaseTime: %.3f (seconds since epoch)]", secs)),
		lw.OutputLegend(),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// writeInterval writes one interval line: "Tag=lat,<start s>,<length s>,<max
// ms>,<V2 compressed base64>". hist must have our geometry.
func (h *hlogWriter) writeInterval(startSec, lengthSec float64, hist *hdr.Histogram) error {
	line := append(h.line[:0], "Tag="+hlogTag+","...)
	line = strconv.AppendFloat(line, startSec, 'f', 6, 64)
	line = append(line, ',')
	line = strconv.AppendFloat(line, lengthSec, 'f', 6, 64)
	line = append(line, ',')
	line = strconv.AppendFloat(line, float64(hist.Max())/maxValueUnitRatio, 'f', 6, 64)
	line = append(line, ',')
	line = h.appendEncoded(line, hist)
	line = append(line, '\n')
	h.line = line
	_, err := h.w.Write(line)
	return err
}

// appendEncoded appends hist's V2 compressed, base64 encoding (what
// hdrhistogram-go's Histogram.Encode(V2CompressedEncodingCookieBase) returns).
func (h *hlogWriter) appendEncoded(dst []byte, hist *hdr.Histogram) []byte {
	// The payload: counts from index 0 to the max's index, ZigZag LEB128,
	// a run of more than one zero count as its negated length.
	h.packed.Reset()
	h.packed.MergeFrom(hist)
	p := append(h.inner[:0], make([]byte, v2HeaderSize)...)
	var next int64 // next counts index to encode
	for value, count := range h.packed.ForEachBucket {
		idx := countsIndex(value)
		switch zeros := idx - next; {
		case zeros > 1:
			p = appendZigZag(p, -zeros)
		case zeros == 1:
			p = appendZigZag(p, 0)
		}
		p = appendZigZag(p, count)
		next = idx + 1
	}
	if next == 0 { // empty: the dense encoder writes counts[0]
		p = appendZigZag(p, 0)
	}
	binary.BigEndian.PutUint32(p[0:], v2EncodingCookie)
	binary.BigEndian.PutUint32(p[4:], uint32(len(p)-v2HeaderSize))
	binary.BigEndian.PutUint32(p[8:], 0) // normalizing index offset
	binary.BigEndian.PutUint32(p[12:], hdrSigFigs)
	binary.BigEndian.PutUint64(p[16:], hdrLowestNs)
	binary.BigEndian.PutUint64(p[24:], hdrHighestNs)
	binary.BigEndian.PutUint64(p[32:], math.Float64bits(1)) // integer to double conversion ratio
	h.inner = p

	h.zbuf.Reset()
	h.zw.Reset(&h.zbuf)
	_, _ = h.zw.Write(p) // a bytes.Buffer never fails
	_ = h.zw.Close()
	out := binary.BigEndian.AppendUint32(h.outer[:0], v2CompressedEncodingCookie)
	out = binary.BigEndian.AppendUint32(out, uint32(h.zbuf.Len()))
	out = append(out, h.zbuf.Bytes()...)
	h.outer = out
	return base64.StdEncoding.AppendEncode(dst, out)
}

// appendZigZag appends v in HdrHistogram's ZigZag LEB128-64b9B encoding: 7
// bits per byte, low first, at most 9 bytes (the 9th holds 8 bits).
func appendZigZag(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for i := 0; i < 8; i++ {
		if u>>7 == 0 {
			return append(dst, byte(u))
		}
		dst = append(dst, byte(u&0x7f|0x80))
		u >>= 7
	}
	return append(dst, byte(u))
}
