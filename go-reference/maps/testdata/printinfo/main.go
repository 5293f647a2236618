// Command printinfo prints each registered map's name and version, one per
// line, separated by a tab. TestVersionInBuiltBinary builds it: only a real
// binary carries its dependencies' versions (a go test binary does not).
package main

import (
	"fmt"

	"concurrentmaps/maps"
)

func main() {
	for _, e := range maps.All() {
		fmt.Printf("%s\t%s\n", e.Info.Name, e.Info.Version)
	}
}
