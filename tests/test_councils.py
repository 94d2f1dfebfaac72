"""Council names as reports write them, mapped to ONS names; neighbours and regions."""

from __future__ import annotations

from datetime import date

import pytest

from findings.councils import (
    all_councils,
    canonical_authority,
    council,
    find_authority_in_text,
    same_region,
    statistical_neighbours,
)
from findings.metadata import extract_metadata
from findings.models import Page


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
        ("Newcastle", "Newcastle upon Tyne"),
        ("Newcastle City Council", "Newcastle upon Tyne"),
        ("Kingston", "Kingston upon Thames"),
        ("Herefordshire Council", "Herefordshire"),
        ("St. Helens Council", "St. Helens"),
        ("Telford & Wrekin Council", "Telford and Wrekin"),
        ("BCP Council", "Bournemouth, Christchurch and Poole"),
        ("London Corporation", "City of London"),
        ("Bournemouth Borough Council", "Bournemouth"),  # merged into BCP in 2019
    ],
)
def test_canonical_authority(written: str, canonical: str) -> None:
    assert canonical_authority(written) == canonical


@pytest.mark.parametrize(
    "text", ["Nowhere", "", "Children's services", "council", "Newcastle-under-Lyme"]
)
def test_not_a_council(text: str) -> None:
    assert canonical_authority(text) is None


def test_find_authority_in_text_prefers_the_longest_name() -> None:
    text = "Inspection of North Northamptonshire local authority, formerly part of Northamptonshire"
    assert find_authority_in_text(text) == "North Northamptonshire"
    assert find_authority_in_text("Services in Bournemouth, Christchurch and Poole") == (
        "Bournemouth, Christchurch and Poole"
    )


def test_a_place_that_contains_a_council_name_is_not_that_council() -> None:
    text = "Staffordshire County Council, Newcastle-under-Lyme office"
    assert find_authority_in_text(text) == "Staffordshire"
    assert find_authority_in_text("A visit to Newcastle-under-Lyme") is None
    assert find_authority_in_text("A visit to Newcastle") == "Newcastle upon Tyne"


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
    assert len(councils) == 157
    assert len([c for c in councils if c.current]) == 153  # every English council today
    assert [c.name for c in councils if not c.current] == [
        "Bournemouth", "Cumbria", "Northamptonshire", "Poole",
    ]


def test_every_name_in_the_table_names_its_own_council() -> None:
    for record in all_councils():
        for name in record.names:
            assert canonical_authority(name) == record.name, name


# --- every council, every name, every layout: the council is read from the report's text ----

# The first page of each kind of report, as the project's readers give it; "{name}" is where
# the report names the council (the file name is no help: "x.pdf").
LAYOUTS = {
    "ilacs": (
        "Inspection of {name} local authority\nchildren’s services\n\n"
        "Inspection dates: 24 January to 4 February 2022\n\n"
        "Lead inspector: Kathryn Grindrod, Her Majesty’s Inspector\n"
    ),
    "ilacs 2018-2020": (
        "{name}\nInspection of children’s social care services\n\n"
        "Inspection dates: 17 June to 28 June 2019\n"
    ),
    "sif": (
        "{name}\n## Inspection of services for children in need of help and\n"
        "## protection, children looked after and care leavers\nand\n"
        "## Review of the effectiveness of the Local Safeguarding Children\n## Board1\n"
        "Inspection date: 14 November 2016 – 8 December 2016\n"
        "Report published: 07 February 2017\n"
    ),
    "child protection 2012": (
        "# Inspection of local authority arrangements for the protection of children\n\n"
        "## **{name}**\n\n**Inspection dates:** 18 June – 27 June 2012\n"
    ),
    "focused visit": (
        "Piccadilly Gate\nStore Street\nManchester\nM1 2WD\n\n20 April 2023\n\nDear Jane\n\n"
        "Focused visit to {name} children’s services\n\n"
        "This letter summarises the findings of the focused visit to {name} children’s services"
        " on 14 and 15 March 2023.\n"
    ),
    "monitoring visit": (
        "Agora\n6 Cumberland Place\nNottingham\nNG1 6HJ\n\nDear Sue\n\n"
        "Monitoring visit to {name} children’s services\n\n"
        "This letter summarises the findings of the monitoring visit to {name} children’s"
        " services on 13 and 14 September 2023.\n"
    ),
    "jtai": (
        "Joint targeted area inspection of the multi-agency response to abuse and neglect in"
        " {name}\n\nBetween 25 and 29 March 2019, Ofsted, the Care Quality Commission (CQC),"
        " HMICFRS and HMI Probation undertook a joint inspection of the multi-agency response"
        " to abuse and neglect in {name}.\n"
    ),
}
EXPECTED_TYPES = {
    "ilacs": "ilacs_standard", "ilacs 2018-2020": "ilacs_standard", "sif": "sif",
    "child protection 2012": "child_protection_2012", "focused visit": "focused_visit",
    "monitoring visit": "monitoring_visit", "jtai": "jtai",
}  # fmt: skip


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_council_is_read_by_every_name_in_every_layout(layout: str) -> None:
    misses = []
    for record in all_councils():
        for name in record.names:
            meta = extract_metadata([Page(1, LAYOUTS[layout].format(name=name))], "x.pdf")
            assert meta.report_type == EXPECTED_TYPES[layout]
            if meta.authority != record.name:
                misses.append((name, meta.authority))
    assert misses == []


