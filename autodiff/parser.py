"""Text to `Program`, through Python's `ast` and an allow-list (nothing is ever `eval`-ed).

Every construct is dispatched through a table keyed by syntax-node type; anything not in the
tables is refused with a `ParseError` that names the construct and where it stands.

Longer than the other modules because it is one allow-list: the dispatch tables, a worded
refusal for each Python construct the language leaves out, the limits checked before any work,
and reading a program line by line from what `reuse` keeps. All of them share the converter
and its positions.
"""

from __future__ import annotations

import ast
import math
import re
import sys
import warnings

import numpy as np

from . import reuse
from .errors import LimitError, ParseError
from .i18n import N_, _, ngettext
from .limits import MAX_DEPTH, MAX_ELEMENTS, MAX_NDIM, MAX_NODES, MAX_SOURCE_CHARS
from .ops import ALONG, AXES, CONSTANTS, FUNCTIONS, OPS, along_name, function_arities
from .program import (
    Apply,
    ArrayLit,
    Assign,
    Call,
    Def,
    Expr,
    Name,
    Num,
    Output,
    Program,
    Statement,
)

BINARY_OPS: dict[type, str] = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
    ast.MatMult: "matmul",
}

REFUSED_OPERATORS: dict[type, str] = {
    ast.BitXor: N_("^ is not a power here: write x**2"),
    ast.Mod: N_("% (remainder) is not supported: it has no derivative worth drawing"),
    ast.FloorDiv: N_("// (floor division) is not supported: use /"),
    ast.LShift: N_("<< is not supported"),
    ast.RShift: N_(">> is not supported"),
    ast.BitOr: N_("| is not supported"),
    ast.BitAnd: N_("& is not supported"),
    ast.Invert: N_("~ is not supported"),
    ast.Not: N_("'not' is not supported: the language has numbers, not truth values"),
}

CONSTRUCTS: dict[type, str] = {
    ast.Attribute: N_("attribute access (.{attr}) is not part of the language: call a function, "
                   "e.g. sum(x) or transpose(A)"),
    ast.Subscript: N_("indexing with [ ] is not supported"),
    ast.Compare: N_("comparisons are not supported: use max(a, b), min(a, b) or relu(x)"),
    ast.BoolOp: N_("'and' / 'or' are not supported: the language has numbers, not truth values"),
    ast.IfExp: N_("'x if c else y' is not supported: use max, min or relu"),
    ast.Lambda: N_("lambda is not supported"),
    ast.JoinedStr: N_("f-strings are not supported: the language has numbers, not text"),
    ast.Dict: N_("dictionaries are not supported"),
    ast.Set: N_("sets are not supported"),
    ast.Tuple: N_("tuples are not supported: write an array as a list, e.g. [1, 2]"),
    ast.NamedExpr: N_("':=' is not supported: assign on a line of its own"),
    ast.Starred: N_("* unpacking is not supported"),
    ast.ListComp: N_("comprehensions are not supported"),
    ast.SetComp: N_("comprehensions are not supported"),
    ast.DictComp: N_("comprehensions are not supported"),
    ast.GeneratorExp: N_("generator expressions are not supported"),
    ast.Await: N_("'await' is not supported"),
    ast.Yield: N_("'yield' is not supported"),
    ast.YieldFrom: N_("'yield' is not supported"),
    ast.Slice: N_("slices are not supported"),
}

STATEMENTS: dict[type, str] = {
    ast.Import: N_("imports are not supported: every function is already available"),
    ast.ImportFrom: N_("imports are not supported: every function is already available"),
    ast.AsyncFunctionDef: N_("defining functions is not supported"),
    ast.ClassDef: N_("classes are not supported"),
    ast.Return: N_("'return' is not supported: the last line is the output"),
    ast.Delete: N_("'del' is not supported"),
    ast.Assert: N_("'assert' is not supported"),
    ast.If: N_("'if' is not supported: use max, min or relu"),
    ast.For: N_("loops are not supported: write each step on its own line"),
    ast.AsyncFor: N_("loops are not supported: write each step on its own line"),
    ast.While: N_("loops are not supported: write each step on its own line"),
    ast.With: N_("'with' is not supported"),
    ast.AsyncWith: N_("'with' is not supported"),
    ast.Try: N_("'try' is not supported"),
    ast.TryStar: N_("'try' is not supported"),
    ast.Raise: N_("'raise' is not supported"),
    ast.Global: N_("'global' is not supported"),
    ast.Nonlocal: N_("'nonlocal' is not supported"),
    ast.Pass: N_("'pass' is not supported"),
    ast.Break: N_("'break' is not supported"),
    ast.Continue: N_("'continue' is not supported"),
    ast.AnnAssign: N_("type annotations are not supported: write x = 1.0"),
    ast.Match: N_("'match' is not supported"),
}

