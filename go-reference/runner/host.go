package runner

import (
	"bufio"
	"context"
	"math"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// hostInfoNow describes the machine: CPU model (/proc/cpuinfo), vCPUs
// available to this process, kernel release, host name.
func hostInfoNow() hostInfo {
	h := hostInfo{CPUModel: "unknown", VCPUs: runtime.NumCPU(), Kernel: "unknown", GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			// x86: "model name"; some arm64 kernels: "Model" or none.
			k, v, ok := strings.Cut(s.Text(), ":")
			if k = strings.TrimSpace(k); ok && (k == "model name" || k == "Model") {
				h.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = strings.TrimSpace(string(b))
	}
	h.Hostname, _ = os.Hostname()
	return h
}

// gitCommit is `git rev-parse HEAD` in the working directory, else the
// revision the binary was built from (if the build recorded one), else nil.
func gitCommit() *string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output(); err == nil {
		if c := strings.TrimSpace(string(out)); c != "" {
			return &c
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				c := s.Value
				return &c
			}
		}
	}
	return nil
}

// setGOMAXPROCS sets GOMAXPROCS to threads unless the environment sets it,
// and returns the effective value and where it came from.
func setGOMAXPROCS(threads int) (int, string) {
	if os.Getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0), "env"
	}
	runtime.GOMAXPROCS(threads)
	return runtime.GOMAXPROCS(0), "threads"
}

// runtimeSettings records the GC settings in effect: GOGC by a
// debug.SetGCPercent round trip ("off" when disabled), GOMEMLIMIT by
// debug.SetMemoryLimit(-1), which reads without changing ("off" for no limit,
// math.MaxInt64, as the variable spells it), plus the raw variables.
func runtimeSettings(gomaxprocs int, source string) goRuntime {
	pct := debug.SetGCPercent(-1)
	debug.SetGCPercent(pct)
	gogc := "off"
	if pct >= 0 {
		gogc = strconv.Itoa(pct)
	}
	memlimit := "off"
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		memlimit = strconv.FormatInt(l, 10)
	}
	env := map[string]string{}
	for _, k := range []string{"GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	return goRuntime{GOMAXPROCS: gomaxprocs, GOMAXPROCSSource: source, GOGC: gogc, GOMEMLIMIT: memlimit, Env: env}
}
