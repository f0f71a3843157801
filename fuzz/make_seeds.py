"""Write the hand-written seed inputs of the fuzz target into fuzz/seeds (see fuzz/README.md).

Each seed is in parser_target.py's format: the --exact flag first, then (for the entry points
that read text) a byte of 1 that makes the payload ASCII text, the payload, and the entry point
last. The seeds are generated rather than kept in the repository; the inputs the fuzzer found
(fuzz/seeds/found-*) are kept, each with a regression test.

    python fuzz/make_seeds.py
"""

from __future__ import annotations

from pathlib import Path

TEXT_ENTRIES = (0, 1, 2, 8)

# entry point -> (exact, payload) pairs
SEEDS: dict[int, list[tuple[int, bytes]]] = {
    # 0: parse_text
    0: [
        (0, b"1 2 3\n4 5 6\n"),
        (0, b"1,2;3\n4 5 6 # c\n\n7 8 9\n1 2 3\n"),
        (0, b"1/2 -3/4\n0.5e3 nan\n"),
        (0, b"1+2j 3\n-inf 4\n"),
        (0, b"a b\nc d\n"),
        (0, b"\xe2\x88\x921 2\n"),
        (0, b"\xef\xbb\xbf1 2\r\n3 4\r\n"),
        (0, b"1e999 2\n"),
        (0, b"1234567890123456789012345678901234567890 1\n"),
        (0, b"1,,2\n"),
        (0, b"# only\n"),
        (0, b""),
        (1, b"1 2 3\n4 5 6\n"),
        (1, b"1,2;3\n4 5 6 # c\n\n7 8 9\n1 2 3\n"),
        (1, b"1/2 -3/4\n0.5e3 nan\n"),
        (1, b"1+2j 3\n-inf 4\n"),
        (1, b"a b\nc d\n"),
        (1, b"\xe2\x88\x921 2\n"),
        (1, b"\xef\xbb\xbf1 2\r\n3 4\r\n"),
        (1, b"1e999 2\n"),
        (1, b"1234567890123456789012345678901234567890 1\n"),
        (1, b"1,,2\n"),
        (1, b"# only\n"),
        (1, b""),
    ],
    # 1: parse_json
    1: [
        (0, b"[[1,2],[3,4]]"),
        (0, b'{"result": [["1/9", "2"], [3, 4]]}'),
        (0, b"[[[1]],[[2]]]"),
        (0, b"[NaN, Infinity, -Infinity]"),
        (0, b"[1e999]"),
        (0, b'["1+2j", "a"]'),
        (
            0,
            b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ),
        (1, b"[[1,2],[3,4]]"),
        (1, b'{"result": [["1/9", "2"], [3, 4]]}'),
        (1, b"[[[1]],[[2]]]"),
        (1, b"[NaN, Infinity, -Infinity]"),
        (1, b"[1e999]"),
        (1, b'["1+2j", "a"]'),
        (
            1,
            b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ),
    ],
    # 2: parse_inline
    2: [
        (0, b"1 2; 3 4"),
        (0, b"[1 2; 3 4]"),
        (0, b"[[1,2],[3,4]]"),
        (0, b"1,2,3"),
        (0, b"box:3"),
        (0, b"gaussian:5:1.0"),
        (0, b"sobel-x"),
        (0, b"1/0"),
        (0, b"0/0"),
        (0, b"laplace"),
        (1, b"1 2; 3 4"),
        (1, b"[1 2; 3 4]"),
        (1, b"[[1,2],[3,4]]"),
        (1, b"1,2,3"),
        (1, b"box:3"),
        (1, b"gaussian:5:1.0"),
        (1, b"sobel-x"),
        (1, b"1/0"),
        (1, b"0/0"),
        (1, b"laplace"),
    ],
    # 3: read_matrix on a .txt file
    3: [
        (0, b"1 2 3\n4 5 6\n"),
        (0, b"1,2;3\n4 5 6 # c\n\n7 8 9\n1 2 3\n"),
        (0, b"1/2 -3/4\n0.5e3 nan\n"),
        (0, b"1+2j 3\n-inf 4\n"),
        (0, b"a b\nc d\n"),
        (0, b"\xe2\x88\x921 2\n"),
        (0, b"\xef\xbb\xbf1 2\r\n3 4\r\n"),
        (0, b"1e999 2\n"),
        (0, b"1234567890123456789012345678901234567890 1\n"),
        (0, b"1,,2\n"),
        (0, b"# only\n"),
        (0, b""),
        (1, b"1 2 3\n4 5 6\n"),
        (1, b"1,2;3\n4 5 6 # c\n\n7 8 9\n1 2 3\n"),
        (1, b"1/2 -3/4\n0.5e3 nan\n"),
        (1, b"1+2j 3\n-inf 4\n"),
        (1, b"a b\nc d\n"),
        (1, b"\xe2\x88\x921 2\n"),
        (1, b"\xef\xbb\xbf1 2\r\n3 4\r\n"),
        (1, b"1e999 2\n"),
        (1, b"1234567890123456789012345678901234567890 1\n"),
        (1, b"1,,2\n"),
        (1, b"# only\n"),
        (1, b""),
    ],
    # 4: read_matrix on a .json file
    4: [
        (0, b"[[1,2],[3,4]]"),
        (0, b'{"result": [["1/9", "2"], [3, 4]]}'),
        (0, b"[[[1]],[[2]]]"),
        (0, b"[NaN, Infinity, -Infinity]"),
        (0, b"[1e999]"),
        (0, b'["1+2j", "a"]'),
        (
            0,
            b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ),
        (1, b"[[1,2],[3,4]]"),
        (1, b'{"result": [["1/9", "2"], [3, 4]]}'),
        (1, b"[[[1]],[[2]]]"),
        (1, b"[NaN, Infinity, -Infinity]"),
        (1, b"[1e999]"),
        (1, b'["1+2j", "a"]'),
        (
            1,
            b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ),
    ],
    # 5: read_matrix on a .npy file after the magic
    5: [
        (
            0,
            b"\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }                                                          \n\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00",
        ),
        (
            0,
            b"\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }                                                            \n\x00\x00\x00\x00\x00\x00\xf8?\x00\x00\x00\x00\x00\x00\xf8\x7f",
        ),
        (
            0,
            b"\x01\x00v\x00{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }                                                            \n\xff\xff\xff\xff\xff\xff\xff\xff",
        ),
        (
            0,
            b"\x01\x00v\x00{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }                                                           \n\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@",
        ),
        (
            0,
            b"\x01\x00v\x00{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }                                                            \n\x01\x00",
        ),
        (
            0,
            b"\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }                                                          \n\x00\x00\x00\x00\x00\x00\x00\x80",
        ),
    ],
    # 7: read_matrix("-") on standard input
    7: [
        (0, b"1 2 3\n4 5 6\n"),
        (0, b"1,2;3\n4 5 6 # c\n\n7 8 9\n1 2 3\n"),
        (0, b"1/2 -3/4\n0.5e3 nan\n"),
        (0, b"1+2j 3\n-inf 4\n"),
        (0, b"a b\nc d\n"),
        (0, b"\xe2\x88\x921 2\n"),
        (0, b"\xef\xbb\xbf1 2\r\n3 4\r\n"),
        (0, b"1e999 2\n"),
        (0, b"1234567890123456789012345678901234567890 1\n"),
        (0, b"1,,2\n"),
        (0, b"# only\n"),
        (0, b""),
        (1, b"1 2 3\n4 5 6\n"),
        (1, b"1,2;3\n4 5 6 # c\n\n7 8 9\n1 2 3\n"),
        (1, b"1/2 -3/4\n0.5e3 nan\n"),
        (1, b"1+2j 3\n-inf 4\n"),
        (1, b"a b\nc d\n"),
        (1, b"\xe2\x88\x921 2\n"),
        (1, b"\xef\xbb\xbf1 2\r\n3 4\r\n"),
        (1, b"1e999 2\n"),
        (1, b"1234567890123456789012345678901234567890 1\n"),
        (1, b"1,,2\n"),
        (1, b"# only\n"),
        (1, b""),
    ],
    # 8: read_matrix on an argument
    8: [
        (0, b"1 2; 3 4"),
        (0, b"[1 2; 3 4]"),
        (0, b"[[1,2],[3,4]]"),
        (0, b"1,2,3"),
        (0, b"box:3"),
        (0, b"gaussian:5:1.0"),
        (0, b"sobel-x"),
        (0, b"1/0"),
        (0, b"0/0"),
        (0, b"laplace"),
        (1, b"1 2; 3 4"),
        (1, b"[1 2; 3 4]"),
        (1, b"[[1,2],[3,4]]"),
        (1, b"1,2,3"),
        (1, b"box:3"),
        (1, b"gaussian:5:1.0"),
        (1, b"sobel-x"),
        (1, b"1/0"),
        (1, b"0/0"),
        (1, b"laplace"),
    ],
}


def seed_bytes(entry: int, exact: int, payload: bytes) -> bytes:
    return bytes([exact]) + (b"\x01" if entry in TEXT_ENTRIES else b"") + payload + bytes([entry])


def main() -> None:
    folder = Path(__file__).resolve().parent / "seeds"
    folder.mkdir(exist_ok=True)
    number = 0
    for entry, seeds in SEEDS.items():
        for exact, payload in seeds:
            number += 1
            (folder / f"seed{number:03d}").write_bytes(seed_bytes(entry, exact, payload))
    print(f"wrote {number} seeds to {folder}")


if __name__ == "__main__":
    main()