SYNTAX_HINTS: dict[str, str] = {
    "invalid decimal literal": N_("a number is directly followed by a name: write 2*x for a product"),
    "U+2212": N_("that is a typographic minus sign: use the ASCII -"),
    "U+00D7": N_("that is a typographic times sign: use *"),
    "U+00B7": N_("use * for a product"),
    "U+2013": N_("that is a dash: use the ASCII -"),
}

_MIN_RECURSION_LIMIT = 4 * MAX_DEPTH + 1_000
"""Python's `ast` and this module recurse once or twice per nesting level."""


def parse(source: str) -> Program:
    """Parse program text; raise `ParseError` or `LimitError` with a position."""
    if len(source) > MAX_SOURCE_CHARS:
        head = _normalize_newlines(source[:MAX_SOURCE_CHARS])
        raise LimitError(
            _("the program is {n} characters long; the limit is {limit}", n=len(source),
              limit=MAX_SOURCE_CHARS),
            *_position_of(head, len(head)),
        )
    source = _normalize_newlines(source.removeprefix(BOM))
    _check_characters(source)
    if sys.getrecursionlimit() < _MIN_RECURSION_LIMIT:
        sys.setrecursionlimit(_MIN_RECURSION_LIMIT)
    converter = _Converter(source)
    nodes = _syntax_nodes(source, converter.lines)
    for statement in nodes:
        if _span(statement, converter.lines) > _CHARS_BELOW_ANY_LIMIT:
            _check_depth(statement, converter)
    statements = tuple(_statement(converter, s) for s in nodes)
    if not statements:
        raise ParseError(N_("the program is empty: write at least one line, e.g. f = 2 * 3"), 1, 1)
    return Program(statements)


KNOWN_LINE_CHARS = 200
"""Longer lines are not kept: the memory they could hold stays small (see `reuse`)."""
_UNSEEN = object()
NEW_LINES_PARSED_ALONE = 4
"""Up to this many new lines are parsed one by one; more, and the whole text is parsed."""


def _syntax_nodes(source: str, lines: list[str]) -> list[ast.stmt]:
    """The program's statements as Python's parser reads them; with `reuse` on, mostly
    from kept lines.

    While a number is typed only its line is new, so each line's syntax nodes are kept by
    its text and number. When
    every line parses on its own, the program is those lines in a row and reads exactly as
    the whole text would. Else (a bracket open across lines, an indented line, a mistake,
    or many new lines) the whole text is parsed, which also words any error, and its
    one-line statements are kept for the next time.
    """
    kept = _kept_lines(lines) if reuse.is_on() else []
    new = [number for number, nodes in enumerate(kept, start=1) if nodes is _UNSEEN]
    if kept and len(new) <= NEW_LINES_PARSED_ALONE and None not in kept:
        for number in new:
            kept[number - 1] = _line_nodes(lines[number - 1], number)
            reuse.line_syntax.put((lines[number - 1], number), kept[number - 1])
        if None not in kept:
            return [node for nodes in kept for node in nodes]
    body = _python_ast(source).body
    if kept:
        _keep_whole(lines, body)
    return body


def _kept_lines(lines: list[str]) -> list:
    """Per line its kept syntax nodes, None, or _UNSEEN; [] when lines are not kept at all
    (too many, or one too long: the memory kept stays small)."""
    if len(lines) > reuse.KNOWN_LINES or any(len(line) > KNOWN_LINE_CHARS for line in lines):
        return []
    return [reuse.line_syntax.get((line, number), _UNSEEN) for number, line in enumerate(lines, start=1)]


