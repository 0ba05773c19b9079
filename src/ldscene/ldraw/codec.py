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
import importlib
import json
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
            fields = {f.name: enc(getattr(item, f.name)) for f in dataclasses.fields(item)}
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
        tree = json.loads(bytes(view[_LENGTH.size : _LENGTH.size + length]))
    except (struct.error, ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"bad cache entry ({err})") from None
    start = _LENGTH.size + length
    start += -start % _ALIGN
    data = view[start:]
    try:
        return _dec(tree, data)
    except (KeyError, IndexError, TypeError, AttributeError, RecursionError) as err:
        raise ValueError(f"bad cache entry ({type(err).__name__}: {err})") from None


def _dec(item: Any, data: memoryview) -> Any:
    if item is None or isinstance(item, (bool, int, float, str)):
        return item
    if isinstance(item, list):
        return [_dec(x, data) for x in item]
    if not isinstance(item, dict) or len(item) not in (1, 2):
        raise ValueError("bad cache entry (unknown node)")
    if "a" in item:
        return _array(item["a"], data)
    if "t" in item:
        return tuple(_dec(x, data) for x in item["t"])
    if "d" in item:
        return {_hashable(_dec(k, data)): _dec(v, data) for k, v in item["d"]}
    if "c" in item:
        return _instance(item["c"], item["f"], data)
    raise ValueError("bad cache entry (unknown node)")


def _hashable(key: Any) -> Any:
    if isinstance(key, (list, dict, np.ndarray)):
        raise ValueError("bad cache entry (unhashable key)")
    return key


def _array(spec: Any, data: memoryview) -> np.ndarray:
    dtype_text, shape, offset = spec
    dtype = np.dtype(str(dtype_text))
    if dtype.hasobject or dtype.kind not in _KINDS:
        raise ValueError(f"bad cache entry (dtype {dtype})")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise ValueError("bad cache entry (shape)")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if not isinstance(offset, int) or offset < 0 or offset + count * dtype.itemsize > len(data):
        raise ValueError("bad cache entry (array outside the entry)")
    if count == 0:
        return np.zeros(shape, dtype)
    return np.frombuffer(data, dtype, count, offset).reshape(shape)


def _instance(name: Any, fields: Any, data: memoryview) -> Any:
    if name not in ALLOWED_CLASSES or not isinstance(fields, dict):
        raise ValueError(f"bad cache entry (class {name!r} is not allowed)")
    module, _, qualname = str(name).rpartition(".")
    cls = getattr(importlib.import_module(module), qualname)
    values = {key: _dec(value, data) for key, value in fields.items()}
    for field in dataclasses.fields(cls):
        is_array = "ndarray" in str(field.type)
        if field.name in values and is_array != isinstance(values[field.name], np.ndarray):
            raise ValueError(f"bad cache entry ({name}.{field.name} has the wrong type)")
    return cls(**values)
