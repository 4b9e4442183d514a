"""The administrator's pages: signing in, CSRF on every form, follows and domain blocks."""

from __future__ import annotations

import html
import json
import re

import httpx

from server.accounts.auth import SESSION_COOKIE, hash_token
from server.accounts.passwords import hash_password
from server.store import accounts
from tests.conftest import Instance

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
TERRITORY = "http://brest.example/actors/brest"
ANA = "https://remote.example/users/ana"
ADMIN_EMAIL = "admin@brest.example"
PASSWORD = "correct horse battery staple"


async def add_account(instance: Instance, email: str, role: str) -> int:
    conn = await instance.connect()
    try:
        account_id, _ = await accounts.upsert_account(conn, email, hash_password(PASSWORD), role)
    finally:
        await conn.close()
    return account_id


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return html.unescape(match.group(1))


async def get(instance: Instance, path: str) -> httpx.Response:
    return await instance.client.get(path, headers={"Accept": BROWSER})


async def post(instance: Instance, path: str, data: dict[str, str]) -> httpx.Response:
    return await instance.client.post(path, data=data, headers={"Accept": BROWSER})


async def sign_in(
    instance: Instance, email: str = ADMIN_EMAIL, password: str = PASSWORD
) -> httpx.Response:
    form = await get(instance, "/login")
    assert form.status_code == 200
    return await post(
        instance, "/login", {"csrf": csrf_of(form), "email": email, "password": password}
    )


async def admin_csrf(instance: Instance) -> str:
    page = await get(instance, "/admin")
    assert page.status_code == 200, page.text
    return csrf_of(page)


async def test_login_sets_a_session_cookie_and_shows_the_page_in_french(brest: Instance) -> None:
    account_id = await add_account(brest, ADMIN_EMAIL, "admin")
    response = await sign_in(brest, email="Admin@Brest.example")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Max-Age=1209600" in cookie
    assert "Secure" not in cookie  # development mode speaks http
    token = brest.client.cookies.get(SESSION_COOKIE)
    assert token
    [row] = await brest.sql("SELECT * FROM sessions")
    assert row["account_id"] == account_id
    assert row["token_hash"] == hash_token(token) != token
    page = await get(brest, "/admin")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "Demandes d’abonnement" in page.text
    assert "Domaines bloqués" in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_wrong_password_or_unknown_email_is_a_400_without_session(brest: Instance) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    wrong = await sign_in(brest, password="not the password")
    unknown = await sign_in(brest, email="nobody@brest.example")
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "Adresse électronique ou mot de passe incorrect." in response.text
        assert 'name="password"' in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert await brest.sql("SELECT * FROM sessions") == []
    assert (await get(brest, "/admin")).status_code == 303


