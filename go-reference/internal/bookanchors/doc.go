// Package bookanchors holds only a test: it checks the mdBook anchors in the
// chapter programs, because mdbook build succeeds silently on a missing or
// empty anchor (it includes nothing).
package bookanchors
