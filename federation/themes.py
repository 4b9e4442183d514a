"""The shared theme vocabulary: every instance classifies initiatives and events with it.

A theme travels as a `Hashtag` (so Mastodon indexes it) and, between Maillage instances, by
its id in our `themes` term. Hashtags coming from elsewhere are matched loosely — case,
accents, hyphens and underscores do not matter (`#tiers-lieux` = `#TiersLieux`) — and a few
aliases per theme (the English name, a shorter French word) widen the net.

Ids are stable slugs stored in the database and sent to peers: never rename one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    id: str
    label_fr: str
    label_en: str
    hashtag: str  # CamelCase ASCII, without "#"
    aliases: tuple[str, ...] = ()

    @property
    def tag_name(self) -> str:
        """The `name` of its AS2 Hashtag: `#TiersLieux`."""
        return f"#{self.hashtag}"

    def label(self, locale: str = "fr") -> str:
        return self.label_en if locale.lower().startswith("en") else self.label_fr


THEMES: tuple[Theme, ...] = (
    Theme(
        "urbanisme-collaboratif",
        "Urbanisme collaboratif",
        "Collaborative urbanism",
        "UrbanismeCollaboratif",
        ("Urbanisme", "CollaborativeUrbanism", "UrbanismeTactique"),
    ),
    Theme("sante", "Santé", "Health", "Sante", ("Health", "SanteCommunautaire")),
    Theme(
        "alimentation-agriculture",
        "Alimentation et agriculture",
        "Food and agriculture",
        "Alimentation",
        ("Agriculture", "FoodAndAgriculture", "Food", "AlimentationDurable"),
    ),
    Theme(
        "nouvelles-formes-de-travail",
        "Nouvelles formes de travail",
        "New forms of work",
        "NouvellesFormesDeTravail",
        ("FuturDuTravail", "FutureOfWork", "NewFormsOfWork", "Coworking"),
    ),
    Theme("education", "Éducation", "Education", "Education", ("EducationPopulaire",)),
    Theme(
        "communs-numeriques",
        "Communs numériques",
        "Digital commons",
        "CommunsNumeriques",
        ("DigitalCommons", "Communs", "LogicielLibre"),
    ),
    Theme("tiers-lieux", "Tiers-lieux", "Third places", "TiersLieux", ("ThirdPlaces", "TiersLieu")),
    Theme(
        "culture-bibliotheques",
        "Culture et bibliothèques",
        "Culture and libraries",
        "Culture",
        ("Bibliotheques", "Bibliotheque", "Mediatheque", "Libraries", "CultureAndLibraries"),
    ),
    Theme(
        "democratie-gouvernance",
        "Démocratie et gouvernance",
        "Democracy and governance",
        "Democratie",
        ("Gouvernance", "Democracy", "Governance", "DemocratieParticipative"),
    ),
    Theme(
        "transition-ecologique",
        "Transition écologique",
        "Ecological transition",
        "TransitionEcologique",
        ("Ecologie", "EcologicalTransition", "Climat"),
    ),
    Theme("mobilite", "Mobilités", "Mobility", "Mobilite", ("Mobilites", "Mobility")),
    Theme(
        "economie-sociale-solidaire",
        "Économie sociale et solidaire",
        "Social and solidarity economy",
        "ESS",
        ("EconomieSocialeEtSolidaire", "EconomieSolidaire", "SocialEconomy", "Solidarite"),
    ),
)

THEME_IDS: frozenset[str] = frozenset(theme.id for theme in THEMES)

_BY_ID: dict[str, Theme] = {theme.id: theme for theme in THEMES}


def normalize_hashtag(name: str) -> str:
    """`#Tiers-Lieux`, `tiers_lieux`, `#TIERSLIEUX` → `tierslieux`: the key hashtags match on."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if ch.isalnum() and ch.isascii()).casefold()


def _hashtag_index() -> dict[str, Theme]:
    index: dict[str, Theme] = {}
    for theme in THEMES:
        for name in (theme.hashtag, theme.label_fr, theme.label_en, *theme.aliases):
            key = normalize_hashtag(name)
            if index.setdefault(key, theme) is not theme:
                raise RuntimeError(f"hashtag {name!r} names two themes")
    return index


_BY_HASHTAG: dict[str, Theme] = _hashtag_index()


def by_id(theme_id: str) -> Theme | None:
    return _BY_ID.get(theme_id)


def by_hashtag(name: str) -> Theme | None:
    """The theme an incoming hashtag stands for, if any (`#Santé`, `#sante`, `santé`…)."""
    key = normalize_hashtag(name)
    return _BY_HASHTAG.get(key) if key else None