async def test_login_without_its_csrf_token_is_refused(brest: Instance) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    await get(brest, "/login")
    response = await post(
        brest, "/login", {"csrf": "forged", "email": ADMIN_EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 403
    assert await brest.sql("SELECT * FROM sessions") == []


async def test_admin_without_login_redirects_to_the_login_page(brest: Instance) -> None:
    response = await get(brest, "/admin?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin%3Fx%3D1"
    form = await get(brest, response.headers["location"])
    assert 'name="next" value="/admin?x=1"' in form.text
    post_response = await post(brest, "/admin/blocks", {"domain": "spam.example"})
    assert post_response.status_code == 303
    assert await brest.sql("SELECT * FROM domain_blocks") == []


async def test_login_goes_back_to_next_but_never_to_another_site(brest: Instance) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    for target, expected in [("/admin?x=1", "/admin?x=1"), ("//evil.example/", "/admin")]:
        form = await get(brest, "/login")
        response = await post(
            brest,
            "/login",
            {"csrf": csrf_of(form), "email": ADMIN_EMAIL, "password": PASSWORD, "next": target},
        )
        assert response.status_code == 303
        assert response.headers["location"] == expected


async def test_posts_without_or_with_a_wrong_csrf_token_are_refused(brest: Instance) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    await sign_in(brest)
    good = await admin_csrf(brest)
    wrong = ("y" if good[0] == "x" else "x") + good[1:]  # differs from the real token
    for data in (
        {"domain": "spam.example"},
        {"domain": "spam.example", "csrf": wrong},
        {"domain": "spam.example", "csrf": ""},
    ):
        response = await post(brest, "/admin/blocks", data)
        assert response.status_code == 403
        assert "Ce formulaire a expiré" in response.text
    assert await brest.sql("SELECT * FROM domain_blocks") == []
    bare = await brest.client.post("/logout", data={})
    assert bare.status_code == 403
    assert bare.json()["error"].startswith("This form has expired")
    assert len(await brest.sql("SELECT * FROM sessions")) == 1


async def test_an_editor_cannot_reach_the_admin_pages(brest: Instance) -> None:
    await add_account(brest, "editor@brest.example", "editor")
    response = await sign_in(brest, email="editor@brest.example")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    page = await get(brest, "/admin")
    assert page.status_code == 403
    assert "administrateurs" in page.text
    blocked = await post(brest, "/admin/blocks", {"domain": "spam.example", "csrf": "x"})
    assert blocked.status_code == 403
    assert await brest.sql("SELECT * FROM domain_blocks") == []


async def test_logout_deletes_the_session(brest: Instance) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    await sign_in(brest)
    token = brest.client.cookies.get(SESSION_COOKIE)
    csrf = await admin_csrf(brest)
    response = await post(brest, "/logout", {"csrf": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert await brest.sql("SELECT * FROM sessions") == []
    assert (await get(brest, "/admin")).status_code == 303
    # the old cookie, replayed, opens nothing
    replay = await brest.client.get(
        "/admin", headers={"Accept": BROWSER, "Cookie": f"{SESSION_COOKIE}={token}"}
    )
    assert replay.status_code == 303


async def test_domain_blocks_are_added_listed_and_removed(brest: Instance) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    await sign_in(brest)
    csrf = await admin_csrf(brest)
    added = await post(
        brest, "/admin/blocks", {"csrf": csrf, "domain": " Spam.Example ", "reason": "pourriel"}
    )
    assert added.status_code == 303
    assert added.headers["location"] == "/admin?done=blocked"
    rows = await brest.sql("SELECT domain, reason FROM domain_blocks")
    assert [(r["domain"], r["reason"]) for r in rows] == [("spam.example", "pourriel")]
    page = await get(brest, added.headers["location"])
    assert "Domaine bloqué." in page.text
    assert "<code>spam.example</code>" in page.text
    assert "pourriel" in page.text
    removed = await post(brest, "/admin/blocks/delete", {"csrf": csrf, "domain": "spam.example"})
    assert removed.status_code == 303
    assert await brest.sql("SELECT * FROM domain_blocks") == []
    page = await get(brest, removed.headers["location"])
    assert "Domaine débloqué." in page.text
    assert "<code>spam.example</code>" not in page.text


async def test_an_invalid_domain_is_refused_with_a_message(brest: Instance) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    await sign_in(brest)
    csrf = await admin_csrf(brest)
    for bad in ("https://spam.example/", "spam", "sp am.example", "-x.example", "10.0.0.1"):
        response = await post(brest, "/admin/blocks", {"csrf": csrf, "domain": bad})
        assert response.status_code == 400, bad
        assert "Saisissez un nom de domaine" in response.text
        assert f'value="{html.escape(bad)}"' in response.text
    own = await post(brest, "/admin/blocks", {"csrf": csrf, "domain": "brest.example"})
    assert own.status_code == 400
    assert await brest.sql("SELECT * FROM domain_blocks") == []


async def pending_request(instance: Instance) -> None:
    await instance.sql(
        "INSERT INTO follows (follower_iri, followee_iri, state, activity_iri)"
        " VALUES ($1, $2, 'pending', $3)",
        ANA,
        TERRITORY,
        "https://remote.example/follows/1",
    )
    await instance.sql(
        "INSERT INTO actors (iri, local, type, username, domain, name, url)"
        " VALUES ($1, false, 'Person', 'ana', 'remote.example', 'Ana', $2)",
        ANA,
        "https://remote.example/@ana",
    )


async def test_accepting_a_follow_request_publishes_an_accept(brest: Instance) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    await pending_request(brest)
    await sign_in(brest)
    page = await get(brest, "/admin")
    assert "@ana@remote.example" in page.text
    response = await post(
        brest, "/admin/requests", {"csrf": csrf_of(page), "follower": ANA, "decision": "accept"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin?done=accepted"
    [row] = await brest.sql("SELECT state FROM follows WHERE follower_iri = $1", ANA)
    assert row["state"] == "accepted"
    [activity] = await brest.sql("SELECT * FROM activities WHERE type = 'Accept'")
    assert ANA in activity["recipients"]
    raw = activity["raw"]
    raw = json.loads(raw) if isinstance(raw, str) else raw
    assert raw["object"]["id"] == "https://remote.example/follows/1"
    page = await get(brest, response.headers["location"])
    assert "Demande d’abonnement acceptée." in page.text
    assert "Retirer" in page.text  # now listed among the followers


async def test_rejecting_a_follow_request_deletes_it_and_publishes_a_reject(
    brest: Instance,
) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    await pending_request(brest)
    await sign_in(brest)
    csrf = await admin_csrf(brest)
    response = await post(
        brest, "/admin/requests", {"csrf": csrf, "follower": ANA, "decision": "reject"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin?done=rejected"
    assert await brest.sql("SELECT * FROM follows") == []
    [activity] = await brest.sql("SELECT * FROM activities WHERE type = 'Reject'")
    assert ANA in activity["recipients"]
    again = await post(
        brest, "/admin/requests", {"csrf": csrf, "follower": ANA, "decision": "reject"}
    )
    assert again.status_code == 400
    assert f"no follow request from {ANA}" in again.text


async def test_follow_errors_are_shown_to_the_administrator(brest: Instance) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    await sign_in(brest)
    csrf = await admin_csrf(brest)
    unknown = "https://nowhere.example/users/x"
    response = await post(brest, "/admin/unfollow", {"csrf": csrf, "actor": unknown})
    assert response.status_code == 400
    assert "Cela n’a pas fonctionné :" in response.text
    assert f"not following {unknown}" in response.text
    bad_handle = await post(brest, "/admin/follow", {"csrf": csrf, "handle": "not a handle"})
    assert bad_handle.status_code == 400
    assert 'value="not a handle"' in bad_handle.text
    assert await brest.sql("SELECT * FROM activities") == []


async def test_admin_page_speaks_english_when_asked(brest: Instance) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    await sign_in(brest)
    page = await brest.client.get("/admin?lang=en", headers={"Accept": BROWSER})
    assert '<html lang="en">' in page.text
    assert "Follow requests" in page.text
    assert "Block a domain" in page.text


async def test_a_remote_actor_cannot_put_a_script_link_in_the_page(brest: Instance) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    await pending_request(brest)
    await brest.sql(
        "UPDATE actors SET url = 'javascript:alert(1)', name = '<b>Ana</b>' WHERE iri = $1", ANA
    )
    await sign_in(brest)
    page = await get(brest, "/admin")
    assert "javascript:" not in page.text
    assert "<b>Ana</b>" not in page.text
    assert f'href="{ANA}"' in page.text


async def test_repeated_wrong_passwords_lock_the_address_for_a_while(brest: Instance) -> None:
    await add_account(brest, "ana@brest.example", "admin")
    for _ in range(10):
        wrong = await sign_in(brest, "ana@brest.example", "not the password")
        assert wrong.status_code == 400
    locked = await sign_in(brest, "ana@brest.example", PASSWORD)
    assert locked.status_code == 429
    assert "Trop d’essais manqués" in locked.text
    assert brest.client.cookies.get("maillage_session") is None
    other = await add_account(brest, "bob@brest.example", "admin")
    assert other and (await sign_in(brest, "bob@brest.example", PASSWORD)).status_code == 303
