"""Splitting long text, keyboards and numbered choices."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from channels.telegram.render import callback_data, inline_keyboard, is_photo, split_text
from channels.twilio_whatsapp import numbered_choices
from workflows.message_parts import Choice


def test_short_text_is_one_chunk() -> None:
    assert split_text("hello", 10) == ["hello"]
    assert split_text("", 10) == [""]


def test_splits_on_the_last_space() -> None:
    assert split_text("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]


def test_prefers_a_line_break_in_the_second_half() -> None:
    assert split_text("aaaa bb\ncc dd ee", 12) == ["aaaa bb", "cc dd ee"]


def test_a_word_longer_than_the_limit_is_cut() -> None:
    assert split_text("x" * 10, 4) == ["xxxx", "xxxx", "xx"]


@given(
    st.text(alphabet=st.sampled_from("ab \n"), max_size=300), st.integers(min_value=5, max_value=60)
)
def test_chunks_fit_and_keep_every_word(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert "".join(text.split()) == "".join("".join(chunks).split())


def test_callback_data_falls_back_to_the_position_beyond_64_bytes() -> None:
    assert callback_data(Choice(label="A", value="a" * 64), 1) == "a" * 64
    assert callback_data(Choice(label="A", value="é" * 33), 3) == "3"


def test_keyboard_is_one_button_per_row() -> None:
    assert inline_keyboard([]) is None
    markup = inline_keyboard([Choice(label="Yes", value="yes"), Choice(label="No", value="no")])
    assert markup is not None
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["Yes"], ["No"]]


def test_photo_detection_ignores_query_strings() -> None:
    assert is_photo("https://x.test/a.JPG?sig=1")
    assert not is_photo("https://x.test/a.pdf?x=.png")


def test_numbered_choices() -> None:
    assert numbered_choices("Pick", ["Billing", "Shipping"]) == "Pick\n\n1. Billing\n2. Shipping"
    assert numbered_choices("", ["Yes"]) == "1. Yes"
    assert numbered_choices("Pick", []) == "Pick"
