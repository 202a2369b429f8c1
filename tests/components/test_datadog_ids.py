"""Ids of Datadog objects written into payloads before the objects exist."""

import re

import pytest

from components.datadog_ids import IdRef, fill_ids, id_like, id_refs, with_stand_ins


def test_references_are_found_once_each_in_order() -> None:
    text = "${monitor:latency} && (${monitor:error-rate} || !${monitor:latency})"
    assert id_refs(text) == (IdRef("monitor", "latency"), IdRef("monitor", "error-rate"))
    assert id_refs('burn_rate("${slo:availability}")') == (IdRef("slo", "availability"),)


def test_text_that_only_looks_like_a_reference_is_left_alone() -> None:
    # Datadog's own template variables and anything not a role stay as written.
    assert id_refs("{{value}} ${Monitor:x} ${monitor:Not_A_Role} $monitor:x") == ()


def test_filling_replaces_each_reference_with_its_id() -> None:
    ids = {IdRef("monitor", "latency"): "123", IdRef("monitor", "error-rate"): "456"}
    assert fill_ids("${monitor:latency} && ${monitor:error-rate}", ids) == "123 && 456"


def test_filling_without_an_id_fails_naming_the_reference() -> None:
    with pytest.raises(ValueError, match=re.escape("no id for ${slo:latency}")):
        fill_ids('error_budget("${slo:latency}")', {})


def test_stand_ins_have_the_shape_of_datadog_ids() -> None:
    # Monitor ids are integers in Datadog's API, SLO ids 32 hexadecimal digits.
    composite = with_stand_ins("${monitor:a} && ${monitor:b}")
    first, second = composite.split(" && ")
    assert first.isdigit()
    assert second.isdigit()
    assert first != second
    alert = with_stand_ins('error_budget("${slo:a}")')
    assert re.fullmatch(r'error_budget\("[0-9a-f]{32}"\)', alert)
    assert id_like("monitor", "x") == id_like("monitor", "x")
