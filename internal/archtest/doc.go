// Package archtest holds one test: the import rules of docs/architecture.md
// and the style guide, checked on the real dependency graph (go list -deps),
// so a forbidden import anywhere below a package fails the build of CI.
package archtest
