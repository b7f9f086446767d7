"""API keys: hashed at rest, scopes that nest, revocation, and the `astigd keys` commands."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from astigd.app.core.security import generate_key, grants, hash_secret, split_key, verify_secret
from astigd.app.db.keys import (
    authenticate,
    create_first_admin_key,
    create_key,
    list_keys,
    revoke_key,
)
from astigd.cli import app


def test_a_secret_verifies_against_its_salted_hash_only():
    stored = hash_secret("s3cret")
    assert stored.startswith("scrypt$") and "s3cret" not in stored
    assert verify_secret("s3cret", stored)
    assert not verify_secret("s3cret!", stored)
    assert hash_secret("s3cret") != stored  # fresh salt each time
    assert not verify_secret("s3cret", "garbage")


def test_generated_keys_split_into_prefix_and_secret():
    new = generate_key()
    assert split_key(new.key) == (new.prefix, new.secret)
    assert split_key("astigd_short_x") is None
    assert split_key("Bearer nonsense") is None


@pytest.mark.parametrize(
    ("held", "needed", "granted"),
    [
        (["read"], "read", True),
        (["read"], "control", False),
        (["control"], "read", True),
        (["control"], "admin", False),
        (["admin"], "control", True),
        ([], "read", False),
    ],
)
def test_scopes_nest_admin_over_control_over_read(held, needed, granted):
    assert grants(held, needed) is granted


def test_keys_are_stored_hashed_authenticate_and_stop_working_when_revoked(session):
    key = create_key(session, ["control", "read"], name="serialem")
    (stored,) = list_keys(session)
    assert stored.scopes == ["read", "control"] and stored.name == "serialem"
    assert key.split("_", 2)[2] not in stored.secret_hash  # the secret may itself hold "_"
    assert authenticate(session, key).id == stored.id
    assert authenticate(session, key + "x") is None
    revoke_key(session, stored.prefix)
    assert authenticate(session, key) is None
    assert revoke_key(session, "nosuchkey") is None


def test_unknown_scopes_are_refused(session):
    with pytest.raises(ValueError, match="read, control, admin"):
        create_key(session, ["root"])


def test_first_start_creates_one_admin_key_only_when_none_exists(session):
    key = create_first_admin_key(session)
    assert authenticate(session, key).scopes == ["admin"]
    assert create_first_admin_key(session) is None


def test_keys_commands_create_list_and_revoke(db_url, session, monkeypatch):
    monkeypatch.setenv("ASTIGD_DATABASE__URL", db_url)
    runner = CliRunner()
    created = runner.invoke(
        app, ["keys", "create", "--scope", "read", "--scope", "control", "--name", "epu-pc"]
    )
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert authenticate(session, key).scopes == ["read", "control"]
    prefix = key.split("_")[1]
    listing = runner.invoke(app, ["keys", "list"]).output
    assert prefix in listing and "read,control" in listing and "epu-pc" in listing
    assert runner.invoke(app, ["keys", "revoke", prefix]).exit_code == 0
    session.expire_all()
    assert authenticate(session, key) is None
    assert runner.invoke(app, ["keys", "revoke", "00000000"]).exit_code == 1
    assert runner.invoke(app, ["keys", "create", "--scope", "root"]).exit_code != 0