def _line_nodes(line: str, number: int) -> list[ast.stmt] | None:
    """One line's syntax nodes, placed on line `number`; None if it does not parse alone."""
    try:  # blank lines before it give its nodes their line numbers
        tree = ast.parse("\n" * (number - 1) + line, filename=SOURCE_NAME, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return tree.body


def _keep_whole(lines: list[str], body: list[ast.stmt]) -> None:
    """Keep the lines of a program parsed whole: a line holding only one-line statements
    (or none) reads alone as it read in the whole; a line a longer statement spans does not,
    nor a line ending in a backslash and the line it joins (`x = 1` there and `; y = 2` on
    the next are two one-line statements, and the second line alone is a mistake). Only
    programs of assignments and expressions are kept: other statements can reach outside
    their own lines (a decorator stands on the lines before its `def`)."""
    if not all(type(node) in (ast.Assign, ast.Expr) for node in body):
        return
    spanned: set[int] = set()
    for number, line in enumerate(lines, start=1):
        if line.rstrip().endswith("\\"):
            spanned.update((number, number + 1))
    by_line: dict[int, list[ast.stmt]] = {}
    for node in body:
        if node.end_lineno != node.lineno:
            spanned.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        else:
            by_line.setdefault(node.lineno, []).append(node)
    for number, line in enumerate(lines, start=1):
        reuse.line_syntax.put((line, number), None if number in spanned else by_line.get(number, []))


def _statement(converter: _Converter, node: ast.stmt) -> Statement:
    """`converter.statement(node)`, or the same line's conversion from an earlier program.

    While a slider moves or a number is typed, one line of the program changes and every
    other line would be converted again to the very same statement: a statement on one line
    depends only on that line's text and where it stands.
    """
    line = converter.lines[node.lineno - 1]
    if not reuse.is_on() or node.end_lineno != node.lineno or len(line) > KNOWN_LINE_CHARS:
        return converter.statement(node)
    key = (line, node.lineno, node.col_offset, node.end_col_offset)
    found = reuse.statements.get(key)
    if found is not None and converter.values + found[1] <= 2 * MAX_NODES:
        converter.values += found[1]
        return found[0]
    before = converter.values  # (over the limit, converting again says where it was crossed)
    statement = converter.statement(node)
    reuse.statements.put(key, (statement, converter.values - before))
    return statement


def clear_known_statements() -> None:
    """Forget every line kept parsed and converted (see `reuse`)."""
    reuse.line_syntax.clear()
    reuse.statements.clear()


SOURCE_NAME = "<program>"
# Python warns about odd escapes and literals while parsing; the user's text is data, not code
# of ours, so those warnings would only fill the server's log.
for _category in (SyntaxWarning, DeprecationWarning):
    warnings.filterwarnings("ignore", category=_category, module=re.escape(SOURCE_NAME))


BOM = "\ufeff"
"""A byte order mark some editors put first: not part of the program."""
LONG_WHOLE_NUMBER = re.compile(r"\d{4000,}")
"""Digits beyond Python's limit on reading whole numbers (4,300; far past float64 anyway)."""


def _python_ast(source: str) -> ast.Module:
    try:
        return ast.parse(source, filename=SOURCE_NAME, mode="exec")
    except SyntaxError as e:
        long = LONG_WHOLE_NUMBER.search(source) if "integer string conversion" in e.msg else None
        if long is not None:
            raise ParseError(
                _("this number has {n} digits: a number is at most about 1.8e308 (float64)",
                  n=len(long.group())), *_position_of(source, long.start()),
            ) from None
        raise ParseError(_syntax_message(e), e.lineno or 1, e.offset or 1) from None
    except ValueError:  # text the parser cannot encode; `_check_characters` names the usual ones
        raise ParseError(N_("the program contains a character that cannot be read"), 1, 1) from None
    except (RecursionError, MemoryError):
        raise LimitError(
            _("the program is nested too deeply for the parser (limit about {limit} levels): "
              "split it over several lines", limit=MAX_DEPTH), 1, 1,
        ) from None


def _normalize_newlines(source: str) -> str:
    return source.replace("\r\n", "\n").replace("\r", "\n")


_UNREADABLE = re.compile("[\0\ud800-\udfff]")
"""NUL, and lone surrogates (text that is not valid Unicode, e.g. from a JSON `\\ud800`)."""


def _check_characters(source: str) -> None:
    """Refuse characters `ast.parse` cannot take, at their position, before it sees them."""
    found = _UNREADABLE.search(source)
    if found is None:
        return
    char = found.group()
    what = (_("the program contains a NUL character") if char == "\0" else
            _("the program contains an invalid character (U+{code})", code=f"{ord(char):04X}"))
    raise ParseError(what, *_position_of(source, found.start()))


def _syntax_message(e: SyntaxError) -> str:
    message = _python_message(e.msg)
    hint = next((h for key, h in SYNTAX_HINTS.items() if key in e.msg), None)
    if hint:
        return _("{message}: {hint}", message=message, hint=_(hint))
    return _("syntax error: {message}", message=message)


PYTHON_MESSAGES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern), message) for pattern, message in [
        (r"invalid syntax$", N_("invalid syntax")),
        (r"invalid syntax\. Perhaps you forgot a comma\?$",
         N_("invalid syntax; perhaps a comma is missing")),
        (r"'(?P<bracket>.)' was never closed$", N_("'{bracket}' was never closed")),
        (r"unmatched '(?P<bracket>.)'$", N_("unmatched '{bracket}'")),
        (r"closing parenthesis '(?P<close>.)' does not match opening parenthesis '(?P<open>.)'",
         N_("closing bracket '{close}' does not match opening bracket '{open}'")),
        (r"unexpected indent$", N_("unexpected indent: a line starts with a space")),
        (r"unindent does not match any outer indentation level$",
         N_("the indentation does not match an earlier line")),
        (r"expected an indented block", N_("expected an indented block")),
        (r"unterminated string literal", N_("text in quotes that is never closed")),
        (r"unterminated triple-quoted string literal", N_("text in quotes that is never closed")),
        (r"invalid character '(?P<char>.)' \((?P<code>U\+[0-9A-F]+)\)$",
         N_("invalid character '{char}' ({code})")),
        (r"invalid non-printable character (?P<code>U\+[0-9A-F]+)$",
         N_("invalid non-printable character {code}")),
        (r"unexpected EOF while parsing$", N_("the program ends in the middle of an expression")),
        (r"expected '(?P<token>[^']+)'$", N_("expected '{token}'")),
        (r"invalid decimal literal$", N_("invalid decimal literal")),
        (r"leading zeros in decimal integer literals are not permitted",
         N_("leading zeros are not allowed in a whole number: write 7, not 07")),
        (r"cannot assign to (?P<what>literal|function call|expression)",
         N_("only a name can be assigned to, e.g. y = 2 * x")),
        (r"'(?P<word>[a-z]+)' is an illegal expression for augmented assignment",
         N_("only a name can be assigned to, e.g. y += x")),
        (r"invalid syntax\. Maybe you meant '==' or ':=' instead of '='\?",
         N_("invalid syntax: '=' assigns a value on a line of its own")),
        (r"unexpected character after line continuation character",
         N_("unexpected character after a backslash")),
    ]
)
"""Python's syntax messages a program is likely to meet, in words the catalogues translate;
any other is shown as Python writes it."""


