module concurrentmaps

go 1.26

require (
	github.com/HdrHistogram/hdrhistogram-go v1.4.0
	github.com/puzpuzpuz/xsync/v4 v4.5.0
)
