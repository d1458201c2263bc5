"""`docs/protocol.md` is generated from the Structs and must match them.

The document is regenerated here and compared with the file; when it differs, the fix is
to run the generator (the failure says how). The other tests check what the generator
promises: every message, field, reason, error code and close code is in it, and every
example is a frame the decoders accept.
"""

from __future__ import annotations

import importlib.util
import json
import re
import typing
from pathlib import Path
from types import ModuleType

import msgspec
import pytest

from whytree.shared import protocol as p

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gen_protocol_doc.py"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_protocol_doc", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = load_generator()


@pytest.fixture(scope="module")
def doc() -> str:
    text: str = gen.render()
    return text


def sections(doc: str) -> dict[str, str]:
    """`### name` heading -> the text up to the next heading."""
    parts = re.split(r"^#{2,3} (.+)$", doc, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_the_document_is_up_to_date(doc: str) -> None:
    current = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    assert current == doc, (
        "docs/protocol.md is out of date with the Structs in shared/protocol.py: "
        f"run `{gen.COMMAND}` and commit the result"
    )


def test_rendering_touches_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert gen.render() == gen.render()
    assert list(tmp_path.iterdir()) == []


FRAMES = [*typing.get_args(p.ClientFrame), *typing.get_args(p.ServerFrame),
          *(kind for kind in typing.get_args(p.EventBody) if kind not in typing.get_args(p.ClientCommand))]


@pytest.mark.parametrize("kind", FRAMES, ids=lambda kind: kind.__name__)
def test_every_message_and_field_is_documented(doc: str, kind: type[p.Frame]) -> None:
    info = msgspec.inspect.type_info(kind)
    assert isinstance(info, msgspec.inspect.StructType)
    section = sections(doc).get(str(info.tag))
    assert section is not None, f"no section for {info.tag}"
    for field in info.fields:
        assert f"| `{field.encode_name}` |" in section, f"{info.tag}.{field.encode_name} is not documented"


def test_every_reason_error_and_close_code_is_documented(doc: str) -> None:
    found = sections(doc)
    for reason in p.REASONS:
        assert f"| `{reason}` |" in found["Rejection reasons"], reason
    for code in p.ERRORS:
        assert f"| `{code}` |" in found["Error codes"], code
    for close in (1003, 1007, 1008, 1009, 1012, 1013):
        assert f"| {close} |" in found["Close codes"], close


def test_the_joining_and_retry_rules_are_explained(doc: str) -> None:
    found = sections(doc)
    assert "`since`" in found["Joining, welcome and resuming"]
    assert "`\"state\":null`" in found["Joining, welcome and resuming"]
    assert "op_reused" in found["Commands and `op`"]


def test_every_example_is_a_valid_frame(doc: str) -> None:
    blocks = re.findall(r"```json\n(.*?)\n```", doc, flags=re.DOTALL)
    assert len(blocks) >= 5
    for block in blocks:
        frame = json.loads(block)
        if frame["type"] in {"welcome", "event", "rejected", "error"}:
            p.decode_server_frame(block)
        else:
            p.decode_client_frame(block)


def test_the_json_schema_covers_every_frame() -> None:
    schema = gen.schema()
    names = set(schema["$defs"])
    for kind in FRAMES:
        assert kind.__name__ in names
