package pgembed

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// shareBinaries returns a bin folder u can execute: binDir itself when u can
// reach it, else a copy of its installation (bin, lib and share next to each
// other, as the npm package has them) under base/bin-<hash>. The copy is
// made once per installation, owned by root and readable by everyone.
func shareBinaries(binDir, base string, u *osUser) (string, error) {
	if reachable(binDir, u) {
		return binDir, nil
	}
	root := filepath.Dir(binDir)
	fi, err := os.Stat(filepath.Join(binDir, "postgres"))
	if err != nil {
		return "", fmt.Errorf("pgembed share binaries: %w", err)
	}
	sum := sha256.Sum256([]byte(root + "\x00" + strconv.FormatInt(fi.Size(), 10) + "\x00" + fi.ModTime().String()))
	dst := filepath.Join(base, "bin-"+hex.EncodeToString(sum[:8]))
	if checkBinDir(filepath.Join(dst, "bin")) == nil {
		return filepath.Join(dst, "bin"), nil
	}
	tmp, err := os.MkdirTemp(base, ".copy-*")
	if err != nil {
		return "", fmt.Errorf("pgembed share binaries: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed into place
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("pgembed share binaries: %w", err)
	}
	for _, sub := range []string{"bin", "lib", "share"} {
		if _, err := os.Stat(filepath.Join(root, sub)); err != nil {
			continue
		}
		if err := copyTree(filepath.Join(root, sub), filepath.Join(tmp, sub)); err != nil {
			return "", fmt.Errorf("pgembed share binaries: %w", err)
		}
	}
	if checkBinDir(filepath.Join(dst, "bin")) == nil { // a concurrent copy finished first
		return filepath.Join(dst, "bin"), nil
	}
	_ = os.RemoveAll(dst) // an incomplete earlier copy
	if err := os.Rename(tmp, dst); err != nil && checkBinDir(filepath.Join(dst, "bin")) != nil {
		return "", fmt.Errorf("pgembed share binaries: %w", err)
	}
	return filepath.Join(dst, "bin"), nil
}

// reachable reports whether u can enter every folder from / down to binDir
// and its sibling lib folder, and read and run the programs.
func reachable(binDir string, u *osUser) bool {
	for dir := binDir; ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil || !permits(fi, u, 0o1) {
			return false
		}
		if dir == filepath.Dir(dir) {
			break
		}
	}
	if fi, err := os.Stat(filepath.Join(filepath.Dir(binDir), "lib")); err == nil && !permits(fi, u, 0o5) {
		return false
	}
	for _, p := range programs {
		fi, err := os.Stat(filepath.Join(binDir, p))
		if err != nil || !permits(fi, u, 0o5) {
			return false
		}
	}
	return true
}

// copyTree copies src to dst keeping symlinks, making folders 0755 and files
// 0755 or 0644 depending on whether they were executable.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, 0o755); err != nil {
				return err
			}
			return os.Chmod(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			return copyFile(path, target)
		}
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if fi.Mode().Perm()&0o100 != 0 {
		mode = 0o755
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}
