"""visible_text on whole replies as mail clients write them, one corpus file per language (reply_corpus/*.jsonl).

Each line of a file is {"client": ..., "text": ..., "expected": ...}: the plain-text body a client sends (Gmail,
Outlook desktop and web, Apple Mail, Thunderbird, Outlook for iOS/Android, the iPhone and Android mail apps) and
the customer's new words. Per language at least 95% must come out exactly; in every reply no line of the
customer's words may be lost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lofte.channels.email.quotes import visible_text

CORPUS = Path(__file__).parent / "reply_corpus"
LANGUAGES = ("en", "sv", "da", "nb", "fi", "de", "fr", "it", "es", "pt", "nl", "pl", "ru")
CLIENTS = frozenset({"gmail", "outlook", "outlook-web", "apple", "thunderbird", "outlook-mobile", "iphone", "android"})
MIN_SHARE = 0.95


def _load(language: str) -> list[dict[str, Any]]:
    path = CORPUS / f"{language}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


REPLIES = {language: _load(language) for language in LANGUAGES}


def _exact(reply: dict[str, Any]) -> bool:
    return visible_text(reply["text"]).strip() == reply["expected"].strip()


def _report(language: str, replies: list[dict[str, Any]]) -> list[str]:
    failures = []
    for number, reply in enumerate(replies, 1):
        if not _exact(reply):
            got = visible_text(reply["text"])
            failures.append(
                f"{language} #{number} ({reply['client']}):\n  expected {reply['expected']!r}\n  got      {got!r}"
            )
    return failures


def test_the_corpus_covers_every_language_and_client() -> None:
    assert sorted(p.stem for p in CORPUS.glob("*.jsonl")) == sorted(LANGUAGES)
    for language, replies in REPLIES.items():
        assert len(replies) >= 5, language
        for reply in replies:
            assert set(reply) == {"client", "text", "expected"}, (language, reply)
            assert reply["client"] in CLIENTS, (language, reply["client"])
            assert reply["expected"].strip(), (language, reply)
    assert {reply["client"] for replies in REPLIES.values() for reply in replies} == CLIENTS


@pytest.mark.parametrize("language", LANGUAGES)
def test_share_of_exact_replies_per_language(language: str) -> None:
    replies = REPLIES[language]
    failures = _report(language, replies)
    share = 1 - len(failures) / len(replies)
    print(f"{language}: {len(replies) - len(failures)}/{len(replies)} = {share:.0%}")
    for failure in failures:
        print(failure)
    assert share >= MIN_SHARE, "\n".join(failures)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_word_of_the_customer_is_lost(language: str) -> None:
    lost = []
    for number, reply in enumerate(REPLIES[language], 1):
        got = set(visible_text(reply["text"]).split("\n"))
        missing = [line for line in reply["expected"].split("\n") if line.strip() and line.rstrip() not in got]
        if missing:
            lost.append(f"{language} #{number} ({reply['client']}): lost {missing!r}")
    assert not lost, "\n".join(lost)


def test_overall_share() -> None:
    total = sum(len(replies) for replies in REPLIES.values())
    failures = [failure for language, replies in REPLIES.items() for failure in _report(language, replies)]
    share = 1 - len(failures) / total
    print(f"overall: {total - len(failures)}/{total} = {share:.1%}")
    for failure in failures:
        print(failure)
    assert share >= MIN_SHARE, "\n".join(failures)
