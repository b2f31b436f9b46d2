"""Control characters in input: refused before they reach the database.

PostgreSQL refuses NUL in text and `\\u0000` in jsonb, and a lone surrogate cannot be encoded
to UTF-8: left to the database, either is a 500. Other control characters are refused with
them, being no part of any name, version or identifier a client sends. Free text (release
notes, error messages, JSON documents) may hold tabs and line breaks. Imports nothing of
the project's (the parsers, read while DRF loads its settings, use it).
"""

import unicodedata

LINE_BREAKS_AND_TABS = frozenset("\t\n\r")


def forbidden_character(value: str, *, free_text: bool = False) -> str | None:
    """The first control character (Unicode Cc) or lone surrogate (Cs) in `value`, or None.
    With `free_text`, tabs and line breaks are allowed."""
    if value.isprintable():  # the common case, in C
        return None
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs") and not (
            free_text and char in LINE_BREAKS_AND_TABS
        ):
            return char
    return None


def forbidden_in_document(document) -> str | None:
    """The first forbidden character in any string (keys included) of a parsed JSON or form
    document, as free text. Iterative: a document nested deeply must not exhaust the stack."""
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found = forbidden_character(item, free_text=True)
            if found is not None:
                return found
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif hasattr(item, "lists"):  # QueryDict / MultiValueDict
            for key, values in item.lists():
                stack.append(key)
                stack.extend(v for v in values if isinstance(v, str))
    return None


def describe(char: str) -> str:
    return f"U+{ord(char):04X}"
