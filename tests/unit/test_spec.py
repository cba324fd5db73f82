"""The loader: the bundled spec is valid, and every kind of mistake is one clear line."""

from __future__ import annotations

import textwrap

import pytest
from tensorparity.backends.spec_files import OP_IDS
from tensorparity.harness.spec import SpecError, load_spec

GOOD_CASE = """\
  - name: one
    args:
      - {tensor: [1.0, 2.0], dtype: float32}
      - {tensor: [3.0, 4.0], dtype: float32}
    expected: {dtype: float32, shape: [2], value: [4.0, 6.0]}
"""
HEADER = """\
op: add
torch: torch.add
summary: s
signature:
  - {name: input, kind: tensor}
  - {name: other, kind: tensor_or_scalar}
  - {name: alpha, kind: scalar, default: 1, keyword_only: true}
cases:
"""


def write(spec_dir, text, name="add.yaml"):
    path = spec_dir / "ops" / name
    path.write_text(textwrap.dedent(text))
    return path


def error_of(spec_dir, text, **kwargs):
    write(spec_dir, text)
    with pytest.raises(SpecError) as raised:
        load_spec(spec_dir, **kwargs)
    message = str(raised.value)
    assert "\n" not in message
    assert "add.yaml" in message
    return message


def test_bundled_spec_covers_every_op(spec):
    assert set(spec.ops) == set(OP_IDS)
    assert len(spec.dtypes) == 17
    for op in spec.ops.values():
        assert op.cases, op.op


def test_bundled_spec_has_every_seed_section(spec):
    sections = {case.section for op in spec.ops.values() for case in op.cases if case.seed_prints is not None}
    # every seed section that prints an output has a case holding that print (§3.4 and §3.8 print none we check)
    expected = {f"3.{n}" for n in range(1, 26)} - {"3.4", "3.8"}
    assert expected <= sections, sorted(expected - sections)


def test_a_good_file_loads(spec_dir):
    write(spec_dir, HEADER + GOOD_CASE)
    spec = load_spec(spec_dir)
    assert spec.ops["add"].cases[0].name == "one"


def test_malformed_yaml(spec_dir):
    message = error_of(spec_dir, HEADER + "  - name: [unclosed\n")
    assert "malformed YAML at line" in message


def test_python_object_tag_is_refused(spec_dir):
    message = error_of(spec_dir, HEADER + "  - name: !!python/object/apply:os.system ['echo pwned']\n")
    assert "malformed YAML" in message and "python/object" in message


def test_duplicate_yaml_key(spec_dir):
    message = error_of(spec_dir, HEADER + GOOD_CASE.replace("    args:", "    name: two\n    args:"))
    assert "duplicate key 'name'" in message


def test_unknown_op(spec_dir):
    message = error_of(spec_dir, (HEADER + GOOD_CASE).replace("op: add", "op: addd"))
    assert "op: unknown op 'addd'" in message


def test_unknown_dtype(spec_dir):
    message = error_of(spec_dir, HEADER + GOOD_CASE.replace("[1.0, 2.0], dtype: float32", "[1.0, 2.0], dtype: float33"))
    assert "case 'one': cases[0].args[0].dtype: unknown dtype 'float33'" in message


def test_wrong_arity(spec_dir):
    text = HEADER + GOOD_CASE.replace("      - {tensor: [3.0, 4.0], dtype: float32}\n", "")
    message = error_of(spec_dir, text)
    assert "case 'one': cases[0].args: takes at least 2 positional arguments (input, other), got 1" in message
    message = error_of(spec_dir, HEADER + GOOD_CASE.replace("    expected", "    kwargs: {beta: 2}\n    expected"))
    assert "cases[0].kwargs.beta: unknown keyword argument 'beta'" in message


def test_duplicate_case_name(spec_dir):
    message = error_of(spec_dir, HEADER + GOOD_CASE + GOOD_CASE)
    assert "case 'one': cases[1].name: duplicate case name" in message


def test_missing_expectation(spec_dir):
    text = HEADER + GOOD_CASE.replace("    expected: {dtype: float32, shape: [2], value: [4.0, 6.0]}\n", "")
    message = error_of(spec_dir, text)
    assert "case 'one': cases[0].expected: missing expectation (run `tensorparity spec record`)" in message
    assert load_spec(spec_dir, allow_missing=True)  # what `spec record` loads


def test_schema_violation_names_the_key(spec_dir):
    message = error_of(spec_dir, HEADER + GOOD_CASE.replace("    args:", "    argz: []\n    args:"))
    assert "case 'one': cases[0]" in message and "argz" in message


def test_bad_expectation_form(spec_dir):
    message = error_of(spec_dir, HEADER + GOOD_CASE.replace("shape: [2], value", "value"))
    assert "cases[0].expected: a tensor expectation needs 'shape'" in message


def test_string_where_number_is_due(spec_dir):
    message = error_of(spec_dir, HEADER + GOOD_CASE.replace("[1.0, 2.0], dtype", "[1.0, 1e-5], dtype"))
    assert "cases[0].args[0].tensor: element '1e-5' is not a number" in message


