"""GB 11643-1999 resident ID numbers: the ISO 7064 MOD 11-2 check character and validity."""

import datetime

import pytest

from customers.identity import id_number_birth_date, id_number_check_digit, id_number_is_male, is_valid_id_number

# Published examples: the GB 11643 sample number and a widely quoted Guangdong one.
KNOWN_VALID = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_the_check_character_of_known_numbers(number: str) -> None:
    assert id_number_check_digit(number[:17]) == number[17]
    assert is_valid_id_number(number)


def test_a_lower_case_x_is_accepted() -> None:
    assert is_valid_id_number("11010519491231002x")


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("110105194912310021", "wrong check character"),
        ("11010519490231002X", "no 31 February"),
        ("11010519491231002", "too short"),
        ("11010519491231002XX", "too long"),
        ("1101051949123100AX", "letters in the body"),
        ("１１０１０５１９４９１２３１００２X", "full-width digits"),
        ("110105299912310020", "born in the future"),
    ],
)
def test_invalid_numbers_are_rejected(number: str, why: str) -> None:
    assert not is_valid_id_number(number), why


def test_a_body_that_is_not_17_ascii_digits_has_no_check_character() -> None:
    with pytest.raises(ValueError, match="17 digits"):
        id_number_check_digit("1101051949123100")


def test_birth_date_and_gender_are_read_from_the_number() -> None:
    assert id_number_birth_date("11010519491231002X") == datetime.date(1949, 12, 31)
    assert not id_number_is_male("11010519491231002X")  # sequence 002: even, a woman
    assert id_number_is_male("440524188001010014")  # sequence 001: odd, a man
