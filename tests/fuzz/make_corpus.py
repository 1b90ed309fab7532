#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the small valid seed inputs of corpus/idx and corpus/csv (corpus/safetensors holds copies
# of tests/io/data's PyTorch fixtures). Run from tests/fuzz: python3 make_corpus.py
import gzip
import struct


def idx(code, dims, fmt, vals):
    b = bytes([0, 0, code, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims)
    return b + b''.join(struct.pack('>' + fmt, v) for v in vals)


files = {
    'images_u8_2x3x3': idx(0x08, [2, 3, 3], 'B', list(range(18))),
    'labels_u8_5': idx(0x08, [5], 'B', [0, 9, 3, 1, 7]),
    'i8_2x2': idx(0x09, [2, 2], 'b', [-1, 2, -3, 4]),
    'i16_3': idx(0x0B, [3], 'h', [-300, 0, 300]),
    'i32_labels_4': idx(0x0C, [4], 'i', [1, 2, 3, -4]),
    'f32_2x2': idx(0x0D, [2, 2], 'f', [0.5, -1.0, 2.25, 3.0]),
    'f64_1x1x2': idx(0x0E, [1, 1, 2], 'd', [1e300, -0.0]),
    'empty_0x28x28': idx(0x08, [0, 28, 28], 'B', []),
}
for n, b in files.items():
    open('corpus/idx/' + n, 'wb').write(b)
for n in ('images_u8_2x3x3', 'labels_u8_5'):
    open('corpus/idx/' + n + '.gz', 'wb').write(gzip.compress(files[n], mtime=0))

# CSV: the first byte picks the options (see csv.cpp): delimiter index & 7, header & 8,
# double & 16, also int & 32.
csv = {
    'header_comma': bytes([8 | 32]) + b'x,y,label\n1,2,0\n3.5,-4e2,1\n',
    'no_header_semicolon': bytes([1 | 16]) + b'1;2\r\n3;4\r\n\r\n5;6\r\n',
    'quoted': bytes([8]) + b'"a,b","c""d"\n"1", 2 \n"3",4\n',
    'tab_multiline_name': bytes([2 | 8 | 16]) + b'"first\nname"\tsecond\n+1\t-2\n',
    'ints': bytes([32]) + b'1,2,3\n4,5,6\n',
}
for n, b in csv.items():
    open('corpus/csv/' + n, 'wb').write(b)
