package parse

import (
	"io"
	"io/fs"
)

// sizedInput returns the rest of r as a ReaderAt of known size when r is
// a regular file or an in-memory reader, so that workers can read their
// own parts of it in parallel.
func sizedInput(r io.Reader) (*io.SectionReader, bool) {
	ra, ok := r.(io.ReaderAt)
	sk, ok2 := r.(io.Seeker)
	if !ok || !ok2 {
		return nil, false
	}
	var size int64
	switch v := r.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return nil, false
		}
		size = st.Size()
	case interface{ Size() int64 }:
		size = v.Size()
	default:
		return nil, false
	}
	base, err := sk.Seek(0, io.SeekCurrent)
	if err != nil || base > size {
		return nil, false
	}
	return io.NewSectionReader(ra, base, size-base), true
}
