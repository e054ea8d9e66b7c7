// Package demo bundles Picket's demo attack scenario: CloudTrail log files
// (gzip-compressed, in the layout CloudTrail delivers to S3) that tell one
// two-hour intrusion story in two AWS accounts amid ordinary background
// activity. The records are synthetic, written by the Picket authors; see
// scenario/README.md for the timeline and the findings they must raise, and
// scenario/gen for the program that generates them.
package demo

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed scenario/AWSLogs
var files embed.FS

//go:embed network/AWSLogs network/intel network/picket.yaml
var network embed.FS

// Network returns the network scenario (see network/README.md): a file
// system whose root holds AWSLogs/ (VPC flow and Route 53 Resolver query
// logs), intel/ (its threat lists) and picket.yaml (those lists).
func Network() fs.FS {
	sub, err := fs.Sub(network, "network")
	if err != nil { // only if the embed directive changes
		panic(err)
	}
	return sub
}

// Scenario returns the scenario's files: a file system whose root holds
// AWSLogs/<account>/CloudTrail/<region>/2026/10/14/*.json.gz (and one
// CloudTrail-Digest file, which decoders skip).
func Scenario() fs.FS {
	sub, err := fs.Sub(files, "scenario")
	if err != nil { // only if the embed directive changes
		panic(err)
	}
	return sub
}

// WriteTo copies the scenario's files into dir, keeping their relative
// paths (dir/AWSLogs/...). Directories are created as needed; existing
// files with the same names are overwritten.
func WriteTo(dir string) error { return copyFS(Scenario(), dir) }

// WriteNetworkIntel writes the network scenario's threat lists and their
// picket.yaml into dir (dir/picket.yaml, dir/intel/*.txt), so that a
// config can load them as files.
func WriteNetworkIntel(dir string) error {
	sub, err := fs.Sub(network, "network")
	if err != nil {
		return err
	}
	only := func(p string) bool {
		return p == "." || p == "picket.yaml" || p == "intel" || filepath.Dir(filepath.FromSlash(p)) == "intel"
	}
	return copyFiltered(sub, dir, only)
}

func copyFS(src fs.FS, dir string) error {
	return copyFiltered(src, dir, func(string) bool { return true })
}

func copyFiltered(src fs.FS, dir string, keep func(string) bool) error {
	return fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !keep(p) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		return nil
	})
}
