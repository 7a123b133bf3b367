"""Each kind of secret is replaced and counted; the text around it and harmless look-alikes stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_support import new_phr

from tools.history.phr import read_prompt
from tools.history.redaction import redact

# Built from parts so that no complete credential-shaped literal sits in the repository.
ANTHROPIC = "sk-ant-" + "api03-" + "A1b2C3d4" * 6
OPENAI = "sk-" + "proj-" + "Z9y8X7w6" * 5
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
GITHUB = "ghp" + "_" + "a1B2c3D4e5" * 4
GITHUB_FINE = "github_pat_" + "11ABCDEFG0" * 4
SLACK = "xoxb" + "-123456789012-abcdefghijkl"
SLACK_HOOK = "https://hooks.slack.com/services/" + "T000/B000/XXXXXXXXXXXX"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
OPENSSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1r\n-----END OPENSSH PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("text", "secret", "kind"),
    [
        (f"use {ANTHROPIC} here", ANTHROPIC, "anthropic-key"),
        (f"OPENAI_API_KEY={OPENAI}", OPENAI, "openai-key"),
        (f"id {AWS_KEY_ID} for s3", AWS_KEY_ID, "aws-access-key-id"),
        (f"token {GITHUB}", GITHUB, "github-token"),
        (f"token {GITHUB_FINE}", GITHUB_FINE, "github-token"),
        (f"bot {SLACK}", SLACK, "slack-token"),
        (f"post to {SLACK_HOOK}", SLACK_HOOK, "slack-webhook"),
        (f"key:\n{PRIVATE_KEY}\nend", PRIVATE_KEY, "private-key"),
        (f"{OPENSSH_KEY}", OPENSSH_KEY, "private-key"),
        ("export DAPR_API_TOKEN=s3cr3t-t0ken", "s3cr3t-t0ken", "assignment"),
        ("APP_API_TOKEN: 'abcd-1234-efgh'", "abcd-1234-efgh", "assignment"),
        ("redisPassword: hunter22", "hunter22", "assignment"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG", "wJalrXUtnFEMI/K7MDENG", "assignment"),
        ("Server=db;Password=Sup3rS3cret;", "Sup3rS3cret", "assignment"),
        ("redis://default:pa55word@localhost:6379", "pa55word", "connection-password"),
        ("postgresql://app:s3cr3t@db:5432/tasks", "s3cr3t", "connection-password"),
        (
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload",
            "eyJhbGciOiJIUzI1NiJ9.payload",
            "bearer-token",
        ),
    ],
)
def test_each_secret_kind_is_redacted_and_counted(text: str, secret: str, kind: str) -> None:
    result = redact(text)
    assert secret not in result.text
    assert f"[REDACTED:{kind}]" in result.text
    assert result.counts == {kind: 1}
    # Everything except the secret is kept byte for byte.
    assert result.text == text.replace(secret, f"[REDACTED:{kind}]")


@pytest.mark.parametrize(
    "text",
    [
        "set DAPR_API_TOKEN=${DAPR_API_TOKEN} in the sidecar",
        "password: <your password>",
        "max_tokens: 4096",
        "the token bucket refills",
        "secretKeyRef: string",
        "redis://localhost:6379/0",
        "https://user@example.com/path",
        "api_key: {{API_KEY}}",
    ],
)
def test_references_and_ordinary_words_are_left_alone(text: str) -> None:
    assert redact(text).text == text


def test_the_record_holds_the_redacted_prompt_and_the_count(tmp_path: Path) -> None:
    prompt = f"Deploy with DAPR_API_TOKEN=abcdef123456 and {GITHUB}\nthen {ANTHROPIC}"
    record = new_phr(tmp_path, prompt=prompt, response=f"used {OPENAI}")
    document = (tmp_path / record.path).read_text(encoding="utf-8")
    for secret in ("abcdef123456", GITHUB, ANTHROPIC, OPENAI):
        assert secret not in document
    assert read_prompt(document) == (
        "Deploy with DAPR_API_TOKEN=[REDACTED:assignment] and [REDACTED:github-token]\n"
        "then [REDACTED:anthropic-key]"
    )
    assert record.redactions == 4
    assert (
        "- Secrets redacted: 4 (anthropic-key x1, assignment x1, github-token x1, openai-key x1)"
        in document
    )


def test_a_clean_prompt_records_zero_redactions(tmp_path: Path) -> None:
    record = new_phr(tmp_path)
    assert record.redactions == 0
    assert "- Secrets redacted: 0\n" in (tmp_path / record.path).read_text(encoding="utf-8")
