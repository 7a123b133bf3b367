"""How much one request may ask of daprdev: bounds that keep the server up whatever it is sent.

A service's files are small; these bounds sit far above what generated or hand-written
application code needs and far below what would hold the server for seconds or gigabytes. Each
refusal names the bound, so the sender can split its work.
"""

from __future__ import annotations

from tools.errors import UsageError

MAX_FILE_BYTES = 1 << 20  # one file of a change set, or one file read
MAX_FILES_PER_CALL = 200  # files in one change set
MAX_CALL_BYTES = 8 << 20  # all contents of one change set together
MAX_EDITS_PER_CALL = 500  # exact-text replacements in one edit_files call
MAX_TEXT_CHARS = 2_000_000  # one free-text field of a record (a whole prompt, a context)
MAX_DECISION_OPTIONS = 50  # options of one open decision: the one choice a person is asked for
MAX_ANSWER_CHARS = 4_000  # a person's answer typed into a client's form, as decisions list it
MAX_LISTED_DECISIONS = 500  # decision records in one listing
MAX_TEST_REPORT_BYTES = 6_000  # one run_tests result, however many tests fail
MAX_GENERATE_RESULT_BYTES = 20_000  # one generate result over MCP; a longer diff goes to a file
MAX_TEST_SECONDS = 600  # the longest time limit one run_tests call may ask for
MAX_TEST_SELECT_CHARS = 500  # a run_tests -k expression
TEST_OUTPUT_TAIL_BYTES = 4096  # pytest output kept to explain a run that gave no report
TEST_RUNS_AT_ONCE = 2  # concurrent test processes per server; further calls wait their turn
MAX_CLIENT_WORKLOGS = 256  # client sessions whose work is remembered (least recently used go)
MAX_READ_LINES = 2_000  # lines one Read of the headless run returns (the model reads on by offset)
MAX_READ_CHARS = 60_000  # characters one Read returns, however long its lines are
MAX_LINE_CHARS = 2_000  # a longer line (minified, generated) is cut in a Read
MAX_GREP_LINE_CHARS = 300  # a matching line as Grep shows it
MAX_LISTED_PATHS = 200  # paths one Glob returns
MAX_GREP_MATCHES = 100  # matching lines one Grep returns
MAX_WALKED_ENTRIES = 20_000  # folder entries one Glob or Grep looks at
MAX_SEARCHED_BYTES = 32 << 20  # file content one Grep reads
MAX_PATTERN_CHARS = 1_000  # a Glob or Grep pattern


def check_change_set(sizes: list[tuple[str, int]]) -> None:
    """Raise UsageError when a change set of (path, byte size) pairs exceeds a bound."""
    if len(sizes) > MAX_FILES_PER_CALL:
        raise UsageError(
            f"{len(sizes)} files in one change set; send at most {MAX_FILES_PER_CALL} per call. "
            "Nothing was written."
        )
    for path, size in sizes:
        if size > MAX_FILE_BYTES:
            raise UsageError(
                f"{path!r} is {size} bytes; one file may hold at most {MAX_FILE_BYTES} bytes "
                "(split the module). Nothing was written."
            )
    total = sum(size for _, size in sizes)
    if total > MAX_CALL_BYTES:
        raise UsageError(
            f"the change set holds {total} bytes; send at most {MAX_CALL_BYTES} per call. "
            "Nothing was written."
        )


def check_text(field: str, text: str, limit: int = MAX_TEXT_CHARS) -> None:
    """Raise UsageError when a free-text argument is longer than `limit` characters."""
    if len(text) > limit:
        raise UsageError(f"{field} is {len(text)} characters long; at most {limit} are accepted")
