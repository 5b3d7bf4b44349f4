#!/usr/bin/env python3
"""Write the tiny torch.save fixtures for the legacy checkpoint reader in src/marian/pth.rs.

    /work/pyenv/bin/python scripts/make_pth_fixture.py      # any Python with torch

opus-mt `pytorch_model.bin` files from around 2020 may use PyTorch's legacy (non-zip) serialization,
which candle's `candle_core::pickle` cannot read; src/marian/pth.rs reads it. This script writes, into
tests/data/:

  pth-legacy.pth        an OrderedDict saved with `_use_new_zipfile_serialization=False`: a float32
                        matrix, one tensor under two names (tied embeddings), a view with a storage
                        offset (`t[1:]`), a transposed view, float16, bfloat16, float64, a 1-D bias
                        and an int64 tensor;
  pth-zip.pth           the same dict in the zip format, so the test can check that both readers agree;
  pth-legacy-extra.pth  legacy-only cases that candle's zip reader cannot cross-check: nested dicts
                        (one a real `state_dict()` with its `_metadata`), int32, bool, a 0-d scalar, an
                        empty tensor, strided views that are neither C- nor Fortran-ordered, a 3-D
                        permutation, an `nn.Parameter` and a non-tensor entry (to be skipped);
  pth-expected.json     for each legacy file, every tensor the reader should return (nested names
                        joined with "."): dtype, shape and row-major values.

Values are distinct multiples of 1/4, exact in every dtype used, so a wrong offset or stride shows
and the comparison can be exact. The storage keys in the files are memory addresses, so the .pth
bytes change from run to run; the JSON does not.
"""
import json
from collections import OrderedDict
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent.parent / "tests" / "data"

DTYPE_NAMES = {
    torch.float32: "f32",
    torch.float16: "f16",
    torch.bfloat16: "bf16",
    torch.float64: "f64",
    torch.int64: "i64",
    torch.int32: "i32",
    torch.bool: "u8",  # candle has no bool: the reader returns 0/1 bytes
}


def distinct(shape, dtype=torch.float32):
    """Distinct values in random order: multiples of 1/4 for floats, integers otherwise."""
    n = 1
    for d in shape:
        n *= d
    values = torch.randperm(n) - n // 2
    if dtype.is_floating_point:
        return (values.to(torch.float64) / 4).to(dtype).reshape(shape)
    return values.to(dtype).reshape(shape)


def flatten(prefix, obj, out):
    """Name -> tensor for every tensor in a nested dict, names joined with "." as the reader does."""
    for key, value in obj.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, torch.Tensor):
            out[name] = value
        elif isinstance(value, dict):
            flatten(name, value, out)


def expected(state):
    tensors = {}
    flatten("", state, tensors)
    result = {}
    for name, t in tensors.items():
        values = t.detach().to(torch.int64 if t.dtype == torch.bool else t.dtype)
        result[name] = {
            "dtype": DTYPE_NAMES[t.dtype],
            "shape": list(t.shape),
            "values": values.flatten().tolist(),
        }
    return result


def main():
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)

    embed = distinct((5, 3))
    proj = distinct((3, 4))
    main_dict = OrderedDict()
    main_dict["model.encoder.weight"] = distinct((2, 3))
    main_dict["model.shared.weight"] = embed
    main_dict["lm_head.weight"] = embed  # tied: same storage, same view
    main_dict["model.shared.tail"] = embed[1:]  # storage offset 3
    main_dict["proj.weight_t"] = proj.t()  # non-contiguous (Fortran-ordered)
    main_dict["half"] = distinct((2, 2), torch.float16)
    main_dict["brain"] = distinct((3,), torch.bfloat16)
    main_dict["double"] = distinct((2,), torch.float64)
    main_dict["proj.bias"] = distinct((4,))
    main_dict["positions"] = distinct((2, 3), torch.int64)

    base = distinct((4, 6))
    lin = torch.nn.Linear(3, 2)
    with torch.no_grad():
        lin.weight.copy_(distinct((2, 3)))
        lin.bias.copy_(distinct((2,)))
    extra = OrderedDict()
    extra["model"] = OrderedDict()
    extra["model"]["encoder.weight"] = distinct((2, 2))
    extra["model"]["decoder"] = {"bias": distinct((3,))}
    extra["lin"] = lin.state_dict()
    extra["int32"] = distinct((5,), torch.int32)
    extra["mask"] = torch.tensor([True, False, True])
    extra["scalar"] = torch.tensor(2.5)
    extra["empty"] = torch.zeros(0, 3)
    extra["every_other_col"] = base[:, ::2]  # strides (6, 2)
    extra["column"] = base[:, 1]  # offset 1, stride 6
    extra["permuted"] = distinct((2, 3, 4)).permute(2, 0, 1)
    extra["param"] = torch.nn.Parameter(distinct((2, 2)))
    extra["step"] = 1000

    torch.save(main_dict, OUT / "pth-legacy.pth", _use_new_zipfile_serialization=False)
    torch.save(main_dict, OUT / "pth-zip.pth")
    torch.save(extra, OUT / "pth-legacy-extra.pth", _use_new_zipfile_serialization=False)
    files = {"pth-legacy.pth": expected(main_dict), "pth-legacy-extra.pth": expected(extra)}
    # One tensor a line: small diffs when the fixture changes.
    lines = []
    for file, tensors in files.items():
        entries = [f"  {json.dumps(name)}: {json.dumps(info)}" for name, info in tensors.items()]
        lines.append(f" {json.dumps(file)}: {{\n" + ",\n".join(entries) + "\n }")
    (OUT / "pth-expected.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    main()
