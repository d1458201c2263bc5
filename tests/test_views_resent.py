"""An old event sent again to someone coming back, in a session that is anonymous now.

A person who comes back after a dropped link is sent the events they missed
(`views.redact` for each). If the facilitator turned anonymity off and on again meanwhile,
the event that turned it off carries everyone's names; sent now, while the session is
anonymous, it must carry only the returning person's own name.
"""

from __future__ import annotations

from whytree.shared import protocol as p
from whytree.shared.views import redact

NAMES = {"ann": "Ann", "bob": "Bob", "fac": "Fran"}


def settings_event(anonymous: bool) -> p.Event:
    command = p.SetSettings(op="op1", dots_per_person=3, dots_per_cause=2, anonymous=anonymous,
                            names=dict(NAMES))
    return p.Event(seq=7, by="fac", op="op1", command=command)


def names_seen(event: p.Event) -> dict[str, str] | None:
    assert isinstance(event.command, p.SetSettings)
    return event.command.names


def test_turning_anonymity_off_sent_again_while_anonymous_names_nobody_else() -> None:
    resent = redact(settings_event(anonymous=False), "bob", anonymous=True)
    assert names_seen(resent) == {"ann": "", "bob": "Bob", "fac": ""}
    assert resent.by is None and resent.op is None


def test_turning_anonymity_on_names_nobody_else_and_turning_it_off_names_everyone() -> None:
    assert names_seen(redact(settings_event(anonymous=True), "bob", anonymous=True)) == {
        "ann": "", "bob": "Bob", "fac": ""}
    assert names_seen(redact(settings_event(anonymous=True), "ann", anonymous=False)) == {
        "ann": "Ann", "bob": "", "fac": ""}
    assert names_seen(redact(settings_event(anonymous=False), "bob", anonymous=False)) == NAMES
