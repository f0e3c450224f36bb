"""Ethnicity: the 19 ONS 2021 categories, rolled up to 5 groups + not stated (DOMAIN.md §2)."""
from __future__ import annotations

from app.db import LabelledEnum


class EthnicGroup(LabelledEnum):
    ASIAN = ("asian", "Asian or Asian British")
    BLACK = ("black", "Black, Black British, Caribbean or African")
    MIXED = ("mixed", "Mixed or multiple ethnic groups")
    WHITE = ("white", "White")
    OTHER = ("other", "Other ethnic group")
    NOT_STATED = ("not_stated", "Not stated")


class Ethnicity(LabelledEnum):
    ASIAN_BANGLADESHI = ("asian_bangladeshi", "Asian: Bangladeshi")
    ASIAN_CHINESE = ("asian_chinese", "Asian: Chinese")
    ASIAN_INDIAN = ("asian_indian", "Asian: Indian")
    ASIAN_PAKISTANI = ("asian_pakistani", "Asian: Pakistani")
    ASIAN_OTHER = ("asian_other", "Asian: any other Asian background")
    BLACK_AFRICAN = ("black_african", "Black: African")
    BLACK_CARIBBEAN = ("black_caribbean", "Black: Caribbean")
    BLACK_OTHER = ("black_other", "Black: any other Black, Black British or Caribbean background")
    MIXED_WHITE_ASIAN = ("mixed_white_asian", "Mixed: White and Asian")
    MIXED_WHITE_BLACK_AFRICAN = ("mixed_white_black_african", "Mixed: White and Black African")
    MIXED_WHITE_BLACK_CARIBBEAN = ("mixed_white_black_caribbean", "Mixed: White and Black Caribbean")
    MIXED_OTHER = ("mixed_other", "Mixed: any other mixed or multiple ethnic background")
    WHITE_BRITISH = ("white_british", "White: English, Welsh, Scottish, Northern Irish or British")
    WHITE_IRISH = ("white_irish", "White: Irish")
    WHITE_GYPSY_TRAVELLER = ("white_gypsy_traveller", "White: Gypsy or Irish Traveller")
    WHITE_ROMA = ("white_roma", "White: Roma")
    WHITE_OTHER = ("white_other", "White: any other White background")
    OTHER_ARAB = ("other_arab", "Other: Arab")
    OTHER_ANY = ("other_any", "Other: any other ethnic group")
    NOT_STATED = ("not_stated", "Not stated")

    @property
    def group(self) -> EthnicGroup:
        return group_of(self)


def group_of(ethnicity: Ethnicity | None) -> EthnicGroup:
    if ethnicity is None or ethnicity is Ethnicity.NOT_STATED:
        return EthnicGroup.NOT_STATED
    prefix = ethnicity.value.split("_", 1)[0]
    return EthnicGroup(prefix)


# Police (IC/"O" codes) → ONS. O1 "Chinese" is Asian under ONS 2021 (DOMAIN.md §2).
POLICE_CODE_MAP = {
    "W1": Ethnicity.WHITE_BRITISH, "W2": Ethnicity.WHITE_IRISH, "W3": Ethnicity.WHITE_GYPSY_TRAVELLER,
    "W4": Ethnicity.WHITE_ROMA, "W9": Ethnicity.WHITE_OTHER,
    "M1": Ethnicity.MIXED_WHITE_BLACK_CARIBBEAN, "M2": Ethnicity.MIXED_WHITE_BLACK_AFRICAN,
    "M3": Ethnicity.MIXED_WHITE_ASIAN, "M9": Ethnicity.MIXED_OTHER,
    "A1": Ethnicity.ASIAN_INDIAN, "A2": Ethnicity.ASIAN_PAKISTANI, "A3": Ethnicity.ASIAN_BANGLADESHI,
    "A9": Ethnicity.ASIAN_OTHER, "B1": Ethnicity.BLACK_CARIBBEAN, "B2": Ethnicity.BLACK_AFRICAN,
    "B9": Ethnicity.BLACK_OTHER, "O1": Ethnicity.ASIAN_CHINESE, "O2": Ethnicity.OTHER_ARAB,
    "O9": Ethnicity.OTHER_ANY, "NS": Ethnicity.NOT_STATED,
}
