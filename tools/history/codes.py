"""The catalog of PHR/ADR record codes: what each reports, why it matters, how to fix it, examples.

Every finding of `check_history` names one of these entries (`Findings.add` takes the entry and
refuses one missing from `CODES`), so each code users filter on is documented in docs/rules.md
beside the gate's rules, in the same shape (tools.documented.DocumentedRule). An entry's `fix` is
the default; a call site may say more precisely what to do with the file at hand.

Examples are sets of record files (tools.history.examples): `check_history` reports the code on
each `INVALID` set, and not on the `VALID` ones. Codes that only the environment causes (a file the
system refuses to read, a checker bug) say in `no_example` why no set of files shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tools.history.adr import STATUSES
from tools.history.examples import ADR, ADR_PATH, PHR, PHR_PATH, Files, adr, adrs, edit, phr


@dataclass(frozen=True, eq=False)  # each code exists once: entries compare by identity
class RecordCode:
    """One code `check_history` reports; `message` completes "Reports that ..."."""

    id: str
    name: str
    message: str
    why: str
    fix: str
    VALID: tuple[Files, ...] = ()
    INVALID: tuple[Files, ...] = ()
    no_example: str = ""


_FEATURE = "001-task-reminders"
_SECOND_PHR = "history/prompts/general/0001-add-the-consumer.general.prompt.md"
_NEWER_ADR = "history/adr/0002-event-delivery-v2.md"

PHR_FRONT_MATTER = RecordCode(
    id="phr-front-matter",
    name="unparsable-front-matter",
    message="a PHR has no YAML front matter, or front matter that does not parse",
    why=(
        "Spec-Kit Plus tools and daprdev read a record's id, stage, feature and links through a "
        "YAML parser: a record whose front matter is missing or does not parse is invisible to "
        "them."
    ),
    fix=(
        "Start the file with `---`, the PHR keys and `---`; quote values that contain `: ` or "
        '`#` (`title: "Fix: retries"`).'
    ),
    VALID=(phr(),),
    INVALID=(phr('title: "Add the producer"', "title: Fix: the producer"),),
)
PHR_MISSING_KEY = RecordCode(
    id="phr-missing-key",
    name="missing-front-matter-key",
    message="a PHR's front matter lacks one of the Spec-Kit Plus keys",
    why=(
        "Spec-Kit Plus writes all fourteen keys, `id` to `tests`, and its tools read them without "
        "defaults: a record lacking one breaks them."
    ),
    fix="Add each missing key; write `none` or `null` where there is nothing to say.",
    VALID=(phr(),),
    INVALID=(phr("model: unspecified\n", ""),),
)
PHR_KEY_ORDER = RecordCode(
    id="phr-key-order",
    name="front-matter-key-order",
    message="a PHR's front-matter keys are not in the order Spec-Kit Plus writes them",
    why=(
        "Records are compared and merged as text: keys in the template's order keep the diffs "
        "between two records, or between daprdev's and Spec-Kit Plus's, down to the values."
    ),
    fix=(
        "Order the keys id, title, stage, date, surface, model, feature, branch, user, command, "
        "labels, links, files, tests."
    ),
    VALID=(phr(),),
    INVALID=(
        {
            PHR_PATH: edit(
                edit(PHR, "surface: agent\n", ""), "tests: []\n", "tests: []\nsurface: agent\n"
            )
        },
    ),
)
PHR_INVALID_VALUE = RecordCode(
    id="phr-invalid-value",
    name="invalid-front-matter-value",
    message="a PHR front-matter value has the wrong type or an unknown value",
    why=(
        "Readers rely on each key's shape: an ISO date to sort by, a Spec-Kit Plus stage to route "
        "by, lists of strings, and links holding spec, ticket, adr and pr."
    ),
    fix=(
        "Give the value its expected shape: one of the stages, `date: YYYY-MM-DD`, lists of "
        "quoted strings, and a link or `null` for each of spec, ticket, adr and pr."
    ),
    VALID=(phr(),),
    INVALID=(phr("date: 2025-01-31", "date: 31/01/2025"),),
)
PHR_ID_QUOTING = RecordCode(
    id="phr-id-quoting",
    name="unquoted-record-id",
    message="a PHR's unquoted id reads as a number in YAML 1.1 parsers",
    why=(
        "YAML 1.1 parsers, which many tools still use, read `id: 0010` as the octal number 8: "
        "the id they see no longer matches the file name."
    ),
    fix='Quote the id: `id: "0010"`.',
    VALID=(phr('id: "0001"', 'id: "0010"', path=PHR_PATH.replace("/0001-", "/0010-")),),
    INVALID=(phr('id: "0001"', "id: 0010", path=PHR_PATH.replace("/0001-", "/0010-")),),
)
PHR_FILE_NAME = RecordCode(
    id="phr-file-name",
    name="nonconforming-phr-name",
    message=(
        "a PHR's file name does not follow `NNNN-<slug>.<stage>.prompt.md`, or disagrees with its "
        "id, title or stage"
    ),
    why=(
        "Spec-Kit Plus finds, numbers and routes records by their file names: a name off the "
        "pattern, or one that says another id, title or stage than the record, misleads every "
        "reader that trusts one of the two."
    ),
    fix=(
        "Rename the file to NNNN-<slug>.<stage>.prompt.md (four-digit id, slug of the title, the "
        "record's stage)."
    ),
    VALID=(phr(),),
    INVALID=({PHR_PATH.replace(".general.prompt.md", ".prompt.md"): PHR},),
)
PHR_ROUTE = RecordCode(
    id="phr-route",
    name="misrouted-phr",
    message="a PHR is not in the folder Spec-Kit Plus routes its stage to",
    why=(
        "Spec-Kit Plus files constitution records under constitution/, general ones under "
        "general/ and feature work under the feature's folder, named like its specs/ folder; its "
        "tools look for a record only there."
    ),
    fix=(
        "Move the record to history/prompts/constitution/, general/ or <feature>/ as its stage "
        "says, and renumber it there."
    ),
    VALID=(
        phr(
            "stage: general",
            "stage: constitution",
            path="history/prompts/constitution/0001-add-the-producer.constitution.prompt.md",
        ),
    ),
    INVALID=(
        phr(
            "stage: general",
            "stage: constitution",
            path="history/prompts/general/0001-add-the-producer.constitution.prompt.md",
        ),
    ),
)
PHR_SECTION = RecordCode(
    id="phr-section",
    name="missing-phr-section",
    message=(
        "a PHR lacks one of the template's sections (Prompt, Response snapshot, Outcome, "
        "Evaluation notes)"
    ),
    why=(
        "The sections are the record (the prompt as given, what came back, what it led to), and "
        "readers find each by its heading."
    ),
    fix="Add each missing `##` heading with its content; write `none` where nothing applies.",
    VALID=(phr(),),
    INVALID=(phr("## Outcome\n\nThe producer publishes through Dapr pub/sub.\n\n", ""),),
)
PHR_EMPTY_PROMPT = RecordCode(
    id="phr-empty-prompt",
    name="empty-prompt",
    message="a PHR's Prompt section is empty (an empty code fence counts as empty)",
    why=(
        "A PHR exists to keep the exact input that produced the work; without it the record can "
        "be neither replayed nor learnt from."
    ),
    fix="Paste the user's prompt in full, verbatim (never a summary).",
    VALID=(phr(),),
    INVALID=(phr("Add a producer that publishes task-created events.", "```text\n```"),),
)
PHR_DUPLICATE_ID = RecordCode(
    id="phr-duplicate-id",
    name="duplicate-phr-id",
    message="two PHRs in one folder share an id (typically after merging two branches)",
    why="Ids identify records in links and indexes; two records with one id collide.",
    fix="Renumber one of them to the folder's next free id (file name and `id:`).",
    VALID=(
        {
            **phr(),
            _SECOND_PHR.replace("/0001-", "/0002-"): edit(
                edit(PHR, 'id: "0001"', 'id: "0002"'), "the producer", "the consumer"
            ),
        },
    ),
    INVALID=({**phr(), _SECOND_PHR: edit(PHR, "the producer", "the consumer")},),
)
HISTORY_PLACEHOLDER = RecordCode(
    id="history-placeholder",
    name="unresolved-placeholder",
    message="a record still holds a template placeholder such as `{{RESPONSE_TEXT}}`",
    why=(
        "An upper-case `{{NAME}}` is the template's slot for a value: one left in is a field "
        "nobody filled, in a record that reads as if it said something. Lower-case "
        "`{{ name }}`, Jinja or Go-template text a record may quote, is not a placeholder."
    ),
    fix="Replace it with the real value, or `none` if there is nothing to say.",
    VALID=(phr("Added the producer and its test.", "Rendered `{{ app_id }}` in the template."),),
    INVALID=(phr("Added the producer and its test.", "{{RESPONSE_TEXT}}"),),
)
HISTORY_ADR_LINK = RecordCode(
    id="history-adr-link",
    name="broken-adr-link",
    message="a record links an ADR that does not exist",
    why=(
        "A link to a decision is how a reader finds why the work was done that way; a broken one "
        "(a renamed or never written ADR) leaves the question open."
    ),
    fix=(
        "Point it at an existing record (history/adr/NNNN-<slug>.md or ADR-NNNN), or write `null`."
    ),
    VALID=({**phr("  adr: null", "  adr: ADR-0001"), **adr()},),
    INVALID=(phr("  adr: null", "  adr: ADR-0009"),),
)
HISTORY_LEGACY_STAGE = RecordCode(
    id="history-legacy-stage",
    name="legacy-stage",
    message="a record uses the stage `architect` of older Spec-Kit Plus releases",
    why=(
        "The current Spec-Kit Plus records design work as stage `plan` and no longer knows "
        "`architect`: such a record is read and warned about, never routed."
    ),
    fix=(
        "Rename the file with stage `plan` and set `stage: plan`; a plan belongs in its feature's "
        "folder."
    ),
    VALID=(
        {
            f"history/prompts/{_FEATURE}/0001-add-the-producer.plan.prompt.md": edit(
                edit(PHR, "stage: general", "stage: plan"), "feature: none", f"feature: {_FEATURE}"
            ),
            f"specs/{_FEATURE}/spec.md": "# Task reminders\n",
        },
    ),
    INVALID=(
        phr(
            "stage: general",
            "stage: architect",
            path="history/prompts/general/0001-add-the-producer.architect.prompt.md",
        ),
    ),
)
HISTORY_LEGACY_ID = RecordCode(
    id="history-legacy-id",
    name="three-digit-id",
    message="a record has a three-digit id, as older Spec-Kit Plus releases wrote",
    why=(
        "The current Spec-Kit Plus numbers records with four digits; a three-digit record sorts "
        "and links apart from the others and is only read, as a legacy record."
    ),
    fix="Rename it with a four-digit id: a leading 0 in the file name, `id:` and an ADR's heading.",
    VALID=(phr(),),
    INVALID=(phr('id: "0001"', 'id: "001"', path=PHR_PATH.replace("/0001-", "/001-")),),
)
HISTORY_LEGACY_LAYOUT = RecordCode(
    id="history-legacy-layout",
    name="legacy-layout",
    message=(
        "a record lives in an older Spec-Kit Plus layout (docs/prompts/, "
        "specs/<feature>/prompts/, docs/adr/)"
    ),
    why=(
        "Current Spec-Kit Plus tools and daprdev's writers look under history/ only: a record "
        "elsewhere is read and warned about, never numbered, indexed or held to the current "
        "format."
    ),
    fix="Move PHRs to history/prompts/<constitution|feature|general>/ and ADRs to history/adr/.",
    VALID=(phr(),),
    INVALID=(phr(path="docs/prompts/0001-add-the-producer.general.prompt.md"),),
)
HISTORY_LEFTOVER = RecordCode(
    id="history-leftover",
    name="interrupted-write-leftover",
    message="an interrupted daprdev writer left an id claim or a temporary file behind",
    why=(
        "Earlier daprdev versions claimed ids with `.NNNN.claim` files and wrote records through "
        "`.tmp` files: one left behind means a writer was stopped midway, and the record it was "
        "writing may be missing."
    ),
    fix="Delete it once no daprdev command is running, and check that the record exists.",
    INVALID=({"history/prompts/general/.0002.claim": ""},),
)
HISTORY_ENCODING = RecordCode(
    id="history-encoding",
    name="not-utf8",
    message="a record is not valid UTF-8",
    why=(
        "Spec-Kit Plus records are UTF-8: a file in another encoding shows garbled text in every "
        "tool, and daprdev reads its bad bytes as replacement characters."
    ),
    fix="Save it as UTF-8.",
    VALID=(phr("Added the producer and its test.", "Added the producer for the café app."),),
    INVALID=(phr("Added the producer and its test.", "Added the producer for the caf\udce9 app."),),
)
HISTORY_UNREADABLE = RecordCode(
    id="history-unreadable",
    name="unreadable-record",
    message="a record file cannot be read",
    why=(
        "A record daprdev cannot open is checked for nothing: without this finding, CI would "
        "pass without judging it."
    ),
    fix="Fix the file's permissions, or whatever stops it being read, and check again.",
    no_example=(
        "The operating system refuses to read the file (permissions, an I/O error), which no "
        "file content can show."
    ),
)
HISTORY_CHECKER_ERROR = RecordCode(
    id="history-checker-error",
    name="checker-crash",
    message="daprdev's record checker failed on a file",
    why=(
        "A checker bug must not hide every other finding from CI: the file is reported as "
        "unchecked, and the other records are still judged."
    ),
    fix="Report it as a daprdev bug, with the file attached.",
    no_example=(
        "Only a bug in the checker causes it, and every file that shows one is a bug to fix, not "
        "an example to keep."
    ),
)
ADR_FILE_NAME = RecordCode(
    id="adr-file-name",
    name="nonconforming-adr-name",
    message=(
        "an ADR's file name does not follow `NNNN-<slug>.md`, or its slug does not match the title"
    ),
    why=(
        "Spec-Kit Plus finds and numbers ADRs by their file names, and links name the file: a "
        "name off the pattern or off the title breaks both."
    ),
    fix="Rename it to NNNN-<slug>.md (four-digit id, slug of the title).",
    VALID=(adr(),),
    INVALID=(adr(path="history/adr/0001-Event-Delivery.md"),),
)
ADR_TITLE = RecordCode(
    id="adr-title",
    name="mismatched-adr-heading",
    message="an ADR lacks the `# ADR-NNNN: Title` heading, or its id differs from the file name's",
    why=(
        "The heading is how readers and the index name a decision; an id that disagrees with the "
        "file name sends links and supersessions to the wrong record."
    ),
    fix="Make the first line `# ADR-<id from the file name>: <title>`.",
    VALID=(adr(),),
    INVALID=(adr("# ADR-0001:", "# ADR-0002:"),),
)
ADR_STATUS = RecordCode(
    id="adr-status",
    name="invalid-adr-status",
    message="an ADR has no status line, several, or a status that is not one valid value",
    why=(
        "The status says whether a decision holds: a template pick-list left in "
        "(`Proposed | Accepted`) or two status lines leave it undecided, and supersession "
        "relies on it."
    ),
    fix=f"Keep exactly one `- **Status:**` line, with one of {', '.join(STATUSES)}.",
    VALID=(adr(),),
    INVALID=(adr("- **Status:** Accepted", "- **Status:** Proposed | Accepted"),),
)
ADR_DATE = RecordCode(
    id="adr-date",
    name="missing-adr-date",
    message="an ADR lacks a `- **Date:** YYYY-MM-DD` line",
    why="The date places a decision among the others and beside the code of its time.",
    fix="Write the decision date as `- **Date:** 2025-01-31`.",
    VALID=(adr(),),
    INVALID=(adr("- **Date:** 2025-01-31\n", ""),),
)
ADR_CONTEXT = RecordCode(
    id="adr-context",
    name="missing-adr-context",
    message="an ADR lacks a non-empty `- **Context:**` line",
    why=(
        "The context is why a decision was needed; without it a later reader cannot tell whether "
        "the reason still holds."
    ),
    fix="Say in a sentence or two why a decision was needed.",
    VALID=(adr(),),
    INVALID=(adr(" Orders must reach billing even while the billing service restarts.", ""),),
)
ADR_SECTION = RecordCode(
    id="adr-section",
    name="missing-adr-section",
    message=(
        "an ADR lacks a required section (Decision, Consequences with Positive and Negative, "
        "Alternatives Considered, References), or its Decision is empty"
    ),
    why=(
        "Each section answers a question a later reader has: what was decided, what it costs, "
        "what else was weighed, and where to read more."
    ),
    fix="Add each missing heading with its content; write `None recorded.` where nothing applies.",
    VALID=(adr(),),
    INVALID=(adr("## Alternatives Considered\n\nDirect HTTP calls with retries.\n\n", ""),),
)
ADR_SUPERSEDE = RecordCode(
    id="adr-supersede",
    name="one-sided-supersession",
    message=(
        "the two ADRs of a supersession do not both say so, or a Superseded ADR names no successor"
    ),
    why=(
        "A reader who lands on an old decision must find the one that replaced it, and the new "
        "one must say what it replaces: a one-sided link leaves the old decision looking current."
    ),
    fix=(
        "Mark the old ADR `- **Status:** Superseded` with `- Superseded by: [ADR-NNNN](...)`, and "
        "give the new one `- Supersedes: [ADR-NNNN](...)`."
    ),
    VALID=(
        adrs(
            {
                ADR_PATH: edit(
                    edit(ADR, "- **Status:** Accepted", "- **Status:** Superseded"),
                    "- Related ADRs: none\n",
                    "- Related ADRs: none\n"
                    "- Superseded by: [ADR-0002](0002-event-delivery-v2.md)\n",
                ),
                _NEWER_ADR: edit(
                    edit(ADR, "# ADR-0001: Event delivery", "# ADR-0002: Event delivery v2"),
                    "- Related ADRs: none\n",
                    "- Related ADRs: none\n- Supersedes: [ADR-0001](0001-event-delivery.md)\n",
                ),
            }
        ),
    ),
    INVALID=(adr("- **Status:** Accepted", "- **Status:** Superseded"),),
)
ADR_DUPLICATE_ID = RecordCode(
    id="adr-duplicate-id",
    name="duplicate-adr-id",
    message="two ADRs share an id (typically after merging two branches)",
    why="Ids identify decisions in links, supersessions and the index; two with one id collide.",
    fix="Renumber one of them to the next free id (file name and heading).",
    VALID=(
        adrs(
            {
                ADR_PATH: ADR,
                "history/adr/0002-state-store.md": edit(
                    ADR, "# ADR-0001: Event delivery", "# ADR-0002: State store"
                ),
            }
        ),
    ),
    INVALID=(
        adrs(
            {
                ADR_PATH: ADR,
                "history/adr/0001-state-store.md": edit(ADR, "Event delivery", "State store"),
            }
        ),
    ),
)
ADR_INDEX = RecordCode(
    id="adr-index",
    name="stale-adr-index",
    message="history/adr/README.md, the index of the ADRs, is missing or out of date",
    why=(
        "The index is the one page listing every decision with its status; it is generated from "
        "the records, and stale as soon as one changes without it."
    ),
    fix="Run `daprdev adr index` to regenerate it from the records.",
    VALID=(adr(),),
    INVALID=({ADR_PATH: ADR},),
)

RECORD_CODES: tuple[RecordCode, ...] = (
    PHR_FRONT_MATTER,
    PHR_MISSING_KEY,
    PHR_KEY_ORDER,
    PHR_INVALID_VALUE,
    PHR_ID_QUOTING,
    PHR_FILE_NAME,
    PHR_ROUTE,
    PHR_SECTION,
    PHR_EMPTY_PROMPT,
    PHR_DUPLICATE_ID,
    HISTORY_PLACEHOLDER,
    HISTORY_ADR_LINK,
    HISTORY_LEGACY_STAGE,
    HISTORY_LEGACY_ID,
    HISTORY_LEGACY_LAYOUT,
    HISTORY_LEFTOVER,
    HISTORY_ENCODING,
    HISTORY_UNREADABLE,
    HISTORY_CHECKER_ERROR,
    ADR_FILE_NAME,
    ADR_TITLE,
    ADR_STATUS,
    ADR_DATE,
    ADR_CONTEXT,
    ADR_SECTION,
    ADR_SUPERSEDE,
    ADR_DUPLICATE_ID,
    ADR_INDEX,
)
CODES: Mapping[str, RecordCode] = {code.id: code for code in RECORD_CODES}
