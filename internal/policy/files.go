package policy

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// maxDeploymentFile bounds how much of a file a deployment names is read;
// the files policies read (credentials files) are a few kilobytes.
const maxDeploymentFile = 1 << 20

// ReadLocalFile reads a file a deployment names (a provider's credentials
// file) as the provider would on this machine: a leading `~` is the home
// directory and a relative path is resolved against the working directory.
// Only a regular file is read (never a FIFO or a device that could block or
// never end), and at most 1 MiB of it. The analyzer and `check` hand it to
// the policies through Options.ReadFile.
func ReadLocalFile(path string) ([]byte, error) { return readFileUnder("", path) }

// LocalFilesUnder is ReadLocalFile with relative paths resolved against dir
// instead of the working directory: fixtures name files relative to the
// repository root, wherever their test runs.
func LocalFilesUnder(dir string) func(path string) ([]byte, error) {
	return func(path string) ([]byte, error) { return readFileUnder(dir, path) }
}

func readFileUnder(dir, path string) ([]byte, error) {
	path = strings.TrimSpace(path)
	switch {
	case path == "":
		return nil, errors.New("empty path")
	case path == "~" || strings.HasPrefix(path, "~/") || strings.HasPrefix(path, `~\`):
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(home, path[1:])
	case dir != "" && !filepath.IsAbs(path):
		path = filepath.Join(dir, path)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxDeploymentFile))
}