def _python_message(message: str) -> str:
    for pattern, ours in PYTHON_MESSAGES:
        found = pattern.match(message)
        if found:
            return _(ours, **{k: v for k, v in found.groupdict().items() if v is not None})
    return message


def _position_of(source: str, index: int) -> tuple[int, int]:
    before = source[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


_CHARS_BELOW_ANY_LIMIT = MAX_DEPTH - 10
"""Every nesting level takes at least one character of source (a few levels, module and
statement, take none), so a shorter statement cannot be nested too deeply and skips the walk."""


def _span(node: ast.stmt, lines: list[str]) -> int:
    """At least the characters a statement spans (UTF-8 bytes on one line, else every line)."""
    if node.end_lineno == node.lineno:
        return (node.end_col_offset or 0) - node.col_offset
    return sum(len(line) + 1 for line in lines[node.lineno - 1 : node.end_lineno])


def _check_depth(tree: ast.AST, converter: _Converter) -> None:
    """Nesting depth, walked with an explicit stack before the (recursive) conversion.

    Errors point at the nearest syntax node that has a position.
    """
    # (node, depth, nearest node with a position)
    stack: list[tuple[ast.AST, int, ast.AST]] = [(tree, 1, tree)]
    while stack:
        node, depth, at = stack.pop()
        if hasattr(node, "lineno"):
            at = node
        if depth > MAX_DEPTH:
            raise LimitError(
                _("the program is nested {limit}+ levels deep; the limit is {limit}",
                  limit=MAX_DEPTH),
                *converter.pos(at),
            )
        stack.extend((child, depth + 1, at) for child in ast.iter_child_nodes(node))


class _Converter:
    """Turns allowed `ast` nodes into `Program` nodes, with character (not byte) columns."""

    def __init__(self, source: str):
        self.lines = source.split("\n")
        self.values = 0  # numbers, arrays and operations so far
        self.in_array = False  # the numbers of an array literal count as one value
        self.defs: dict[str, tuple[str, ...]] = {}  # the defs so far, by name: their parameters
        self.in_def: str | None = None  # the def whose body is being read

    def counted(self, node: ast.AST) -> None:
        """Count one more value; past twice MAX_NODES the program is refused before it runs
        (evaluation stops at MAX_NODES values anyway: this bounds the work before it)."""
        if self.in_array:
            return
        self.values += 1
        if self.values > 2 * MAX_NODES:
            raise LimitError(
                _("the program has more than {n} numbers and operations; the limit is {limit} "
                  "values in a graph", n=2 * MAX_NODES, limit=MAX_NODES),
                *self.pos(node),
            )

    def pos(self, node: ast.AST) -> tuple[int, int]:
        line = getattr(node, "lineno", 1)
        offset = getattr(node, "col_offset", 0)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return line, offset + 1
        # ast columns count UTF-8 bytes; a reader counts characters (θ is 2 bytes, 1 column).
        return line, len(text.encode("utf-8")[:offset].decode("utf-8", "replace")) + 1

    def refuse(self, node: ast.AST, message: str) -> ParseError:
        return ParseError(message, *self.pos(node))

    def dot_pos(self, node: ast.Attribute) -> tuple[int, int]:
        """Where the `.name` of an attribute access stands (the node itself starts earlier)."""
        line = node.end_lineno or node.lineno
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        end = len(text.encode("utf-8")[: node.end_col_offset].decode("utf-8", "replace"))
        dot = text.rfind(".", 0, end)
        if dot < 0 or not text[dot + 1:end].strip().isidentifier():
            return self.pos(node)
        return line, dot + 1

    def statement(self, node: ast.stmt) -> Statement:
        handler = _STATEMENT_HANDLERS.get(type(node))
        if handler is None:
            message = STATEMENTS.get(type(node)) or _("'{name}' is not supported",
                                                      name=type(node).__name__)
            raise self.refuse(node, message)
        statement = handler(self, node)
        statement.text = self.written(node)
        return statement

    def written(self, node: ast.stmt) -> str:
        """A statement's text as typed, from its first character to its last."""
        lines = [line.encode("utf-8") for line in self.lines[node.lineno - 1:node.end_lineno]]
        lines[-1] = lines[-1][: node.end_col_offset]
        lines[0] = lines[0][node.col_offset:]
        return b"\n".join(lines).decode("utf-8", "replace")

    def assign(self, node: ast.Assign) -> Assign:
        if len(node.targets) != 1:
            raise self.refuse(node, N_("assign one name at a time: a = 1, then b = a"))
        target = node.targets[0]
        if not isinstance(target, ast.Name):
            raise self.refuse(target, N_("only a plain name can be assigned, e.g. y = 2 * x"))
        return Assign(self.as_typed(target), self.expr(node.value), *self.pos(target))

    def aug_assign(self, node: ast.AugAssign) -> Assign:
        if not isinstance(node.target, ast.Name):
            raise self.refuse(node.target, N_("only a plain name can be assigned, e.g. y += x"))
        op = self.binary_op(node, node.op)
        line, col = self.pos(node.target)
        current = Name(self.as_typed(node.target), line, col)
        return Assign(node.target.id, Apply(op, (current, self.expr(node.value)), line, col),
                      line, col)

    def bare(self, node: ast.Expr) -> Output:
        return Output(self.expr(node.value), *self.pos(node))

    def expr(self, node: ast.expr) -> Expr:
        handler = _EXPR_HANDLERS.get(type(node))
        if handler is None:
            found = CONSTRUCTS.get(type(node))
            message = (_(found, attr=getattr(node, "attr", "")) if found else
                       _("'{name}' is not supported", name=type(node).__name__))
            if isinstance(node, ast.Attribute):
                raise ParseError(message, *self.dot_pos(node))
            raise self.refuse(node, message)
        return handler(self, node)

    def binary_op(self, node: ast.AST, op: ast.operator) -> str:
        name = BINARY_OPS.get(type(op))
        if name is None:
            raise self.refuse(node, REFUSED_OPERATORS.get(type(op), N_("operator not supported")))
        return name

    def binop(self, node: ast.BinOp) -> Apply:
        self.counted(node)
        op = self.binary_op(node, node.op)
        return Apply(op, (self.expr(node.left), self.expr(node.right)), *self.pos(node))

    def unary(self, node: ast.UnaryOp) -> Expr:
        self.counted(node)
        if isinstance(node.op, ast.UAdd):
            return self.expr(node.operand)
        if not isinstance(node.op, ast.USub):
            raise self.refuse(node, REFUSED_OPERATORS.get(type(node.op),
                                                           N_("operator not supported")))
        if isinstance(node.operand, ast.Constant):
            number = self.number(node.operand)  # -2 is the number -2, not neg(2)
            return Num(-number.value, *self.pos(node), integer=number.integer)
        if isinstance(node.operand, ast.List):
            array = self.array(node.operand)  # so -[1, 2] is the array [-1, -2]: an input too
            return ArrayLit(-array.value, *self.pos(node))
        return Apply("neg", (self.expr(node.operand),), *self.pos(node))

    def call(self, node: ast.Call) -> Apply:
        self.counted(node)
        if not isinstance(node.func, ast.Name):
            self.expr(node.func)  # refuses attributes and the like with their own message
            raise self.refuse(node.func,
                              N_("only functions called by name are supported, e.g. sin(x)"))
        name = self.as_typed(node.func)
        if name in self.defs:
            return self.def_call(node, name)
        if node.keywords and not any(row.function == name for row in ALONG):
            raise self.refuse(node.keywords[0], _keyword_refusal(name, len(node.args)))
        op = FUNCTIONS.get((name, len(node.args)))
        if op is None:
            raise self.refuse(node, _call_message(name, len(node.args)))
        if node.keywords:
            op = self.along(node, name, op)
        return Apply(op, tuple(self.expr(a) for a in node.args), *self.pos(node))

    def def_call(self, node: ast.Call, name: str) -> Call:
        """A call of a def of the program: its arguments by position, one per parameter."""
        if self.in_def is not None:
            raise self.refuse(node, calls_a_def(self.in_def, name))
        params = self.defs[name]
        if node.keywords or len(node.args) != len(params):
            raise self.refuse(node, takes_message(name, params,
                                                  len(node.args) + len(node.keywords)))
        return Call(name, tuple(self.expr(a) for a in node.args), *self.pos(node))

    def function_def(self, node: ast.FunctionDef) -> Def:
        """`def name(a, b):` then assignments and a `return`: a named block (see `blocks`)."""
        if node.decorator_list:
            raise self.refuse(node.decorator_list[0], _("decorators are not supported"))
        name, line, col = node.name, *self.pos(node)
        if name in self.defs:
            raise self.refuse(node, _("'{name}' is already defined: give each def a name of "
                                      "its own", name=name))
        if function_arities(name) or name in OPS or name in CONSTANTS:
            raise self.refuse(node, _("'{name}' is a function of the language: give the def "
                                      "another name", name=name))
        params = self.def_params(node)
        *lines, last = node.body
        if not isinstance(last, ast.Return) or last.value is None:
            raise self.refuse(last, _("a def ends with 'return' and the value it gives, "
                                      "e.g. return tanh(h * w)"))
        self.in_def = name
        try:
            body = tuple(self.def_line(n) for n in lines)
            result = self.expr(last.value)
        finally:
            self.in_def = None
        self.defs[name] = params
        return Def(name, params, body, result, line, col)

    def def_params(self, node: ast.FunctionDef) -> tuple[str, ...]:
        args = node.args
        if (args.posonlyargs or args.vararg or args.kwonlyargs or args.kwarg or args.defaults
                or node.returns or any(a.annotation for a in args.args)):
            raise self.refuse(node, _("a def takes plain names, e.g. def cell(h, x):"))
        if not args.args:
            raise self.refuse(node, _("a def takes at least one argument, e.g. def cell(h, x):"))
        return tuple(a.arg for a in args.args)

    def def_line(self, node: ast.stmt) -> Assign:
        """A line of a def's body: an assignment of something computed."""
        if isinstance(node, ast.Return):
            raise self.refuse(node, _("'return' ends a def: write it last"))
        if type(node) is ast.FunctionDef:
            raise self.refuse(node, _("a def inside a def is not supported"))
        if type(node) not in (ast.Assign, ast.AugAssign):
            raise self.refuse(node, _("a def's lines assign a name (a = ...) or return a value"))
        s = self.assign(node) if isinstance(node, ast.Assign) else self.aug_assign(node)
        if isinstance(s.expr, (Num, ArrayLit)):
            raise self.refuse(node, _("a def computes from its arguments: write the number in "
                                      "an expression, or give it a name outside the def"))
        return s

    def along(self, node: ast.Call, name: str, op: str) -> str:
        """The op of a reduction called with `axis=` and/or `keepdims=`: `sum(axis=1)`."""
        if op not in ALONG_NAMES:
            raise self.refuse(node.keywords[0], _keyword_refusal(name, len(node.args)))
        given = {"axis": None, "keepdims": False}
        for keyword in node.keywords:
            if keyword.arg not in given:
                if keyword.arg is None:
                    raise self.refuse(keyword, _("** unpacking is not supported: {name}() takes "
                                                 "axis= and keepdims=", name=name))
                raise self.refuse(keyword, _("keyword '{keyword}' is not supported: {name}() "
                                             "takes axis= and keepdims=", name=name,
                                             keyword=keyword.arg))
            reader = _axis_value if keyword.arg == "axis" else _keepdims_value
            value = reader(keyword.value)
            if isinstance(value, str):
                raise self.refuse(keyword.value, value)
            given[keyword.arg] = value
        return along_name(op, given["axis"], given["keepdims"])

    def name(self, node: ast.Name) -> Name:
        return Name(self.as_typed(node), *self.pos(node))

    def as_typed(self, node: ast.Name) -> str:
        """A name's text, refused when Python's reading changed it: Python folds names
        (NFKC: `𝐱` reads as `x`, `ﬁ` as `fi`), so two names that look different on screen
        would silently be one. A name is exactly what was typed."""
        text = self.lines[node.lineno - 1] if 0 < node.lineno <= len(self.lines) else ""
        if text.isascii():
            return node.id
        typed = text.encode("utf-8")[node.col_offset : node.end_col_offset].decode("utf-8")
        if typed != node.id:
            raise self.refuse(
                node,
                _("the name '{typed}' is read as '{name}' (Python folds styled letters and "
                  "ligatures): write '{name}', or choose another name", typed=typed, name=node.id),
            )
        return node.id

    def number(self, node: ast.Constant) -> Num:
        self.counted(node)
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.refuse(node, _constant_message(value))
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self.refuse(node, N_("this number is too large for float64 "
                                         "(about 1.8e308 at most)"))
        return Num(number, *self.pos(node), integer=isinstance(value, int))

    def array(self, node: ast.List) -> ArrayLit:
        self.counted(node)
        self.in_array, outer = True, self.in_array
        try:
            rows = self.nested_numbers(node, depth=1)
        finally:
            self.in_array = outer
        try:
            value = np.array(rows, dtype=np.float64)
        except ValueError:
            raise self.refuse(node, N_("rows of an array must all have the same length")) from None
        if value.size > MAX_ELEMENTS:
            raise LimitError(_("an array has at most {limit} elements", limit=MAX_ELEMENTS),
                             *self.pos(node))
        return ArrayLit(value, *self.pos(node))

    def nested_numbers(self, node: ast.expr, depth: int):
        if isinstance(node, ast.List):
            if depth > MAX_NDIM:
                raise LimitError(
                    _("this array has more than {limit} dimensions; the limit is {limit} "
                      "(rows and columns)", limit=MAX_NDIM), *self.pos(node),
                )
            if not node.elts:
                raise self.refuse(node, N_("an array needs at least one number"))
            items = [self.nested_numbers(e, depth + 1) for e in node.elts]
            kinds = {isinstance(i, list) for i in items}
            if len(kinds) > 1:
                raise self.refuse(node, N_("rows of an array must all have the same length"))
            return items
        number = self.expr(node)
        if not isinstance(number, Num):
            raise self.refuse(node, N_("an array literal holds numbers only; compute with it after"))
        return number.value


def takes_message(name: str, params: tuple[str, ...], got: int) -> str:
    """A def called with the wrong number of arguments."""
    return _("{name}() takes ({params}) by position; this call gives {got}",
             name=name, params=", ".join(params), got=got)


def calls_a_def(caller: str, name: str) -> str:
    """Why a def's body may not call another def."""
    return _("{caller} calls {name}: a def calls no other def; call {name} on a line of its "
             "own outside the def", caller=caller, name=name)


def _call_message(name: str, nargs: int) -> str:
    arities = sorted(a for f, a in FUNCTIONS if f == name)
    if not arities:
        known = ", ".join(sorted({f for f, _ in FUNCTIONS}))
        return _("unknown function '{name}'; the functions are: {known}", name=name, known=known)
    if len(arities) > 1:
        message = _("{name}() takes {one} or {other} arguments, got {n}", name=name,
                    one=arities[0], other=arities[1], n=nargs)
    else:
        message = ngettext("{name}() takes {takes} argument, got {got}",
                           "{name}() takes {takes} arguments, got {got}", arities[0],
                           name=name, takes=arities[0], got=nargs)
    if nargs == 2 and FUNCTIONS.get((name, 1)) in ALONG_NAMES:
        message += _("; along an axis write {name}(a, axis=1)", name=name)
    return message


ALONG_NAMES = frozenset(row.name for row in ALONG)
"""Ops that take `axis=` and `keepdims=`."""
_AXES_TEXT = ", ".join(map(str, AXES))


def _keyword_refusal(name: str, nargs: int) -> str:
    takers = ", ".join(f"{f}(a, axis=...)" for f in sorted({row.function for row in ALONG}))
    if nargs != 1 and any(row.function == name for row in ALONG):
        return _("{name}() with axis= takes one array: {name}(a, axis=1)", name=name)
    return _("{name}() takes no keyword arguments; only the reductions do: {takers}", name=name,
             takers=takers)


def _axis_value(node: ast.expr) -> int | None | str:
    """The axis written in `axis=...` (a whole number in AXES, or None), or why not (text)."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        sign, node = -1, node.operand
    if isinstance(node, ast.Constant) and node.value is None and sign == 1:
        return None
    if not isinstance(node, ast.Constant) or type(node.value) is not int:
        return _("axis= takes a whole number written out: {axes}", axes=_AXES_TEXT)
    if sign * node.value not in AXES:
        return _("axis={axis} is not an axis: arrays have at most {limit} dimensions, so axis "
                 "is one of {axes}", axis=sign * node.value, limit=MAX_NDIM, axes=_AXES_TEXT)
    return sign * node.value


def _keepdims_value(node: ast.expr) -> bool | str:
    """True or False written in `keepdims=...`, or why not (text)."""
    if isinstance(node, ast.Constant) and type(node.value) is bool:
        return node.value
    return _("keepdims= takes True or False")


def _constant_message(value: object) -> str:
    if isinstance(value, str):
        return _("text in quotes is not a number: write x = 2")
    if isinstance(value, bool):
        return _("True and False are not numbers here: write 1 or 0")
    if isinstance(value, complex):
        return _("complex numbers are not supported")
    return _("{value} is not a number", value=repr(value))


_STATEMENT_HANDLERS = {
    ast.Assign: _Converter.assign,
    ast.AugAssign: _Converter.aug_assign,
    ast.Expr: _Converter.bare,
    ast.FunctionDef: _Converter.function_def,
}

_EXPR_HANDLERS = {
    ast.BinOp: _Converter.binop,
    ast.UnaryOp: _Converter.unary,
    ast.Call: _Converter.call,
    ast.Name: _Converter.name,
    ast.Constant: _Converter.number,
    ast.List: _Converter.array,
}
