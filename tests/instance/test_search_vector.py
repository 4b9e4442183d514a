"""The feed's search vector, folded in Python (migration 0010): written by the application it
equals what PostgreSQL's own folding gives, and rows written by hand get one from the trigger."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from hypothesis import given, settings
from hypothesis import strategies as st

from server.store import db, objects
from server.store.search import ACCENTED, unaccent

SAMPLES = [
    "École du numérique", "CAFÉ-RÉPARATION à Saint-Étienne", "Noël, Pâques, maïs, cœur",
    "Łódź, señor, Čapek, Ñandú", "ÀÂÄÁÃÅĀÇĆČÉÈÊËĒĖĘÍÌÎÏĪĮÑŃÓÒÔÖÕØŌÚÙÛÜŪŸÝŽŹŻŠŚŁ",
    "市場 🌱 plain ascii", "", "Garrigues\u00a0: l'été",
]
LETTERS = st.text(alphabet=st.sampled_from(
    list(ACCENTED + ACCENTED.upper() + "abcdefghijklmnopqrstuvwxyzABCDEZ 0123456789-'’,.<>/市🌱")
), max_size=60)


async def sql_unaccent(conn: asyncpg.Connection, texts: list[str]) -> list[str]:
    return list(await conn.fetchval(
        "SELECT array_agg(maillage_unaccent(t) ORDER BY n) FROM unnest($1::text[]) "
        "WITH ORDINALITY AS u(t, n)", texts))


async def test_python_folding_is_postgresqls(database: str) -> None:
    conn = await db.connect(database)
    try:
        assert await sql_unaccent(conn, SAMPLES) == [unaccent(s) for s in SAMPLES]
        drawn: list[str] = []

        @settings(max_examples=300, deadline=None)
        @given(LETTERS)
        def collect(text: str) -> None:
            drawn.append(text)

        collect()
        assert await sql_unaccent(conn, drawn) == [unaccent(s) for s in drawn]
    finally:
        await conn.close()


def row(iri: str, title: str, content: str) -> objects.ObjectRow:
    return objects.ObjectRow(
        iri=iri, kind="initiative", local=False, actor_iri="https://marseille.example/actor",
        url=None, title=title, summary="Un lieu où l'on répare ensemble", content_html=content,
        themes=["reemploi"], place_name="Château-Gombert", place_address=None, latitude=None,
        longitude=None, online_url=None, start_time=None, end_time=None, timezone=None,
        status=None, initiative_iri=None, image_url=None, image_alt=None, website=None,
        contact=None, stage=None, input=None, document={"id": iri},
        published=datetime(2026, 11, 2, tzinfo=UTC), updated=None,
    )


SAME_AS_SQL = """
SELECT iri FROM objects
WHERE search IS DISTINCT FROM maillage_search(title, summary, place_name, content_html)
"""


async def test_written_vectors_match_postgresqls_and_find_unaccented_words(database: str) -> None:
    conn = await db.connect(database)
    try:
        one = row("https://marseille.example/o/1", "Café-réparation", "<p>Vélos, grille-pain</p>")
        await objects.upsert_object(conn, one)
        await objects.upsert_objects(conn, [
            row("https://marseille.example/o/2", "Ressourcerie Château", "<p>Déchèterie</p>"),
            row("https://marseille.example/o/3", "Bibliothèque", "<p>" + "é" * 30000 + "</p>"),
        ])
        # Rewritten with new texts: the vector follows them.
        await objects.upsert_object(conn, row(one.iri, "Atelier de Noël", "<p>Crèche</p>"))
        assert await conn.fetch(SAME_AS_SQL) == []
        found = await conn.fetch(
            "SELECT iri FROM objects WHERE search @@ websearch_to_tsquery('french', $1) "
            "ORDER BY iri", unaccent("noel creche"))
        assert [r["iri"] for r in found] == [one.iri]
        assert await conn.fetchval(
            "SELECT count(*) FROM objects WHERE search @@ websearch_to_tsquery('french', $1)",
            unaccent("cafe reparation")) == 0
    finally:
        await conn.close()


async def test_rows_written_by_hand_get_their_vector_from_the_trigger(database: str) -> None:
    conn = await db.connect(database)
    try:
        await conn.execute(
            "INSERT INTO objects (iri, kind, local, actor_iri, title, document) VALUES "
            "('https://q.example/1', 'initiative', false, 'https://q.example/a', "
            "'Épicerie solidaire', '{}')")
        assert await conn.fetchval(
            "SELECT search @@ websearch_to_tsquery('french', 'epicerie') FROM objects") is True
        await conn.execute("UPDATE objects SET status = 'confirmed'")
        await conn.execute("UPDATE objects SET summary = 'Vrac et café associatif'")
        assert await conn.fetch(SAME_AS_SQL) == []
        assert await conn.fetchval(
            "SELECT search @@ websearch_to_tsquery('french', 'cafe associatif') FROM objects")
    finally:
        await conn.close()
