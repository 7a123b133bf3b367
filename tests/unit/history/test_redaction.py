"""Each kind of secret is replaced and counted; the text around it and harmless look-alikes stay."""

from __future__ import annotations

import hashlib
import time
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
BEGIN_KEY = "-----BEGIN " + "PRIVATE KEY-----"
KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKB\nwQ=="
ENCRYPTED_KEY = (
    "-----BEGIN RSA " + "PRIVATE KEY-----\n"
    "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0A1B2C3D\n\n" + KEY_BODY
)
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
JWT = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9P"
BASIC = "dXNlcjpwYXNz" + "d29yZA=="
AZURE_KEY = "Zm9vYmFyYmF6cXV4" * 3 + "Zm9vYmFy=="
STRIPE_LIVE = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"
STRIPE_RESTRICTED = "rk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"
STRIPE_TEST = "sk_" + "test_" + "4eC39HqLyjWDarjtT1zdp7dc"
GOOGLE = "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
HUGGING_FACE = "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH"
NPM = "npm_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
SLACK_APP = "xapp" + "-1-A0123456789-1234567890123-abcdef0123456789"
SLACK_REFRESH = "xoxe" + "-1-My0xLTIzNDU2Nzg5MDEyMy0"
SLACK_ROTATED = "xoxe" + ".xoxp-1-Mi0yLTEyMzQ1Njc4OTAxMjM"
SLACK_USER = "xoxp" + "-123456789012-abcdefghijkl"
GITLAB = "glpat" + "-aBcDeFgHiJkLmNoPqRsT"
GOOGLE_OAUTH = "GOCSPX" + "-aBcDeFgHiJkLmNoPqRsTuVwXyZ12"
PYPI = "pypi-" + "AgEIcHlwaS5vcmc" + "CJDk0ZWNmMzZkLWFhNTAtNGM5Zi1"
DOCKER = "dckr_pat_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ1"
SENDGRID = "SG." + "aBcDeFgHiJkLmNoPqRsTuV" + ".aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789aBcDeFg"
SHA256 = hashlib.sha256(b"app/producer.py").hexdigest()


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
        # Shapes that once came through unredacted, one case each.
        (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET, "aws-secret-access-key"),
        (f"aws_secret_access_key {AWS_SECRET}", AWS_SECRET, "aws-secret-access-key"),
        (f'"SecretAccessKey": "{AWS_SECRET}"', AWS_SECRET, "aws-secret-access-key"),
        (f"the key is {AWS_SECRET} for prod", AWS_SECRET, "aws-secret-access-key"),
        (f"curl -H 'x-auth: {JWT}'", JWT, "jwt"),
        (f"{BEGIN_KEY}\n{KEY_BODY}\n\nthen fix the bug", f"{BEGIN_KEY}\n{KEY_BODY}", "private-key"),
        (f"{ENCRYPTED_KEY}\nNext: rotate it", ENCRYPTED_KEY, "private-key"),
        (
            '{"private_key": "' + BEGIN_KEY + "\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n" + '"}',
            BEGIN_KEY + "\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
            "private-key",
        ),
        ("https://user:p@ss@host.example.com/x", "p@ss", "connection-password"),
        ("amqp://:p@ss:w@rd@broker:5672", "p@ss:w@rd", "connection-password"),
        (f"Authorization: Basic {BASIC}", BASIC, "basic-auth"),
        (f"-H 'authorization: basic {BASIC}'", BASIC, "basic-auth"),
        (
            f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={AZURE_KEY};"
            "EndpointSuffix=core.windows.net",
            AZURE_KEY,
            "azure-key",
        ),
        (
            "https://acct.blob.core.windows.net/c?sv=2022-11-02&sp=r&sig=AbC%2Fdef123456789%3D",
            "AbC%2Fdef123456789%3D",
            "azure-sas-signature",
        ),
        (f"stripe {STRIPE_LIVE}", STRIPE_LIVE, "stripe-key"),
        (f"stripe {STRIPE_RESTRICTED}", STRIPE_RESTRICTED, "stripe-key"),
        (f"stripe {STRIPE_TEST}", STRIPE_TEST, "stripe-key"),
        (f"maps key {GOOGLE}", GOOGLE, "google-api-key"),
        (f"client secret {GOOGLE_OAUTH}", GOOGLE_OAUTH, "google-oauth"),
        (f"HF_TOKEN {HUGGING_FACE}", HUGGING_FACE, "huggingface-token"),
        (f"//registry.npmjs.org/:_auth {NPM}", NPM, "npm-token"),
        (f"app token {SLACK_APP}", SLACK_APP, "slack-token"),
        (f"refresh {SLACK_REFRESH}", SLACK_REFRESH, "slack-token"),
        (f"rotated {SLACK_ROTATED}", SLACK_ROTATED, "slack-token"),
        (f"user {SLACK_USER}", SLACK_USER, "slack-token"),
        (f"gitlab {GITLAB}", GITLAB, "gitlab-token"),
        (f"twine upload -p {PYPI}", PYPI, "pypi-token"),
        (f"docker login -p {DOCKER}", DOCKER, "docker-token"),
        (f"sendgrid {SENDGRID}", SENDGRID, "sendgrid-key"),
        ("my password is hunter2", "hunter2", "prose"),
        ("The password is: Tr0ub4dor&3.", "Tr0ub4dor&3", "prose"),
        ("the secret is swordfish, keep it", "swordfish", "prose"),
        ("the API key was 'correct horse battery'", "correct horse battery", "prose"),
        ("the password: hunter2", "hunter2", "assignment"),
        ("password: 'correct horse battery staple'", "correct horse battery staple", "assignment"),
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
        # Ordinary code and the facts a PHR records.
        'token = os.environ["DAPR_API_TOKEN"]',
        "api_key = settings.api_key",
        "password = get_password(user)",
        f"`app/producer.py` created, sha256 `{SHA256}`",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b",
        "request 123e4567-e89b-12d3-a456-426614174000",
        "Users/Alice/Projects/MyApp2/src/Services",
        "AbstractSingletonProxyFactoryBean2Config",
        'password: ""',
        # Prose about secrets, not secrets.
        "the password is required and the token is expired",
        "the secret is that the sidecar retries; the token was refreshed",
        "Basic usage: call the API with a bearer of the token",
        "eyJhbGciOiJIUzI1NiJ9 is only a header",
    ],
)
def test_references_and_ordinary_words_are_left_alone(text: str) -> None:
    assert redact(text).text == text


def test_a_value_redacted_by_one_rule_is_not_counted_again() -> None:
    result = redact('"token": "Bearer abcdefghijklmnopqrstuvwxyz"')
    assert result.text == '"token": "Bearer [REDACTED:bearer-token]"'
    assert result.counts == {"bearer-token": 1}


def test_redaction_time_grows_linearly_with_hostile_text() -> None:
    # Each part defeats a rule that scans ahead without bound from every start it tries: a
    # quadratic rule would take minutes on these 1.5 MB, not seconds.
    parts = [
        "a-" * 65_536,
        "a://b:" * 21_845,
        ("-----BEGIN " + "PRIVATE KEY-----\n") * 4_681,
        "token=" * 21_845,
        "password is " * 10_922,
        "https://u:" + "@" * 131_072,
        "".join(chr(65 + (i * 7919) % 58) for i in range(131_072)),
    ]
    started = time.perf_counter()
    for part in parts:
        redact(part)
    assert time.perf_counter() - started < 30


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
