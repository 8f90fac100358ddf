"""The loop works: welcome with the menu, small talk, persistence."""

from __future__ import annotations

from pathlib import Path

from tests.support import InProcessBot, Servers, running_servers


def test_greet_shows_welcome_and_menu(bot: InProcessBot) -> None:
    replies = bot.send("hello")
    assert any("automated" in m.get("text", "") for m in replies)
    menu = [m for m in replies if m.get("buttons")]
    assert menu, "the welcome must end with the topic menu"
    payloads = {b["payload"] for b in menu[-1]["buttons"]}
    assert "/topic_reacting" in payloads and "/find_service" in payloads


def test_bot_challenge_says_it_is_automated(bot: InProcessBot) -> None:
    texts = " ".join(m.get("text", "") for m in bot.send("are you a real person?"))
    assert "automated" in texts and "not a person" in texts


def test_rest_webhook_welcome_and_api_off(servers: Servers) -> None:
    import requests

    replies = servers.send("foundation-user-0001", "hi")
    assert any(m.get("buttons") for m in replies)
    # Rasa's HTTP API is off: /status and /conversations are not served.
    assert requests.get(f"{servers.rasa_url}/status", timeout=5).status_code == 404


def test_conversation_survives_restart(tmp_path: Path) -> None:
    import sqlalchemy as sa

    db = f"sqlite:///{tmp_path / 'restart.db'}"
    with running_servers(tmp_path, database_url=db, with_actions=False) as first:
        first.send("restart-user-000001", "hello")
    with running_servers(tmp_path, database_url=db, with_actions=False) as second:
        second.send("restart-user-000001", "bye")
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        texts = [
            row[0]
            for row in conn.execute(
                sa.text(
                    "SELECT data FROM events WHERE sender_id='rest:restart-user-000001' "
                    "AND type_name='user' ORDER BY id"
                )
            )
        ]
    assert len(texts) == 2 and '"hello"' in texts[0] and '"bye"' in texts[1]