# Names as Ofsted's titles and councils' letterheads write them, whether or not the table
# lists them: the table's suffix and prefix rules must cover the rest.
OFSTED_FORMS = {
    "Newcastle upon Tyne": ["Newcastle", "Newcastle upon Tyne", "Newcastle City Council"],
    "Bristol, City of": ["Bristol", "City of Bristol", "Bristol City Council"],
    "Kingston upon Thames": ["Kingston", "Royal Borough of Kingston upon Thames"],
    "Herefordshire": ["Herefordshire Council", "County of Herefordshire"],
    "Durham": ["County Durham", "Durham", "Durham County Council"],
    "St. Helens": ["St Helens", "St. Helens", "St Helens Council"],
    "Telford and Wrekin": ["Telford and Wrekin", "Telford & Wrekin Council"],
    "Bournemouth, Christchurch and Poole": [
        "Bournemouth, Christchurch and Poole", "BCP", "BCP Council",
    ],
    "Cumberland": ["Cumberland", "Cumberland Council"],
    "Westmorland and Furness": ["Westmorland and Furness", "Westmorland & Furness Council"],
    "North Northamptonshire": ["North Northamptonshire", "North Northamptonshire Council"],
    "West Northamptonshire": ["West Northamptonshire", "West Northamptonshire Council"],
    "Kingston Upon Hull, City of": ["Hull", "Hull City Council", "Kingston upon Hull"],
    "City of London": ["City of London", "City of London Corporation", "London Corporation"],
    "York": ["York", "City of York Council"],
    "Wolverhampton": ["City of Wolverhampton"],
    "Bradford": [
        "City of Bradford Metropolitan District Council", "Bradford Children and Families Trust",
    ],
    "Hammersmith and Fulham": ["London Borough of Hammersmith & Fulham"],
    "Kensington and Chelsea": ["the Royal Borough of Kensington and Chelsea"],
    "Windsor and Maidenhead": ["Royal Borough of Windsor and Maidenhead"],
    "Southend-on-Sea": ["Southend-on-Sea City Council", "Southend"],
    "Stockton-on-Tees": ["Stockton-on-Tees Borough Council", "Stockton"],
    "Richmond upon Thames": ["London Borough of Richmond upon Thames", "Richmond"],
    "Cheshire West and Chester": ["Cheshire West and Chester", "Cheshire West"],
    "East Riding of Yorkshire": ["East Riding", "East Riding of Yorkshire Council"],
    "Isles of Scilly": ["Council of the Isles of Scilly"],
    "Birmingham": ["Birmingham Children’s Trust"],
    "Doncaster": ["Doncaster Children’s Services Trust"],
    "Leicester": ["Leicester City Council"],
    "Bournemouth": ["Bournemouth", "Bournemouth Borough Council"],
    "Poole": ["Borough of Poole"],
    "Cumbria": ["Cumbria County Council"],
    "Northamptonshire": ["Northamptonshire County Council"],
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_names_ofsted_writes_are_read_in_every_layout(layout: str) -> None:
    misses = []
    for expected, forms in OFSTED_FORMS.items():
        for name in forms:
            meta = extract_metadata([Page(1, LAYOUTS[layout].format(name=name))], "x.pdf")
            if meta.authority != expected:
                misses.append((name, meta.authority))
    assert misses == []


def test_a_letter_is_not_named_after_ofsted_s_office() -> None:
    """Ofsted writes from Manchester and Nottingham: a letter to Bury is Bury's."""
    letter = LAYOUTS["focused visit"].replace("Focused visit to {name} children’s services", "")
    meta = extract_metadata([Page(1, letter.format(name="Bury"))], "x.pdf")
    assert meta.authority == "Bury"
    assert (meta.inspection_start, meta.inspection_end) == (date(2023, 3, 14), date(2023, 3, 15))
