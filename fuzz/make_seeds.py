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

# text grids, as a file, standard input or parse_text holds them
GRIDS = (
    b"1 2 3\n4 5 6\n",
    b"1,2;3\n4 5 6 # c\n\n7 8 9\n1 2 3\n",
    b"1/2 -3/4\n0.5e3 nan\n",
    b"1+2j 3\n-inf 4\n",
    b"a b\nc d\n",
    b"\xe2\x88\x921 2\n",
    b"\xef\xbb\xbf1 2\r\n3 4\r\n",
    b"1e999 2\n",
    b"1234567890123456789012345678901234567890 1\n",
    b"1,,2\n",
    b"# only\n",
    b"",
)

# JSON, as a .json file or parse_json holds it
JSONS = (
    b"[[1,2],[3,4]]",
    b'{"result": [["1/9", "2"], [3, 4]]}',
    b"[[[1]],[[2]]]",
    b"[NaN, Infinity, -Infinity]",
    b"[1e999]",
    b'["1+2j", "a"]',
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
)

# arguments: inline matrices and kernel names
INLINES = (
    b"1 2; 3 4",
    b"[1 2; 3 4]",
    b"[[1,2],[3,4]]",
    b"1,2,3",
    b"box:3",
    b"gaussian:5:1.0",
    b"sobel-x",
    b"1/0",
    b"0/0",
    b"laplace",
)

# .npy files after the magic (read the same with and without --exact)
NPYS = (
    b"\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }                                                          \n\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00",
    b"\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }                                                            \n\x00\x00\x00\x00\x00\x00\xf8?\x00\x00\x00\x00\x00\x00\xf8\x7f",
    b"\x01\x00v\x00{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }                                                            \n\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\x01\x00v\x00{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }                                                           \n\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@",
    b"\x01\x00v\x00{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }                                                            \n\x01\x00",
    b"\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }                                                          \n\x00\x00\x00\x00\x00\x00\x00\x80",
)


def both(payloads: tuple[bytes, ...]) -> list[tuple[int, bytes]]:
    """Each payload read as floats, then each read with --exact."""
    return [(0, p) for p in payloads] + [(1, p) for p in payloads]


# entry point -> (exact, payload) pairs
SEEDS: dict[int, list[tuple[int, bytes]]] = {
    0: both(GRIDS),  # parse_text
    1: both(JSONS),  # parse_json
    2: both(INLINES),  # parse_inline
    3: both(GRIDS),  # read_matrix on a .txt file
    4: both(JSONS),  # read_matrix on a .json file
    5: [(0, p) for p in NPYS],  # read_matrix on a .npy file after the magic
    7: both(GRIDS),  # read_matrix("-") on standard input
    8: both(INLINES),  # read_matrix on an argument
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
