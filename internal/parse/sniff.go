package parse

import (
	"bytes"
	"unicode/utf8"
)

// looksText reports whether b is text rather than binary: few control
// bytes and mostly valid UTF-8. A stray NUL (the padding logrotate's
// copytruncate leaves) or a few bytes of another encoding leave text
// text; binary data has control bytes everywhere.
func looksText(b []byte) bool {
	b = b[:min(len(b), 4096)]
	control, invalid := 0, 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b || c == 0x7f {
				control++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			invalid++
		}
		i += size
	}
	return control <= len(b)/64+1 && invalid <= len(b)/16+4
}

// compressed names the compression format whose magic number starts b,
// or returns "" (gzip, which Read reads, is not one of them).
func compressed(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd-compressed data: decompress it first (zstd -d)"
	case len(b) >= 10 && bytes.HasPrefix(b, []byte("BZh")) && b[3] >= '1' && b[3] <= '9' &&
		(bytes.HasPrefix(b[4:], []byte("1AY&SY")) || bytes.HasPrefix(b[4:], []byte{0x17, 0x72, 0x45, 0x38, 0x50, 0x90})):
		return "bzip2-compressed data: decompress it first (bunzip2)"
	case bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return "xz-compressed data: decompress it first (xz -d)"
	case bytes.HasPrefix(b, []byte{0x04, 0x22, 0x4d, 0x18}), bytes.HasPrefix(b, []byte{0x02, 0x21, 0x4c, 0x18}):
		return "lz4-compressed data: decompress it first (lz4 -d)"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")), bytes.HasPrefix(b, []byte("PK\x05\x06")):
		return "a zip archive: extract the dump from it first (unzip)"
	case bytes.HasPrefix(b, []byte("7z\xbc\xaf\x27\x1c")):
		return "a 7-Zip archive: extract the dump from it first"
	}
	return ""
}

// looksProto reports whether b starts like a protobuf Profile message
// (github.com/google/pprof/proto/profile.proto): every field of b, and of
// the messages nested in it, has a number and wire type that message
// defines, and the lengths fit. A Profile starts with its sample types,
// so random bytes, text and other formats fail within a few bytes, and
// only input that passes is read whole. eof says b is the whole input.
func looksProto(b []byte, eof bool) bool {
	fields, ok := protoFields(b, profileSchema, eof, 0)
	return ok && fields > 0
}

// A protoSchema gives the wire type of each field number of a message
// (-1: not a field) and, for messages, their schema.
type protoSchema struct {
	wire []int8
	sub  map[int]*protoSchema
}

const (
	wireVarint = 0
	wire64     = 1
	wireBytes  = 2
	wire32     = 5
	wirePacked = 8 // a repeated number: varint, or packed as bytes
	wireString = 9 // bytes that are no message
)

var (
	valueTypeSchema = &protoSchema{wire: []int8{-1, wireVarint, wireVarint}}
	labelSchema     = &protoSchema{wire: []int8{-1, wireVarint, wireVarint, wireVarint, wireVarint}}
	sampleSchema    = &protoSchema{wire: []int8{-1, wirePacked, wirePacked, wireBytes},
		sub: map[int]*protoSchema{3: labelSchema}}
	mappingSchema = &protoSchema{wire: []int8{-1, wireVarint, wireVarint, wireVarint, wireVarint, wireVarint,
		wireVarint, wireVarint, wireVarint, wireVarint, wireVarint}}
	lineSchema     = &protoSchema{wire: []int8{-1, wireVarint, wireVarint, wireVarint}}
	locationSchema = &protoSchema{wire: []int8{-1, wireVarint, wireVarint, wireVarint, wireBytes, wireVarint},
		sub: map[int]*protoSchema{4: lineSchema}}
	functionSchema = &protoSchema{wire: []int8{-1, wireVarint, wireVarint, wireVarint, wireVarint, wireVarint}}
	profileSchema  = &protoSchema{
		wire: []int8{-1, wireBytes, wireBytes, wireBytes, wireBytes, wireBytes, wireString,
			wireVarint, wireVarint, wireVarint, wireVarint, wireBytes, wireVarint, wirePacked, wireVarint, wireVarint},
		sub: map[int]*protoSchema{1: valueTypeSchema, 2: sampleSchema, 3: mappingSchema,
			4: locationSchema, 5: functionSchema, 11: valueTypeSchema},
	}
)

// protoFields checks the fields of one message in b and counts them;
// whole says b holds all of the message (else it may stop anywhere).
func protoFields(b []byte, schema *protoSchema, whole bool, depth int) (int, bool) {
	fields := 0
	for len(b) > 0 {
		tag, n := protoVarint(b)
		if n == 0 {
			return fields, !whole && len(b) < 10
		}
		b = b[n:]
		num, wire := tag>>3, int8(tag&7)
		if num == 0 || num >= uint64(len(schema.wire)) || schema.wire[num] < 0 {
			return fields, false
		}
		want := schema.wire[num]
		switch {
		case want == wirePacked && (wire == wireVarint || wire == wireBytes):
		case want == wireString && wire == wireBytes:
		case want != wire:
			return fields, false
		}
		switch wire {
		case wireVarint:
			_, n := protoVarint(b)
			if n == 0 {
				return fields, !whole && len(b) < 10
			}
			b = b[n:]
		case wireBytes:
			size, n := protoVarint(b)
			if n == 0 {
				return fields, !whole && len(b) < 10
			}
			b = b[n:]
			if size > 1<<30 || whole && size > uint64(len(b)) {
				return fields, false
			}
			body := b[:min(uint64(len(b)), size)]
			full := size <= uint64(len(b))
			switch {
			case want == wirePacked:
				for len(body) > 0 {
					_, n := protoVarint(body)
					if n == 0 {
						if full || len(body) >= 10 {
							return fields, false
						}
						break
					}
					body = body[n:]
				}
			case want == wireBytes && schema.sub[int(num)] != nil && depth < 3:
				if _, ok := protoFields(body, schema.sub[int(num)], full, depth+1); !ok {
					return fields, false
				}
			}
			if !full {
				return fields + 1, true // the sample ends inside this field
			}
			b = b[size:]
		}
		fields++
	}
	return fields, true
}

// protoVarint decodes a varint, returning 0 bytes if b holds none.
func protoVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}
