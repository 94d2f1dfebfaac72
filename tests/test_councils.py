"""Council names as reports write them, mapped to ONS names; neighbours and regions."""

from __future__ import annotations

import pytest

from findings.councils import (
    all_councils,
    canonical_authority,
    council,
    find_authority_in_text,
    same_region,
    statistical_neighbours,
)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Blackburn with Darwen Borough Council", "Blackburn with Darwen"),
        ("Bournemouth, Christchurch and Poole", "Bournemouth, Christchurch and Poole"),
        ("BCP", "Bournemouth, Christchurch and Poole"),
        ("Kingston upon Hull City Council", "Kingston Upon Hull, City of"),
        ("Hull", "Kingston Upon Hull, City of"),
        ("Isle of Wight Council", "Isle of Wight"),
        ("London Borough of Hammersmith & Fulham", "Hammersmith and Fulham"),
        ("Royal Borough of Kingston upon Thames", "Kingston upon Thames"),
        ("the Royal Borough of Kensington and Chelsea", "Kensington and Chelsea"),
        ("City of York", "York"),
        ("City of York Council", "York"),
        ("City of London", "City of London"),
        ("Bristol, City of", "Bristol, City of"),
        ("Bristol", "Bristol, City of"),
        ("Herefordshire, County of", "Herefordshire"),
        ("Durham County Council", "Durham"),
        ("County Durham", "Durham"),
        ("City of Bradford Metropolitan District Council", "Bradford"),
        ("Bradford Children and Families Trust", "Bradford"),
        ("St Helens", "St. Helens"),
        ("Stockton on Tees", "Stockton-on-Tees"),
        ("Southend-on-Sea city council", "Southend-on-Sea"),
        ("Bedford", "Bedford Borough"),
        ("Nottingham City", "Nottingham"),
        ("East Riding", "East Riding of Yorkshire"),
        ("Council of the Isles of Scilly", "Isles of Scilly"),
    ],
)
def test_canonical_authority(written: str, canonical: str) -> None:
    assert canonical_authority(written) == canonical


@pytest.mark.parametrize("text", ["Nowhere", "", "Children's services", "council"])
def test_not_a_council(text: str) -> None:
    assert canonical_authority(text) is None


def test_find_authority_in_text_prefers_the_longest_name() -> None:
    text = "Inspection of North Northamptonshire local authority, formerly part of Northamptonshire"
    assert find_authority_in_text(text) == "North Northamptonshire"
    assert find_authority_in_text("Services in Bournemouth, Christchurch and Poole") == (
        "Bournemouth, Christchurch and Poole"
    )


def test_find_authority_in_text_ignores_common_words() -> None:
    assert find_authority_in_text("we were reading the plan of a child in care") is None
    assert find_authority_in_text("Reading Borough Council") == "Reading"


def test_council_record() -> None:
    record = council("Blackburn with Darwen Borough Council")
    assert record.name == "Blackburn with Darwen"
    assert record.region == "North West"
    assert record.la_code == "889"
    assert record.stat_neighbours[:3] == ("Bradford", "Oldham", "Bolton")
    assert record.current


def test_unknown_council_suggests_a_name() -> None:
    with pytest.raises(
        ValueError, match=r"Unknown council 'Hartlepol'. Did you mean 'Hartlepool'\?"
    ):
        council("Hartlepol")
    with pytest.raises(ValueError, match=r"^Unknown council 'Zzzz'\.$"):
        council("Zzzz")


def test_statistical_neighbours_are_ten_known_councils() -> None:
    names = {c.name for c in all_councils()}
    for record in all_councils():
        if record.current:
            neighbours = statistical_neighbours(record.name)
            assert len(neighbours) == 10
            assert set(neighbours) <= names
            assert record.name not in neighbours


def test_same_region_excludes_itself_and_predecessor_councils() -> None:
    north_west = same_region("Blackpool")
    assert "Blackburn with Darwen" in north_west
    assert "Blackpool" not in north_west
    assert "Cumbria" not in north_west  # replaced by Cumberland / Westmorland and Furness
    assert all(council(name).region == "North West" for name in north_west)


def test_table_is_the_packaged_copy() -> None:
    councils = all_councils()
    assert len(councils) == 156
    assert [c.name for c in councils if not c.current] == ["Cumbria", "Northamptonshire", "Poole"]
