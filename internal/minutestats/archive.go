package minutestats

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// ParseArchive parses a minute-stats archive (gzip-compressed tar) read from
// r. Members are found by base name in any directory; members other than
// KnownFiles are ignored. Entries with unsafe paths (absolute, containing ".."),
// entries that are not regular files, duplicate base names and members
// larger than Options.MaxMemberBytes are skipped with an Issue.
//
// The error is non-nil when the options are invalid or when the archive as
// a whole cannot be read further (not gzip, damaged tar header, truncated
// stream, more than Options.MaxTotalBytes uncompressed) or when
// Options.Emit failed. The Result is never nil; after a read error it holds
// (or Emit received) every point parsed before the damage.
func ParseArchive(r io.Reader, opt Options) (*Result, error) {
	p, err := newParser(opt)
	if err != nil {
		return &Result{}, err
	}
	defer p.release()
	res, err := p.readArchive(r)
	if ferr := p.finish(); err == nil {
		err = ferr
	}
	return res, err
}

// ParseDir parses the minute-stats files lying directly in the folder dir
// (an extracted archive's st2-<epoch>/ folder, say). Symbolic links are
// followed; sub-folders are not searched. Limits and issues are as for
// ParseArchive. The error is non-nil only when the options are invalid, dir
// cannot be listed or Options.Emit failed; an unreadable file is an Issue.
func ParseDir(dir string, opt Options) (*Result, error) {
	p, err := newParser(opt)
	if err != nil {
		return &Result{}, err
	}
	defer p.release()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return p.res, fmt.Errorf("read folder: %w", err)
	}
	fsys := os.DirFS(dir)
	var total int64
	for _, e := range entries {
		name := e.Name()
		if !isKnown(name) || e.IsDir() {
			continue
		}
		info, err := fs.Stat(fsys, name) // follows symbolic links
		if err != nil {
			p.issue(name, 0, fmt.Sprintf("cannot stat: %v", err))
			continue
		}
		if !info.Mode().IsRegular() {
			p.issue(name, 0, fmt.Sprintf("not a regular file (%s), ignored", info.Mode().Type()))
			continue
		}
		if info.Size() > p.opt.MaxMemberBytes {
			p.issue(name, 0, fmt.Sprintf("size %d exceeds the member limit of %d bytes, skipped", info.Size(), p.opt.MaxMemberBytes))
			continue
		}
		if total += info.Size(); total > p.opt.MaxTotalBytes {
			p.issue(name, 0, fmt.Sprintf("folder exceeds the total limit of %d bytes, skipped", p.opt.MaxTotalBytes))
			continue
		}
		data, err := readFile(fsys, name, info.Size(), p.opt.MaxMemberBytes, p.copyBuf())
		if err != nil {
			p.issue(name, 0, err.Error())
			continue
		}
		p.parseMember(name, data)
		if p.stopErr != nil {
			break
		}
	}
	return p.res, p.finish()
}

func readFile(fsys fs.FS, name string, size, limit int64, buf []byte) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", fmt.Errorf("cannot open: %w", err)
	}
	defer f.Close()
	data, tooBig, err := readLimited(f, size, limit, buf)
	if err != nil {
		return "", fmt.Errorf("cannot read: %w", err)
	}
	if tooBig {
		return "", fmt.Errorf("grew beyond the member limit of %d bytes, skipped", limit)
	}
	return data, nil
}

// readLimited reads r to its end into one string. It reads at most limit+1
// bytes and reports tooBig when there were more than limit.
// buf is the copy buffer, reused across members.
func readLimited(r io.Reader, sizeHint, limit int64, buf []byte) (data string, tooBig bool, err error) {
	var b strings.Builder
	// A declared size is only a hint: a lying header must not make us
	// allocate more than a real member needs.
	b.Grow(int(min(max(sizeHint, 0), limit, growHintCap) + 1))
	n, err := io.CopyBuffer(&b, io.LimitReader(r, limit+1), buf)
	if err != nil {
		return "", false, err
	}
	if n > limit {
		return "", true, nil
	}
	return b.String(), false, nil
}

func (p *parser) readArchive(r io.Reader) (*Result, error) {
	if p.zr == nil {
		p.zr = new(gzip.Reader)
	}
	zr := p.zr
	if err := zr.Reset(r); err != nil {
		return p.res, fmt.Errorf("read gzip header: %w", err)
	}
	defer zr.Close()
	bounded := &boundedReader{r: zr, max: p.opt.MaxTotalBytes}
	tr := tar.NewReader(bounded)
	last := ""
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return p.res, nil
		}
		if err != nil {
			if last == "" {
				return p.res, fmt.Errorf("read first tar header: %w", err)
			}
			return p.res, fmt.Errorf("read tar header after member %q: %w", last, err)
		}
		name := hdr.Name
		last = name
		switch hdr.Typeflag {
		case tar.TypeDir, tar.TypeXGlobalHeader:
			continue
		case tar.TypeReg:
		default:
			p.issue(name, 0, fmt.Sprintf("not a regular file (tar type %q), ignored", hdr.Typeflag))
			continue
		}
		if reason := unsafePath(name); reason != "" {
			p.issue(name, 0, reason+", ignored")
			continue
		}
		base := path.Base(name)
		if !isKnown(base) {
			continue
		}
		if hdr.Size > p.opt.MaxMemberBytes {
			p.issue(name, 0, fmt.Sprintf("declared size %d exceeds the member limit of %d bytes, skipped", hdr.Size, p.opt.MaxMemberBytes))
			continue
		}
		if p.seen(base) {
			p.issue(name, 0, "duplicate member "+base+", ignored")
			continue
		}
		data, tooBig, err := readLimited(tr, hdr.Size, p.opt.MaxMemberBytes, p.copyBuf())
		if err != nil {
			return p.res, fmt.Errorf("read member %q: %w", name, err)
		}
		if tooBig { // cannot happen with a well-formed tar reader; kept as a guard
			p.issue(name, 0, fmt.Sprintf("content exceeds the member limit of %d bytes, skipped", p.opt.MaxMemberBytes))
			continue
		}
		p.parseMember(name, data)
		if p.stopErr != nil {
			return p.res, nil // finish returns stopErr
		}
	}
}

// unsafePath returns why a member path is unsafe, or "" when it is not.
func unsafePath(name string) string {
	switch {
	case name == "":
		return "empty path"
	case strings.ContainsRune(name, 0):
		return "path contains a NUL byte"
	case name[0] == '/' || name[0] == '\\' || (len(name) > 1 && name[1] == ':'):
		return "absolute path"
	}
	for part := range strings.FieldsFuncSeq(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return `path contains ".."`
		}
	}
	return ""
}

// boundedReader fails with ErrArchiveTooLarge once more than max bytes have
// been read from r.
type boundedReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (b *boundedReader) Read(buf []byte) (int, error) {
	if b.n >= b.max {
		// At the limit: the stream is fine only if it ends here.
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w (%d bytes)", ErrArchiveTooLarge, b.max)
		}
		return 0, err
	}
	if rest := b.max - b.n; int64(len(buf)) > rest {
		buf = buf[:rest]
	}
	n, err := b.r.Read(buf)
	b.n += int64(n)
	return n, err
}

// copyBuf returns the parser's copy buffer, allocated on first use.
func (p *parser) copyBuf() []byte {
	if p.buf == nil {
		p.buf = make([]byte, 16<<10)
	}
	return p.buf
}

// growHintCap caps the buffer allocated up front for one member.
const growHintCap = 1 << 20

func isKnown(base string) bool {
	for _, f := range knownFiles {
		if f == base {
			return true
		}
	}
	return false
}
