"""Reading template.yaml: CloudFormation short-form tags and the few ``Ref``s the local stack needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class CfnLoader(yaml.SafeLoader):
    """YAML loader that turns ``!Ref X`` into ``{"Ref": X}``, ``!GetAtt A.B`` into ``{"Fn::GetAtt": ...}``."""


def _tag(tag: str, node: yaml.Node, loader: CfnLoader) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag == "Ref":
        return {"Ref": value}
    if tag == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag}": value}


for _name in (
    "Ref",
    "GetAtt",
    "Sub",
    "Join",
    "If",
    "Equals",
    "Not",
    "Contains",
    "Select",
    "Split",
    "FindInMap",
    "ImportValue",
):
    CfnLoader.add_constructor(f"!{_name}", lambda loader, node, tag=_name: _tag(tag, node, loader))


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=CfnLoader)  # noqa: S506 - SafeLoader subclass
