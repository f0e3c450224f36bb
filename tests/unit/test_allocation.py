"""Trial allocation is seeded, reproducible, balanced in blocks and stratified (DOMAIN.md §6)."""
from __future__ import annotations

from collections import Counter

import pytest

from app.referrals.allocation import CONTROL, INTERVENTION, allocate, stratum_for


def test_same_seed_stratum_and_sequence_give_the_same_arm_and_record():
    first = [allocate(1234, "p1", n) for n in range(40)]
    again = [allocate(1234, "p1", n) for n in range(40)]
    assert first == again
    assert first[5].draw == "seed=1234 stratum=p1 sequence=5 block=1 position=1 arm=" + first[5].arm


def test_every_block_of_four_holds_two_of_each_arm():
    arms = [allocate(99, "p7", n).arm for n in range(400)]
    for start in range(0, 400, 4):
        assert Counter(arms[start:start + 4]) == {INTERVENTION: 2, CONTROL: 2}


def test_different_seeds_or_strata_give_different_sequences():
    a = [allocate(1, "p1", n).arm for n in range(64)]
    b = [allocate(2, "p1", n).arm for n in range(64)]
    c = [allocate(1, "p1-s3", n).arm for n in range(64)]
    assert a != b and a != c


def test_stratum_names_the_site_only_when_stratifying():
    assert stratum_for(4, 9, True) == "p4-s9"
    assert stratum_for(4, 9, False) == "p4"


def test_negative_sequence_is_refused():
    with pytest.raises(ValueError):
        allocate(1, "p1", -1)
