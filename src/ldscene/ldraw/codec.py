"""Cache values as JSON plus raw array buffers: a format that cannot run code when read.

`encode` takes what the caches store (None, bools, numbers, strings, lists, tuples, dicts,
numpy arrays of plain dtypes, and the dataclasses named in `ALLOWED_CLASSES`, field by field,
so new fields travel without being listed here) and returns one blob: a little-endian uint32
length, a JSON description, padding to 8 bytes, then the arrays' bytes.  `decode` rebuilds the
value with `np.frombuffer` on the caller's (writable) buffer, so arrays are not copied; anything
malformed raises `ValueError` (the cache treats it as a miss).  Nothing is unpickled, nothing
is imported but the allowed classes' modules.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import math
import struct
from typing import Any

import numpy as np

#: Dataclasses a cache may hold, by module-qualified name.
ALLOWED_CLASSES = ("ldscene.ldraw.geometry.PartGeometry",)
_KINDS = set("biufcUS")  # bool, ints, floats, complex, unicode and byte strings: no objects
_LENGTH = struct.Struct("<I")
_ALIGN = 8


def encode(value: Any) -> list[bytes | memoryview]:
    """`value` as the pieces of one blob (joined or written in sequence by the caller)."""
    buffers: list[memoryview] = []
    offset = 0

    def enc(item: Any) -> Any:
        nonlocal offset
        if item is None or isinstance(item, (bool, int, float, str)):
            return item
        if isinstance(item, np.generic):
            return enc(item.item())
        if isinstance(item, np.ndarray):
            if item.dtype.hasobject or item.dtype.kind not in _KINDS:
                raise TypeError(f"cannot cache an array of {item.dtype}")
            array = np.ascontiguousarray(item)
            described = {"a": [array.dtype.str, list(array.shape), offset]}
            data = memoryview(array.reshape(-1).view(np.uint8)) if array.size else memoryview(b"")
            pad = -len(data) % _ALIGN
            buffers.append(data)
            if pad:
                buffers.append(memoryview(bytes(pad)))
            offset += len(data) + pad
            return described
        if isinstance(item, tuple):
            return {"t": [enc(x) for x in item]}
        if isinstance(item, list):
            return [enc(x) for x in item]
        if isinstance(item, dict):
            return {"d": [[enc(k), enc(v)] for k, v in item.items()]}
        name = f"{type(item).__module__}.{type(item).__qualname__}"
        if dataclasses.is_dataclass(item) and name in ALLOWED_CLASSES:
            fields = [[f.name, enc(getattr(item, f.name))] for f in dataclasses.fields(item)]
            return {"c": name, "f": fields}
        raise TypeError(f"cannot cache a {name}")

    text = json.dumps(enc(value), separators=(",", ":")).encode()
    head = _LENGTH.pack(len(text)) + text
    head += bytes(-len(head) % _ALIGN)
    return [head, *buffers]


def decode(blob: bytearray | memoryview) -> Any:
    """The value `encode` described; raises ValueError when the blob is not one."""
    view = memoryview(blob)
    try:
        (length,) = _LENGTH.unpack_from(view, 0)
    except struct.error as err:
        raise ValueError(f"bad cache entry ({err})") from None
    start = _LENGTH.size + length
    start += -start % _ALIGN
    data = view[start:]

    def node(item: dict) -> Any:  # json calls this for every object, innermost first
        if len(item) == 1:
            ((tag, value),) = item.items()
            if tag == "t" and value.__class__ is list:  # the commonest node first
                return tuple(value)
            if tag == "a":
                return _array(value, data)
            if tag == "d" and isinstance(value, list):
                return {key: inner for key, inner in value}
        elif len(item) == 2 and "c" in item and isinstance(item.get("f"), list):
            return _instance(item["c"], dict(item["f"]))
        raise ValueError("bad cache entry (unknown node)")

    try:
        return json.loads(bytes(view[_LENGTH.size : _LENGTH.size + length]), object_hook=node)
    except (ValueError, UnicodeDecodeError, TypeError, RecursionError) as err:
        raise ValueError(f"bad cache entry ({type(err).__name__}: {err})") from None


@functools.lru_cache(maxsize=64)
def _dtype(text: str) -> np.dtype:
    try:
        dtype = np.dtype(text)
    except TypeError:
        raise ValueError(f"bad cache entry (dtype {text[:20]!r})") from None
    if dtype.hasobject or dtype.kind not in _KINDS:
        raise ValueError(f"bad cache entry (dtype {dtype})")
    return dtype


def _array(spec: Any, data: memoryview) -> np.ndarray:
    if not isinstance(spec, list) or len(spec) != 3 or not isinstance(spec[1], list):
        raise ValueError("bad cache entry (array)")
    dtype_text, shape, offset = spec
    dtype = _dtype(str(dtype_text))
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise ValueError("bad cache entry (shape)")
    count = math.prod(shape)
    if not isinstance(offset, int) or offset < 0 or offset + count * dtype.itemsize > len(data):
        raise ValueError("bad cache entry (array outside the entry)")
    if count == 0:
        return np.zeros(shape, dtype)
    return np.frombuffer(data, dtype, count, offset).reshape(shape)


@functools.cache
def _allowed(name: str) -> tuple[type, frozenset[str]]:
    """An allowed dataclass and the names of its array fields."""
    module, _, qualname = name.rpartition(".")
    cls = getattr(importlib.import_module(module), qualname)
    arrays = frozenset(f.name for f in dataclasses.fields(cls) if "ndarray" in str(f.type))
    return cls, arrays


def _instance(name: Any, values: Any) -> Any:
    if name not in ALLOWED_CLASSES or not isinstance(values, dict):
        raise ValueError(f"bad cache entry (class {name!r} is not allowed)")
    cls, arrays = _allowed(name)
    for field, value in values.items():
        if (field in arrays) != isinstance(value, np.ndarray):
            raise ValueError(f"bad cache entry ({name}.{field} has the wrong type)")
    return cls(**values)
