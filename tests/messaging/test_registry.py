"""The registry of messages in core: texts are checked for the placeholders of their kind, naming each problem, and
every app's messages come with a text in each of the five languages."""

import pytest
from django.urls import reverse

from liman.core.messages import (
    LANGUAGES,
    RIGHT_TO_LEFT,
    MessageKind,
    message_kind,
    render,
    template_problems,
)

PLACES = ("name", "date", "place")


def test_a_text_with_an_unknown_placeholder_is_refused_naming_it():
    problems = template_problems("{name}, see you on {date} at {place} in {room}.", PLACES)

    assert problems == ["{room} is not a placeholder of this message (it offers {name}, {date}, {place})."]


def test_a_text_that_leaves_out_a_placeholder_of_its_kind_is_refused_naming_it():
    assert template_problems("{name}, see you on {date}.", PLACES) == ["{place} is missing: the message must say it."]


def test_a_lone_brace_is_refused_with_where_it_is_and_doubled_braces_stand_for_one():
    assert template_problems("{name} {date} {place} {{ok}}", PLACES) == []
    problems = template_problems("{name} {date} {place} }", PLACES)

    assert problems == ["A lone “}” at character 23: write {{ or }} for a brace of its own."]


def test_an_empty_text_is_refused():
    assert template_problems("   ", PLACES) == ["Write the text of the message."]


def test_a_value_is_never_read_as_a_placeholder():
    text = render("{name}: {place} {{literal}}", {"name": "{place}", "place": "Fatih"})

    assert text == "{place}: Fatih {literal}"


def test_a_kind_without_a_text_in_every_language_is_refused_when_declared():
    with pytest.raises(ValueError, match="no default text in ps"):
        MessageKind(
            key="incomplete",
            label="Incomplete",
            purpose="test",
            placeholders=("name",),
            templates={language: "{name}" for language in LANGUAGES if language != "ps"},
        )


def test_a_kind_whose_default_text_misses_a_placeholder_is_refused_when_declared():
    with pytest.raises(ValueError, match=r"\{date\} is missing"):
        MessageKind(
            key="careless",
            label="Careless",
            purpose="test",
            placeholders=("name", "date"),
            templates=dict.fromkeys(LANGUAGES, "{name}"),
        )


@pytest.mark.parametrize("key", ["health_assessment_appointment", "flight_reminder", "distribution_day"])
def test_the_apps_declare_their_messages_in_the_five_languages(key):
    kind = message_kind(key)

    assert kind is not None and set(kind.templates) >= set(LANGUAGES)
    assert RIGHT_TO_LEFT == {"ar", "fa", "ps"}
    for language in LANGUAGES:
        assert template_problems(kind.templates[language], kind.placeholders) == []


def test_a_kind_that_offers_a_list_gets_its_page_at_the_apps_address():
    assert reverse("messaging:message-audience-distribution_day", kwargs={"pk": 7}) == "/distributions/7/message/"
