"""The loader under fuzzing: whatever YAML it is given, it loads or raises SpecError, never anything else.

Three kinds of input, all drawn with hypothesis: random documents (nested dicts,
lists and scalars dumped with yaml.safe_dump), random edits of a real op file's
data (a node replaced, a key dropped), and random edits of its text (lines cut,
repeated, characters replaced, hostile YAML inserted).
"""

from __future__ import annotations

import copy
import shutil

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorparity.harness.spec import DEFAULT_SPEC, SpecError, load_spec

MEMORY_LIMIT = 1 << 20  # fuzzed shapes must not take the test's memory
REAL = (DEFAULT_SPEC / "ops" / "add.yaml").read_text()
REAL_DATA = yaml.safe_load(REAL)
FUZZ = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Words the loader gives meaning to, so that random documents reach past the schema.
WORDS = st.sampled_from(
    ["op", "add", "torch", "summary", "signature", "cases", "name", "args", "kwargs", "expected", "tensor", "dtype",
     "float32", "int64", "bool", "shape", "value", "generate", "random", "seed", "sweep", "$sweep", "raises",
     "layout", "step", "transpose", "graph", "ref", "kind", "sequence", "sparse", "python", "complex", "x"]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    WORDS,
    st.text(max_size=12),
)
KEYS = st.one_of(WORDS, st.text(max_size=8), st.integers(-3, 3))
NODES = st.recursive(
    SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)), max_leaves=40
)
HOSTILE = st.sampled_from(
    [": [", "]", "{", "!!python/object/apply:os.system ['true']", "!!python/name:os.system", "&a [*a]", "*nowhere",
     "\t", "- - -", "? [1]\n: 2", "%YAML 9.9", "---\n---", "!!binary AAAA", "!!set {a, b}", "!!omap [a: 1]",
     "1e5", ".nan", "0x10", "~", "'", '"', "\x00", "\ufeff", "<<: *x", "2001-12-14", "{shape: [100000000000]}"]
)  # fmt: skip


def _load(spec_dir, text: str) -> None:
    path = spec_dir / "ops" / "fuzzed.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_spec(path, memory_limit=MEMORY_LIMIT)
    except SpecError as error:
        assert "\n" not in str(error) and "fuzzed.yaml" in str(error)


@pytest.fixture
def fuzz_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz") / "spec"
    (root / "ops").mkdir(parents=True)
    shutil.copy(DEFAULT_SPEC / "dtypes.yaml", root / "dtypes.yaml")
    shutil.copytree(DEFAULT_SPEC / "schema", root / "schema")
    return root


@FUZZ
@given(document=NODES)
def test_random_documents(fuzz_dir, document):
    _load(fuzz_dir, yaml.safe_dump(document, allow_unicode=True))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


PATHS = list(_paths(REAL_DATA))[1:]


@FUZZ
@given(edits=st.lists(st.tuples(st.sampled_from(PATHS), st.booleans(), NODES), min_size=1, max_size=4))
def test_edits_of_a_real_op_file(fuzz_dir, edits):
    data = copy.deepcopy(REAL_DATA)
    for path, drop, value in edits:
        parent = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            if drop:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this path
    _load(fuzz_dir, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


LINES = REAL.splitlines()


@FUZZ
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(["cut", "repeat", "swap", "char", "insert", "truncate"]),
            st.integers(0, 10**6),
            st.text(max_size=3),
            HOSTILE,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_edits_of_a_real_op_file_text(fuzz_dir, edits):
    lines = list(LINES)
    for kind, where, chars, hostile in edits:
        if not lines:
            break
        i = where % len(lines)
        if kind == "cut":
            del lines[i]
        elif kind == "repeat":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = (where // 7) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "char" and lines[i]:
            k = (where // 3) % len(lines[i])
            lines[i] = lines[i][:k] + chars + lines[i][k + 1 :]
        elif kind == "insert":
            k = (where // 3) % (len(lines[i]) + 1)
            lines[i] = lines[i][:k] + hostile + lines[i][k:]
        elif kind == "truncate":
            lines = lines[: i + 1]
    _load(fuzz_dir, "\n".join(lines) + "\n")
