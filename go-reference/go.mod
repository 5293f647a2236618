module concurrentmaps

go 1.26
