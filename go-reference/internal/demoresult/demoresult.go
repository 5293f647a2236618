// Package demoresult holds the JSON lines that the chapter 2 demo programs
// print (ch2-torn-reads and ch2-lost-updates with -json, ch2-gc-stress and
// ch2-growth-race always) and that the experiments running them
// (ch2-experiments, ch2-gc-growth) read back: one definition for the writer
// and the reader, since a package main cannot be imported.
package demoresult

// TornReads is what one ch2-torn-reads run saw.
type TornReads struct {
	Value    string   `json:"value"`
	Reads    int64    `json:"reads"`
	Torn     int64    `json:"torn"`
	Writes   int64    `json:"writes"`
	Seconds  float64  `json:"seconds"`
	Examples []string `json:"examples"` // the first few torn values, printed
}

// LostUpdates is what one ch2-lost-updates run saw.
type LostUpdates struct {
	Counter string `json:"counter"`
	// PerRound is the increments per goroutine per round (-n).
	PerRound int `json:"per_round"`
	Rounds   int `json:"rounds"`
	// RoundsWithLoss counts the rounds whose final count was short.
	RoundsWithLoss int     `json:"rounds_with_loss"`
	Attempted      int64   `json:"attempted"`
	Lost           int64   `json:"lost"`
	Seconds        float64 `json:"seconds"`
}

// GCStress is the line ch2-gc-stress prints.
type GCStress struct {
	Map        string  `json:"map"`
	Writers    int     `json:"writers"`
	Keys       int     `json:"keys"`
	Writes     uint64  `json:"writes"`
	Garbage    uint64  `json:"garbage_bytes"`
	GCCycles   uint64  `json:"gc_cycles"`
	ForcedGCs  uint64  `json:"forced_gcs"`
	PauseCount uint64  `json:"gc_pauses"`
	PauseP50us float64 `json:"gc_pause_p50_us"`
	PauseMaxus float64 `json:"gc_pause_max_us"`
	Missing    int     `json:"missing"`
	Corrupt    int     `json:"corrupt"`
	Seconds    float64 `json:"seconds"`
}

// GrowthRace is what a ch2-growth-race run that the runtime did not stop prints.
type GrowthRace struct {
	Rounds        int `json:"rounds"`
	RoundsBroken  int `json:"rounds_broken"`  // rounds whose check found anything below
	MissingKeys   int `json:"missing_keys"`   // inserted keys that a lookup does not find
	WrongValues   int `json:"wrong_values"`   // keys found with another key's value
	LenMismatches int `json:"len_mismatches"` // rounds where len(m) != keys found
	RangeMismatch int `json:"range_mismatch"` // rounds where range saw a key twice, a foreign key, or a different count
}
