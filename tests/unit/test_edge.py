"""The one edge module both APIs share: answer, raw body, one-off metric, validation field names."""

from __future__ import annotations

import base64
import json

import pytest
from pydantic import BaseModel, ValidationError

from account_unlock import edge, self_service, webhook
from account_unlock.edge import Answer, InvalidBase64, count, decode_body, field_names


class Person(BaseModel):
    name: str
    age: int


def validation_error(value: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Person.model_validate(value)
    return caught.value


def test_both_apis_answer_with_the_same_type():
    assert webhook.Answer is Answer
    assert self_service.Answer is Answer


@pytest.mark.parametrize(
    ("body", "is_base64", "raw"),
    [
        ("{}", False, b"{}"),
        (None, False, b""),
        (None, True, b""),
        (base64.b64encode(b"\x00\xff").decode(), True, b"\x00\xff"),
    ],
)
def test_a_body_is_decoded_as_api_gateway_marks_it(body, is_base64, raw):
    assert decode_body(body, is_base64) == raw


@pytest.mark.parametrize("body", ["not base64!", "abc"])
def test_a_body_marked_base64_that_is_not_is_refused(body):
    with pytest.raises(InvalidBase64, match="body is not valid base64"):
        decode_body(body, True)


def test_field_names_name_the_fields_never_the_values():
    error = validation_error({"name": ["secret-value"], "age": "secret-age"})
    assert field_names(error) == ["age", "name"]
    assert field_names(error, with_kind=True) == ["age (int_parsing)", "name (string_type)"]
    assert "secret" not in repr(field_names(error, with_kind=True))


def test_a_problem_of_the_whole_object_is_named_as_asked():
    assert field_names(validation_error("not an object"), "user") == ["user"]


def test_count_flushes_one_metric_with_its_own_dimensions(capsys):
    count("EdgeTestMetric", source="jira", kind="hmac")
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "EdgeTestMetric" in line]
    assert line["EdgeTestMetric"] == [1.0]
    [emf] = line["_aws"]["CloudWatchMetrics"]
    assert emf["Metrics"] == [{"Name": "EdgeTestMetric", "Unit": "Count"}]
    assert emf["Dimensions"] == [["source", "kind", "service"]]
    assert (line["source"], line["kind"]) == ("jira", "hmac")


def test_the_edge_helpers_are_not_written_again_elsewhere():
    """One decoder, one counter, one field-names helper: the modules use the edge's."""
    assert webhook.count is edge.count
    assert webhook.field_names is edge.field_names
    assert self_service.count is edge.count