def test_memory_limit(spec_dir):
    text = HEADER + GOOD_CASE.replace(
        "{tensor: [1.0, 2.0], dtype: float32}", "{generate: zeros, shape: [1000, 1000], dtype: float32}"
    )
    message = error_of(spec_dir, text, memory_limit=1000)
    assert "cases[0].args[0].shape: [1000, 1000] needs more than the memory limit of 1000 bytes" in message


def test_empty_file(spec_dir):
    message = error_of(spec_dir, "")
    assert "add.yaml" in message


def test_sweep_expectation_for_unlisted_dtype(spec_dir):
    text = (
        HEADER
        + """\
  - name: swept
    sweep: [float32]
    args:
      - {tensor: [1.0], dtype: $sweep}
      - {tensor: [1.0], dtype: $sweep}
    expected:
      float32: {dtype: float32, shape: [1], value: [2.0]}
      int64: {dtype: int64, shape: [1], value: [2]}
"""
    )
    message = error_of(spec_dir, text)
    assert "case 'swept': cases[0].expected: expectation for 'int64', which the sweep does not list" in message


def test_graph_refers_to_undefined_name(spec_dir):
    text = """\
op: grad
torch: torch.autograd.grad
summary: s
signature:
  - {name: graph, kind: graph}
cases:
  - name: g
    graph:
      inputs: {x: {tensor: 2.0, dtype: float32}}
      steps:
        - {name: y, op: pow, args: [{ref: q}, 2]}
      output: y
      wrt: [x]
    expected: {sequence: []}
"""
    write(spec_dir, text, "grad.yaml")
    with pytest.raises(SpecError, match=r"grad.yaml: case 'g': cases\[0\].graph.steps\[0\].args: refers to 'q'"):
        load_spec(spec_dir)


SWEPT_QUANTIZED = """\
  - name: swept
    sweep: [float32, qint8, quint4x2]
    args:
      - {generate: random, shape: [2, 2], dtype: $sweep, seed: 1, scale: 0.5, zero_point: 1}
      - {generate: random, shape: [2, 2], dtype: $sweep, seed: 2, scale: 0.25, zero_point: 3}
"""


def test_swept_generate_takes_scale_and_zero_point_for_quantized_dtypes_only(spec_dir):
    write(spec_dir, HEADER + SWEPT_QUANTIZED)
    variants = load_spec(spec_dir, allow_missing=True).ops["add"].cases[0].variants
    plain, _, _ = variants["float32"]
    assert plain[0].dtype == "float32" and plain[0].scale is None and plain[0].zero_point is None
    for dtype in ("qint8", "quint4x2"):
        first, second = variants[dtype][0]
        assert (first.dtype, first.scale, first.zero_point) == (dtype, 0.5, 1)
        assert (second.scale, second.zero_point) == (0.25, 3)
        assert first.array.dtype.kind in "iu" and 0 <= first.array.min() and first.array.max() <= 15


def test_scale_on_a_plain_dtype_is_an_error(spec_dir):
    message = error_of(
        spec_dir, HEADER + GOOD_CASE.replace("[1.0, 2.0], dtype: float32}", "[1.0, 2.0], dtype: float32, scale: 0.5}")
    )
    assert "cases[0].args[0]: scale and zero_point belong to quantized dtypes, not float32" in message


def test_swept_quantized_tensor_needs_scale_and_zero_point(spec_dir):
    message = error_of(spec_dir, HEADER + SWEPT_QUANTIZED.replace(", scale: 0.5, zero_point: 1", ""), allow_missing=True)
    assert "case 'swept': cases[0].args[0]: a qint8 tensor needs scale and zero_point" in message


def test_quint4x2_holds_four_bits_and_no_layout(spec_dir):
    wide = HEADER + GOOD_CASE.replace(
        "{tensor: [1.0, 2.0], dtype: float32}", "{tensor: [1, 16], dtype: quint4x2, scale: 1.0, zero_point: 0}"
    )
    assert "cases[0].args[0]: a quint4x2 integer representation lies in 0..15" in error_of(spec_dir, wide)
    strided = HEADER + GOOD_CASE.replace(
        "{tensor: [1.0, 2.0], dtype: float32}",
        "{tensor: [[1, 2], [3, 4]], dtype: quint4x2, scale: 1.0, zero_point: 0, layout: {transpose: [0, 1]}}",
    )
    assert "cases[0].args[0].layout: quint4x2 packs two values a byte" in error_of(spec_dir, strided)
    scalar = HEADER + GOOD_CASE.replace(
        "{tensor: [1.0, 2.0], dtype: float32}", "{tensor: 3, dtype: quint4x2, scale: 1.0, zero_point: 0}"
    )
    assert "cases[0].args[0]: quint4x2 packs two values a byte: torch has no 0-d form of it" in error_of(spec_dir, scalar)
